/** The program shell's shared behaviour: version, options every command has, UTC times, confirmation. */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { confirm } from '../../../src/cli/confirm.js';
import { parseInstant } from '../../../src/cli/parse-instant.js';
import { fixturePath } from '../contracts/fixture-files.js';
import { runCommand } from './run-cli.js';

const DELETE = fixturePath('dataverse', 'delete-webhook-appointment.reconstructed.json');
const savedTz = process.env.TZ;
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('delete-sync (program)', () => {
  it('--version prints the package version, exit 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await runCommand({}, '--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('every command takes --json (and --help lists it)', async () => {
    for (const command of ['explain', 'register', 'held', 'release', 'discard', 'subscribe', 'subscriptions', 'backfill', 'decisions']) {
      const help = await runCommand({}, command, '--help');
      expect(help.code, command).toBe(0);
      expect(help.stdout, command).toContain('--json');
    }
  });

  it('a bad --timeout is a usage error before anything runs', async () => {
    expect(await runCommand({}, '--timeout', '0', 'held')).toMatchObject({ code: 2, stderr: 'delete-sync: DS_ERR_INVALID_PAYLOAD: --timeout must be a number of seconds above 0, at most 3600 (at --timeout)\n' });
  });
});

describe('--now', () => {
  it('without a zone is UTC, whatever the machine\'s time zone', () => {
    process.env.TZ = 'America/New_York';
    expect(parseInstant('2024-12-01T09:00', '--now').toISOString()).toBe('2024-12-01T09:00:00.000Z');
    expect(parseInstant('2024-12-01T09:00:30.5', '--now').toISOString()).toBe('2024-12-01T09:00:30.500Z');
    expect(parseInstant('2024-12-01', '--now').toISOString()).toBe('2024-12-01T00:00:00.000Z');
    expect(parseInstant('2024-12-01T09:00+02:00', '--now').toISOString()).toBe('2024-12-01T07:00:00.000Z');
    expect(() => parseInstant('01/12/2024', '--now')).toThrow(/no zone means UTC/);
  });

  it('explain decides at that UTC time in any zone (the meeting starts 2025-01-04T14:13:20Z)', async () => {
    // Read as New York time, 14:00 would be 19:00Z: after the start, the other rule.
    process.env.TZ = 'America/New_York';
    const result = await runCommand({ TZ: 'America/New_York' }, 'explain', DELETE, '--now', '2025-01-04T14:00');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ now: '2025-01-04T14:00:00.000Z', ruleId: 'crm.appointment.active.future' });
  });
});

describe('confirm', () => {
  const terminal = (typed: string) => {
    const input = Object.assign(new PassThrough(), { isTTY: true });
    const output = new PassThrough();
    setTimeout(() => input.write(typed), 10);
    return { input, output };
  };

  it('goes on only when a person types yes', async () => {
    await expect(confirm('Drop all 3 held delete(s)', false, terminal('yes\n'))).resolves.toBeUndefined();
    await expect(confirm('Drop all 3 held delete(s)', false, terminal('y\n'))).rejects.toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', message: 'Drop all 3 held delete(s): not confirmed, nothing was done' });
  });

  it('--yes confirms; without a terminal and without --yes it refuses', async () => {
    const notATerminal = { input: new PassThrough(), output: new PassThrough() };
    await expect(confirm('Remove', true, notATerminal)).resolves.toBeUndefined();
    await expect(confirm('Remove', false, notATerminal)).rejects.toMatchObject({ field: '--yes' });
  });
});
