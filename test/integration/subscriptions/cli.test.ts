/**
 * The `delete-sync` subscribe, subscriptions and backfill commands, run through the program shell with
 * the service's settings in the environment, against the sandbox and Azurite the test started (the
 * commands sign in and trust the sandbox CA as the service would: EXTRA_CA_FILE, AZURE_*). The spawned
 * binary itself is covered by test/unit/cli/bin.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register as registerBackfill } from '../../../src/cli/commands/backfill.js';
import { register as registerSubscribe } from '../../../src/cli/commands/subscribe.js';
import { register as registerSubscriptions } from '../../../src/cli/commands/subscriptions.js';
import { createProgram, runCli } from '../../../src/cli/program.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let env: Record<string, string>;
const saved = { ...process.env };

beforeAll(async () => {
  h = await startHarness(['Cleo Cli'], { realTime: true });
  const caFile = join(mkdtempSync(join(tmpdir(), 'delete-sync-ca-')), 'sandbox-ca.pem');
  writeFileSync(caFile, h.sandbox.ca);
  const [cleo] = h.users;
  env = {
    STORAGE_CONNECTION_STRING: h.connectionString,
    TABLE_PREFIX: h.config.tablePrefix,
    QUEUE_NAME: h.config.queue.name,
    POISON_QUEUE_NAME: h.config.queue.poisonName,
    GRAPH_TENANT_ID: h.sandbox.tenantId,
    DATAVERSE_URL: h.sandbox.dataverseUrl,
    GRAPH_BASE_URL: h.sandbox.graphUrl,
    EXTRA_CA_FILE: caFile,
    AZURE_TENANT_ID: h.sandbox.tenantId,
    AZURE_CLIENT_ID: h.sandbox.client.clientId,
    AZURE_CLIENT_SECRET: h.sandbox.client.clientSecret,
    AZURE_AUTHORITY_HOST: h.sandbox.loginUrl,
    SYNC_USERS: cleo!.userPrincipalName,
    PUBLIC_BASE_URL: h.config.sync.publicBaseUrl!,
  };
  Object.assign(process.env, env);
  for (let i = 0; i < 3; i++) h.sandbox.graph.createContact(cleo!.id, { displayName: `Contact ${i}` });
});
afterAll(async () => {
  for (const name of Object.keys(env)) delete process.env[name];
  Object.assign(process.env, saved);
  await h?.close();
});

/** One command through the real program shell, its stdout and stderr captured. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const program = createProgram();
  registerSubscribe(program);
  registerSubscriptions(program);
  registerBackfill(program);
  const out = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => ((out.stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((out.stderr += String(chunk)), true)) as typeof process.stderr.write;
  try {
    const code = await runCli(program, ['node', 'delete-sync', ...args]);
    return { code, ...out };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
}

describe('delete-sync subscribe / subscriptions / backfill (through the program shell)', () => {
  it('subscribe creates the subscriptions; subscriptions lists them with expiry and health', async () => {
    const [cleo] = h.users;
    const empty = await cli('subscriptions');
    expect(empty).toMatchObject({ code: 0, stdout: 'No subscriptions yet: run delete-sync subscribe.\n' });

    const subscribed = await cli('subscribe');
    expect(subscribed.code).toBe(0);
    expect(subscribed.stdout).toMatch(/^USER\s+KIND\s+ACTION\s+SUBSCRIPTION\s+DETAIL\n/);
    expect(subscribed.stdout).toContain('3 created, 0 renewed, 0 recreated, 0 kept, 0 removed, 0 blocked, 0 failed');
    expect(h.sandbox.graph.listSubscriptions()).toHaveLength(3);

    const listed = await cli('subscriptions', '--json');
    const rows = JSON.parse(listed.stdout) as { userId: string; itemKind: string; health: string; expirationDateTime: string }[];
    expect(rows.map((r) => [r.userId, r.itemKind, r.health])).toEqual([
      [cleo!.id, 'contact', 'ok'],
      [cleo!.id, 'event', 'ok'],
      [cleo!.id, 'message', 'ok'],
    ]);
    const table = await cli('subscriptions');
    expect(table.stdout.split('\n')[0]).toMatch(/^USER\s+KIND\s+SUBSCRIPTION\s+EXPIRES\s+RENEW AT\s+HEALTH\s+DETAIL$/);
    // Secrets stay in the store.
    for (const sub of h.sandbox.graph.listSubscriptions()) expect(`${subscribed.stdout}${listed.stdout}${table.stdout}`).not.toContain(sub.clientState);
  });

  it('backfill stops at --max-items and the next run resumes; bad input is one coded line', async () => {
    const first = await cli('backfill', '--max-items', '2', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ processed: 2, complete: false, imported: null });
    const second = await cli('backfill');
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('items read: 1 (0 linked, 0 already linked, 1 not in CRM)');
    expect(second.stdout).toContain('(resumed)');
    expect(second.stdout.trim().endsWith('complete')).toBe(true);

    const bad = await cli('backfill', '--max-items', 'many');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('delete-sync: DS_ERR_INVALID_PAYLOAD: --max-items must be a whole number above 0 (at --max-items)');
  });

  it('subscribe exits 1 when subscriptions fail (the table still says which); an interrupted backfill exits 130', async () => {
    // Nothing listens there: Graph's validation of the notification URL fails, so creating subscriptions does.
    process.env.PUBLIC_BASE_URL = 'http://127.0.0.1:9';
    const dora = h.sandbox.directory.add({ displayName: 'Dora Down' });
    process.env.SYNC_USERS = `${env.SYNC_USERS},${dora.userPrincipalName}`;
    try {
      const failed = await cli('subscribe');
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/[1-9]\d* failed/);
      expect(failed.stderr.trim().split('\n').at(-1)).toMatch(/^delete-sync: \d+ of \d+ subscriptions failed or blocked$/);
    } finally {
      process.env.PUBLIC_BASE_URL = env.PUBLIC_BASE_URL;
      process.env.SYNC_USERS = env.SYNC_USERS;
    }
    // Fixed (the URL back): subscribed again, exit 0; nothing is left pointing at the dead URL.
    expect((await cli('subscribe')).code).toBe(0);

    for (let i = 0; i < 20; i++) h.sandbox.graph.createContact(h.users[0]!.id, { displayName: `More ${i}` });
    const before = process.listenerCount('SIGINT');
    const running = cli('backfill', '--json');
    // Ctrl+C once the command listens for it.
    while (process.listenerCount('SIGINT') === before) await new Promise((resolve) => setTimeout(resolve, 5));
    process.emit('SIGINT');
    const interrupted = await running;
    expect(interrupted.code).toBe(130);
    expect(JSON.parse(interrupted.stdout)).toMatchObject({ complete: false });
    expect(interrupted.stderr.trim().split('\n').at(-1)).toBe('delete-sync: interrupted: run backfill again to resume');
    // The notifications of the new contacts are answered before the harness closes.
    await h.drain();
  });
});
