/**
 * `held`, `release`, `discard` and `decisions` as an administrator runs them, through the program shell,
 * on deletes the real brake held in Azurite (the service built as the hosts build it against the tenant
 * sandbox, brake limits of 1).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTenantSandbox, type TenantSandbox } from '../../../sandbox/index.js';
import { createService } from '../../../src/app/service.js';
import { loadConfig } from '../../../src/config.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { processEvent } from '../../../src/pipeline/processor.js';
import { silentLogger } from '../../../src/log.js';
import { useTestAzurite } from '../../helpers/azurite.js';
import { deleteBody } from '../../helpers/requests.js';
import { testEnv } from '../../helpers/store.js';
import { runCommand } from './run-cli.js';

const azurite = useTestAzurite();
const MEETING_ID = '00000000-0000-0000-0000-0000000a0001';
const BEFORE_THE_MEETING = new Date('2024-12-01T00:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'delete-sync-cli-op-'));
let sandbox: TenantSandbox;
/** The service's settings without a tenant (what `release` must refuse with) … */
let env: Record<string, string>;
/** … and with the tenant sandbox. */
let tenantEnv: Record<string, string>;
let held: string[];

beforeAll(async () => {
  sandbox = await startTenantSandbox();
  const caFile = join(dir, 'sandbox-ca.pem');
  writeFileSync(caFile, sandbox.ca);
  env = testEnv(azurite().connectionString, `cliop${randomBytes(3).toString('hex')}`, { BRAKE_MAX_TOTAL: '1', BRAKE_MAX_PER_USER: '1' });
  tenantEnv = {
    ...env,
    DATAVERSE_URL: sandbox.dataverseUrl,
    GRAPH_BASE_URL: sandbox.graphUrl,
    EXTRA_CA_FILE: caFile,
    AZURE_TENANT_ID: sandbox.tenantId,
    AZURE_CLIENT_ID: sandbox.client.clientId,
    AZURE_CLIENT_SECRET: sandbox.client.clientSecret,
    AZURE_AUTHORITY_HOST: sandbox.loginUrl,
  };
  const { runtime } = createService(loadConfig(tenantEnv), { log: silentLogger, env: tenantEnv, now: () => BEFORE_THE_MEETING });
  const events = [1, 2, 3].map((n) => normalizeDataverseWebhook(deleteBody(`00000000-0000-0000-0000-00000000000${n}`), {}, BEFORE_THE_MEETING));
  const records = [];
  for (const event of events) records.push(await processEvent(event, runtime.queue));
  expect(records.map((r) => r.status)).toEqual(['executed', 'held', 'held']);
  held = events.slice(1).map((e) => e.id);
});
afterAll(async () => {
  await sandbox?.close();
});

const heldNow = async () => JSON.parse((await runCommand(tenantEnv, 'held', '--json')).stdout) as { eventId: string }[];

describe('delete-sync held / release / discard / decisions', () => {
  it('held: a table for people, JSON with --json', async () => {
    const table = await runCommand(tenantEnv, 'held');
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(table.stdout.split('\n')[0]).toMatch(/^EVENT\s+HELD AT\s+LIMIT\s+INITIATOR\s+RULE\s+RECORD\s+TARGETS$/);
    expect((await heldNow()).map((h) => h.eventId)).toEqual(held);
  });

  it('release without DATAVERSE_URL refuses, exit 2, and keeps the held deletes (it used to say "released" and drop them)', async () => {
    const result = await runCommand(env, 'release', held[0]!);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toMatch(/^delete-sync: DS_ERR_CONFIG: DATAVERSE_URL is required to perform held deletes; nothing was released \(at DATAVERSE_URL\)$/);
    expect((await heldNow()).map((h) => h.eventId)).toEqual(held);
  });

  it('an id that is not held stops the command before anything is done: exit 2', async () => {
    for (const command of ['release', 'discard']) {
      const result = await runCommand(tenantEnv, command, 'no-such-event', held[0]!);
      expect(result.code, command).toBe(2);
      expect(result.stderr.trim()).toBe('delete-sync: DS_ERR_NOT_FOUND: not held (see delete-sync held): no-such-event; nothing was done (at eventIds)');
    }
    expect((await heldNow()).map((h) => h.eventId)).toEqual(held);
  });

  it('release with the tenant performs the delete and says what became of it', async () => {
    const result = await runCommand(tenantEnv, 'release', held[0]!, '--json');
    const [released] = JSON.parse(result.stdout) as { eventId: string; result: string; status: string }[];
    expect(released).toMatchObject({ eventId: held[0], result: 'released' });
    // Exit 0 only when the decision was executed; anything else is reported as not done.
    expect(result.code).toBe(released!.status === 'executed' ? 0 : 1);
    expect((await heldNow()).map((h) => h.eventId)).toEqual(held.slice(1));
    held = held.slice(1);
  });

  it('discard --all asks first; with no terminal to ask on it needs --yes', async () => {
    const refused = await runCommand(tenantEnv, 'discard', '--all');
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe('delete-sync: DS_ERR_INVALID_PAYLOAD: Drop all 1 held delete(s): add --yes to confirm (no terminal to ask on) (at --yes)');
    expect(await heldNow()).toHaveLength(1);

    const done = await runCommand(tenantEnv, 'discard', '--all', '--yes', '--json');
    expect(done.code).toBe(0);
    expect(JSON.parse(done.stdout)).toEqual(held.map((eventId) => ({ eventId, result: 'discarded', status: 'discarded' })));
    expect(await heldNow()).toEqual([]);
  });

  it('decisions: the trail of one record, newest first, as a table or JSON; bad options exit 2', async () => {
    const json = await runCommand(env, 'decisions', '--record', `appointment:${MEETING_ID.toUpperCase()}`, '--json');
    expect(json.code).toBe(0);
    const decisions = JSON.parse(json.stdout) as { id: string; status: string; ruleId: string }[];
    expect(decisions.map((d) => d.status).sort()).toEqual(['discarded', 'executed', 'executed']);
    expect(new Set(decisions.map((d) => d.ruleId))).toEqual(new Set(['crm.appointment.active.future']));

    const table = await runCommand(env, 'decisions', '--limit', '2');
    expect(table.code).toBe(0);
    expect(table.stdout.trim().split('\n')).toHaveLength(3);

    const bad = await runCommand(env, 'decisions', '--limit', '0');
    expect(bad).toMatchObject({ code: 2, stdout: '', stderr: 'delete-sync: DS_ERR_INVALID_PAYLOAD: --limit must be a whole number from 1 to 500 (at --limit)\n' });
    expect((await runCommand(env, 'decisions', '--record', 'appointment')).code).toBe(2);
  });

  it('reads the same settings file npm start reads (--env-file), the environment winning over it', async () => {
    const file = join(dir, 'settings.env');
    writeFileSync(file, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n'));
    const fromFile = await runCommand({}, '--env-file', file, 'decisions', '--record', `appointment:${MEETING_ID}`, '--json');
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toHaveLength(3);
    const overridden = await runCommand({ TABLE_PREFIX: 'tnothinghere' }, '--env-file', file, 'decisions', '--json');
    expect(JSON.parse(overridden.stdout)).toEqual([]);
    const missing = await runCommand({}, '--env-file', join(tmpdir(), 'no-such-settings.env'), 'held');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/^delete-sync: DS_ERR_CONFIG: the settings file .+ does not exist \(at --env-file\)\n$/) });
  });
});
