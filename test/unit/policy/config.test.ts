import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../../src/app/policy-file.js';
import { DEFAULT_POLICY, PolicyConfig, parsePolicyConfig } from '../../../src/policy/config.js';
import { RULES } from '../../../src/policy/table.js';
import { codedError } from '../contracts/coded-error.js';

const dir = mkdtempSync(join(tmpdir(), 'policy-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('PolicyConfig', () => {
  it('defaults are the table', () => {
    expect(DEFAULT_POLICY).toEqual({ rules: {}, organizerMeetingMethod: 'delete', outlookOrganizerDeleteRequiresFutureStart: false, keepSeriesWithPastOccurrences: false });
  });

  it('accepts every documented option', () => {
    const policy = loadPolicyFile(
      file(
        'ok.json',
        JSON.stringify({
          rules: { 'crm.contact': { action: 'skip' }, 'crm.task.active': { action: 'propagate' } },
          organizerMeetingMethod: 'cancel',
          outlookOrganizerDeleteRequiresFutureStart: true,
        }),
      ),
    );
    expect(policy).toMatchObject({ organizerMeetingMethod: 'cancel', outlookOrganizerDeleteRequiresFutureStart: true, rules: { 'crm.contact': { action: 'skip' } } });
  });

  it.each(RULES.filter((rule) => rule.action === 'skip').map((rule) => rule.id))('refuses to turn %s into propagate', (id) => {
    const error = codedError(() => parsePolicyConfig({ rules: { [id]: { action: 'propagate' } } }));
    expect(error).toMatchObject({ code: 'DS_ERR_POLICY_FILE', field: `rules["${id}"].action` });
    expect(error.message).toContain('data loss');
  });

  it.each<[string, unknown, string]>([
    ['an unknown top-level key', { organiserMeetingMethod: 'cancel' }, 'organiserMeetingMethod'],
    ['an unknown rule id', { rules: { 'crm.emails': { action: 'skip' } } }, 'rules["crm.emails"]'],
    ['an unknown key in a rule', { rules: { 'crm.contact': { action: 'skip', why: 'x' } } }, 'rules["crm.contact"].why'],
    ['a bad action', { rules: { 'crm.contact': { action: 'delete' } } }, 'rules["crm.contact"].action'],
    ['a bad method', { organizerMeetingMethod: 'remove' }, 'organizerMeetingMethod'],
    ['a string boolean', { outlookOrganizerDeleteRequiresFutureStart: 'yes' }, 'outlookOrganizerDeleteRequiresFutureStart'],
    ['not an object', [], '$'],
  ])('names the bad key: %s', (_label, document, field) => {
    expect(codedError(() => parsePolicyConfig(document))).toMatchObject({ code: 'DS_ERR_POLICY_FILE', field });
  });

  it('a missing or broken file is a coded error too', () => {
    expect(codedError(() => loadPolicyFile(join(dir, 'absent.json')))).toMatchObject({ code: 'DS_ERR_POLICY_FILE', message: expect.stringContaining('ENOENT') });
    expect(codedError(() => loadPolicyFile(file('broken.json', '{"rules":')))).toMatchObject({ code: 'DS_ERR_POLICY_FILE', field: '$' });
  });

  it('the schema is strict at every level', () => {
    expect(PolicyConfig.safeParse({ rules: {}, extra: true }).success).toBe(false);
  });
});
