/** The real `delete-sync` command, spawned: stdout one JSON object and exit 0, or one stderr line and exit 2. */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../contracts/fixture-files.js';
import { optionSet, reconstructedDelete, setColumn } from '../domain/dataverse-bodies.js';
import { ORGANIZER_CRM_ID, storedSnapshot } from '../policy/facts-builders.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO, 'bin/delete-sync.mjs');
const DELETE = fixturePath('dataverse', 'delete-webhook-appointment.reconstructed.json');
const dir = mkdtempSync(join(tmpdir(), 'delete-sync-cli-'));

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { cwd: REPO, encoding: 'utf8' });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const cli = (...args: string[]) => run(process.execPath, [BIN, ...args]);

function expectOneErrorLine(result: Run, code: string, field?: string): void {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^delete-sync: ${code}: .+${field === undefined ? '' : ` \\(at ${field.replace(/[[\]().$]/g, '\\$&')}\\)`}$`));
}

describe.concurrent('delete-sync explain (spawned)', () => {
  it('the reconstructed Delete: one JSON object on stdout, exit 0', async () => {
    const result = await cli('explain', DELETE, '--now', '2024-12-01T00:00:00Z');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const decision = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(decision).toMatchObject({ ruleId: 'crm.appointment.active.future', action: 'propagate', targets: [{ role: 'organizer', crmUserId: ORGANIZER_CRM_ID }] });
    expect(typeof decision.reason).toBe('string');
  });

  it('npm run delete-sync -- explain … works too', async () => {
    const result = await run('npm', ['run', '--silent', 'delete-sync', '--', 'explain', DELETE, '--now', '2025-02-01T00:00:00Z']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ruleId: 'crm.appointment.active.past', action: 'skip' });
  });

  it('a Graph notification with --facts and --policy', async () => {
    const record = storedSnapshot(setColumn(reconstructedDelete(), 'statecode', optionSet(3)));
    const facts = file('facts.json', { crmRef: record.ref, record, actor: { role: 'organizer', userId: 'entra-organizer', crmUserId: ORGANIZER_CRM_ID }, links: [] });
    const policy = file('policy.json', { outlookOrganizerDeleteRequiresFutureStart: true });
    const notification = fixturePath('graph', 'notification-event-deleted.reconstructed.json');
    const result = await cli('explain', notification, '--facts', facts, '--policy', policy, '--now', '2025-02-01T00:00:00Z');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toMatchObject({ ruleId: 'outlook.appointment.active.organizer.past', action: 'skip' });
  });

  it('bad JSON', async () => {
    expectOneErrorLine(await cli('explain', file('bad.json', '{"MessageName": ')), 'DS_ERR_BAD_JSON', '$');
  });

  it('a malformed body names the field', async () => {
    const body = reconstructedDelete();
    delete body.OperationId;
    expectOneErrorLine(await cli('explain', file('no-operation.json', body)), 'DS_ERR_INVALID_PAYLOAD', 'OperationId');
  });

  it('an unsupported message', async () => {
    expectOneErrorLine(await cli('explain', file('assign.json', { ...reconstructedDelete(), MessageName: 'Assign' })), 'DS_ERR_UNSUPPORTED_MESSAGE', 'MessageName');
  });

  it('a policy that would delete what the table keeps', async () => {
    const policy = file('forbidden.json', { rules: { 'crm.email': { action: 'propagate' } } });
    expectOneErrorLine(await cli('explain', DELETE, '--policy', policy), 'DS_ERR_POLICY_FILE', 'rules["crm.email"].action');
  });

  it('a facts file with an unknown key', async () => {
    const facts = file('typo-facts.json', { actors: [] });
    expectOneErrorLine(await cli('explain', fixturePath('graph', 'notification-event-deleted.reconstructed.json'), '--facts', facts), 'DS_ERR_INVALID_PAYLOAD', 'actors');
  });

  it('a missing file and a bad --now', async () => {
    expectOneErrorLine(await cli('explain', join(dir, 'absent.json')), 'DS_ERR_NOT_FOUND');
    expectOneErrorLine(await cli('explain', DELETE, '--now', 'tomorrow'), 'DS_ERR_INVALID_PAYLOAD', '--now');
  });

  it('usage errors are one line and exit 2; --help exits 0', async () => {
    expectOneErrorLine(await cli('explain', DELETE, '--bogus'), 'usage');
    expectOneErrorLine(await cli('explain'), 'usage');
    const help = await cli('explain', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--facts <file>');
  });
});
