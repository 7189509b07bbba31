/**
 * The explorer's APIs over Azurite: the bounded, paged decision query the search runs on (decisions
 * made by the processor from the Dataverse delete fixture at chosen times), the admin-key check and the
 * ignored forged principal header through both hosts, held release/discard against the confirmed delete
 * count, poison requeue, and the static page's file handling.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionsRuntime } from '../../functions/lib/runtime.js';
import { loadConfig } from '../../src/config.js';
import { normalizeDataverseWebhook } from '../../src/domain/normalize-dataverse.js';
import type { DomainEvent } from '../../src/domain/event.js';
import { createExplorerStaticHandler } from '../../src/handlers/explorer-static.js';
import { processEvent } from '../../src/pipeline/processor.js';
import { recordPoison } from '../../src/pipeline/message.js';
import { ROUTES } from '../../src/handlers/routes.js';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { silentLogger } from '../../src/log.js';
import { buildServer } from '../../src/server/app.js';
import type { DecisionRecord } from '../../src/store/decisions.js';
import { startTestAzurite, type TestAzurite } from '../helpers/azurite.js';
import { buildExplorer } from '../helpers/explorer-build.js';
import { fastifyHost, functionsHost, type Host } from '../helpers/hosts.js';
import { deleteBody, fixtureSubscription, request } from '../helpers/requests.js';
import { peekQueue, TEST_ADMIN_KEY, testEnv } from '../helpers/store.js';

let azurite: TestAzurite;
let runtime: Runtime;
let app: FastifyInstance;
let clock = new Date('2026-03-01T09:00:00Z');

beforeAll(async () => {
  azurite = await startTestAzurite();
  Object.assign(process.env, testEnv(azurite.connectionString, 'explorerfunctions'));
  runtime = createRuntime(loadConfig(testEnv(azurite.connectionString, 'explorer')), { log: silentLogger, now: () => clock });
  app = await buildServer(runtime.http);
});
afterAll(async () => {
  await app?.close();
  await azurite?.dispose();
});

/**
 * A Dataverse delete of appointment `id` (the fixture with that record), decided by the processor at `at`.
 * `seen`: the service knew the record before (its snapshot stored, as a Create or Update webhook leaves
 * it), without which a CRM delete of a meeting is never propagated.
 */
async function decideDelete(id: string, at: Date, target: Runtime = runtime, seen = false): Promise<{ event: DomainEvent; record: DecisionRecord }> {
  const body = deleteBody(randomUUID(), (b) => {
    const input = b.InputParameters as { value: { Id: string } }[];
    input[0]!.value.Id = id;
    const image = (b.PreEntityImages as { value: { Attributes: { key: string; value: unknown }[] } }[])[0]!.value;
    for (const a of image.Attributes) if (a.key === 'activityid') a.value = id;
  });
  const event = normalizeDataverseWebhook(body, {}, at);
  const snapshot = event.crm?.snapshot;
  if (seen && snapshot) await target.store.snapshots.put({ ...snapshot, takenAt: new Date(at.getTime() - 86_400_000).toISOString() });
  clock = at;
  const record = await processEvent(event, { ...target.queue, now: () => at });
  return { event, record };
}

const minutes = (n: number) => new Date(Date.parse('2026-03-01T09:00:00Z') + n * 60_000);

describe('decision query (store)', () => {
  const a = randomUUID();
  const b = randomUUID();
  const made: DecisionRecord[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 5; i++) made.push((await decideDelete(a, minutes(i * 2))).record);
    for (let i = 0; i < 3; i++) made.push((await decideDelete(b, minutes(i * 2 + 1))).record);
  });
  const newestFirst = (records: DecisionRecord[]) => [...records].sort((x, y) => y.decidedAt.localeCompare(x.decidedAt)).map((r) => r.id);

  it('pages a record newest first with a cursor until nothing is left', async () => {
    const ids: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const result = await runtime.store.decisions.query({ scopes: [{ kind: 'record', recordKey: `appointment:${a}` }], limit: 2, scanLimit: 100, cursor });
      ids.push(...result.decisions.map((d) => d.id));
      if (result.cursor === null) break;
      cursor = result.cursor;
    }
    expect(ids).toEqual(newestFirst(made.slice(0, 5)));
  });

  it('merges several record keys by time and keeps to the time range, both ends included', async () => {
    const scopes = [a, b].map((id) => ({ kind: 'record' as const, recordKey: `appointment:${id}` }));
    const page = await runtime.store.decisions.query({ scopes, from: minutes(1), to: minutes(5), limit: 50, scanLimit: 100 });
    const inRange = made.filter((r) => r.decidedAt >= minutes(1).toISOString() && r.decidedAt <= minutes(5).toISOString());
    expect(inRange).toHaveLength(5);
    expect(page.decisions.map((d) => d.id)).toEqual(newestFirst(inRange));
    expect(page.cursor).toBeNull();
  });

  it('reads no more than its scan budget per page, and the cursor carries a filtered search on', async () => {
    const scopes = [{ kind: 'record' as const, recordKey: `appointment:${a}` }];
    const wanted = new Set(made.slice(0, 2).map((r) => r.id));
    const first = await runtime.store.decisions.query({ scopes, limit: 10, scanLimit: 2, match: (r) => wanted.has(r.id) });
    // The two newest rows were read, and neither is wanted: an empty page that says where to go on.
    expect(first.decisions).toEqual([]);
    expect(first.cursor).not.toBeNull();
    const found: string[] = [];
    let cursor: string | null = first.cursor;
    while (cursor !== null) {
      const next = await runtime.store.decisions.query({ scopes, limit: 10, scanLimit: 2, match: (r) => wanted.has(r.id), cursor });
      found.push(...next.decisions.map((d) => d.id));
      cursor = next.cursor;
    }
    expect(found.sort()).toEqual([...wanted].sort());
  });
});

const hosts: [string, () => Host][] = [
  ['functions', () => functionsHost()],
  ['fastify', () => fastifyHost(app)],
];

/** X-MS-CLIENT-PRINCIPAL as App Service would send it for a signed-in operator. */
const principal = Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'roles', val: 'DeleteSync.Operator' }], role_typ: 'roles' })).toString('base64');

describe.each(hosts)('%s host', (_name, makeHost) => {
  it('answers the explorer APIs only with the admin key; a principal header grants nothing without Easy Auth', async () => {
    const host = makeHost();
    for (const path of ['/api/explorer/session', '/api/explorer/decisions', '/api/explorer/poison', '/api/explorer/subscriptions']) {
      expect((await host('GET', path)).status, path).toBe(401);
      const forged = await host('GET', path, { headers: { 'x-ms-client-principal': principal, 'x-ms-client-principal-name': 'mallory@contoso.test', 'x-ms-client-principal-idp': 'aad' } });
      expect(forged.status, path).toBe(401);
      expect(JSON.parse(forged.body)).toMatchObject({ code: 'DS_ERR_UNAUTHORIZED' });
    }
    const session = await host('GET', '/api/explorer/session', { headers: { 'x-admin-key': TEST_ADMIN_KEY } });
    expect(JSON.parse(session.body)).toEqual({ operator: { via: 'admin-key' }, easyAuth: false });
  });

  it('finds a record by its pasted URL and shows one decision with the rule sentence and the record\'s others', async () => {
    const host = makeHost();
    const target = _name === 'functions' ? functionsRuntime() : runtime;
    const id = randomUUID();
    const first = await decideDelete(id, minutes(30), target);
    const second = await decideDelete(id, minutes(31), target);
    const url = `https://contoso.crm.dynamics.com/main.aspx?pagetype=entityrecord&etn=appointment&id=%7B${id.toUpperCase()}%7D`;
    const found = await host('GET', '/api/explorer/decisions', { query: { record: url }, headers: { 'x-admin-key': TEST_ADMIN_KEY } });
    expect(found.status).toBe(200);
    const { decisions } = JSON.parse(found.body) as { decisions: { id: string; ruleId: string; rule: { sentence: string } | null }[] };
    expect(decisions.map((d) => d.id)).toEqual([second.record.id, first.record.id]);
    expect(decisions[0]!.rule?.sentence).toBe(second.record.reason);

    const one = await host('GET', '/api/explorer/decision', { query: { id: first.record.id }, headers: { 'x-admin-key': TEST_ADMIN_KEY } });
    const body = JSON.parse(one.body) as { decision: { ruleId: string }; related: { id: string }[] };
    expect(body.decision.ruleId).toBe(first.record.ruleId);
    expect(body.related.map((r) => r.id)).toEqual([second.record.id]);
    expect((await host('GET', '/api/explorer/decision', { query: { id: 'nope' }, headers: { 'x-admin-key': TEST_ADMIN_KEY } })).status).toBe(404);
    expect((await host('GET', '/api/explorer/decisions', { query: { outcome: 'gone' }, headers: { 'x-admin-key': TEST_ADMIN_KEY } })).status).toBe(400);
  });

  it('lists subscriptions with expiry and health, never their clientState', async () => {
    const target = _name === 'functions' ? functionsRuntime() : runtime;
    const subscription = fixtureSubscription({ id: randomUUID(), clientState: `secret-${randomUUID()}` });
    await target.store.subscriptions.put(subscription);
    const response = await makeHost()('GET', '/api/explorer/subscriptions', { headers: { 'x-admin-key': TEST_ADMIN_KEY } });
    expect(response.body).not.toContain(subscription.clientState);
    const rows = (JSON.parse(response.body) as { subscriptions: { subscriptionId: string; health: string; expirationDateTime: string }[] }).subscriptions;
    expect(rows.find((r) => r.subscriptionId === subscription.id)).toMatchObject({ expirationDateTime: subscription.expirationDateTime });
  });

  it('serves the page at /explorer/ (a redirect from /explorer) and nothing outside the build', async () => {
    const host = makeHost();
    const redirect = await host('GET', '/explorer');
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe('/explorer/');
  });
});

describe('held deletes through the API', () => {
  // The brake admits one propagated delete per user here; the fixture meeting starts 2025-01-04, so
  // deciding at the end of 2024 makes it a future meeting whose delete propagates.
  const beforeStart = new Date('2024-12-31T09:00:00Z');
  let braked: Runtime;
  beforeAll(() => {
    braked = createRuntime(loadConfig(testEnv(azurite.connectionString, 'explorerheld', { BRAKE_MAX_PER_USER: '1' })), { log: silentLogger, now: () => clock });
  });
  const call = (body: unknown) =>
    ROUTES.explorerHeldAction.create(braked.http)(
      request({ method: 'POST', path: '/api/explorer/held', headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    );

  it('releases only what the operator confirmed, and discards deleting nothing', async () => {
    const brake = braked.queue.brake!;
    const admitted = await decideDelete(randomUUID(), beforeStart, braked, true);
    const stopped = await decideDelete(randomUUID(), beforeStart, braked, true);
    expect(stopped.record.action).toBe('propagate');
    expect(await brake.hold(admitted.record, admitted.event)).toBeNull();
    expect((await brake.hold(stopped.record, stopped.event))?.status).toBe('held');
    const { event } = stopped;
    const eventIds = [event.id];
    const count = (await brake.held.get(event.id))!.targetCount;
    expect(count).toBe(stopped.record.targets.length);

    const wrong = await call({ action: 'release', eventIds, confirmedDeletes: count + 1 });
    expect(wrong.status).toBe(400);
    expect(JSON.parse(wrong.body)).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'confirmedDeletes' });
    expect(await brake.held.get(event.id)).not.toBeNull();
    expect((await braked.store.decisions.getByEvent(event.id))?.status).toBe('held');

    expect((await call({ action: 'release', eventIds: ['not-held'], confirmedDeletes: 0 })).status).toBe(404);
    expect((await call({ action: 'release', eventIds: [], confirmedDeletes: 0 })).status).toBe(400);

    const discarded = await call({ action: 'discard', eventIds, confirmedDeletes: count });
    expect(JSON.parse(discarded.body)).toEqual({ results: [{ eventId: event.id, result: 'discarded', status: 'discarded' }] });
    expect(await brake.held.get(event.id)).toBeNull();
    expect((await braked.store.decisions.getByEvent(event.id))?.status).toBe('discarded');
  });
});

describe('poison queue through the API', () => {
  it('lists a poison message with its recorded reason, and requeues it to be decided again', async () => {
    const { event } = await decideDelete(randomUUID(), minutes(90));
    await runtime.store.decisions.forgetEvent(event.id);
    const text = JSON.stringify({ kind: 'change', event });
    const max = runtime.queue.maxDequeueCount;
    await recordPoison(text, { messageId: 'm-1', dequeueCount: max }, new Error('Dataverse answered 500'), runtime.queue);
    await runtime.store.queue.poison({ messageId: 'm-1', popReceipt: 'p', dequeueCount: max, text });

    const headers = { 'x-admin-key': TEST_ADMIN_KEY };
    const listed = JSON.parse((await fastifyHost(app)('GET', '/api/explorer/poison', { headers })).body) as { messages: { messageId: string; kind: string; inputs: { eventId: string; reason: string; status: string }[] }[] };
    const entry = listed.messages.find((m) => m.inputs.some((i) => i.eventId === event.id));
    expect(entry).toMatchObject({ kind: 'change', inputs: [{ eventId: event.id, status: 'poisoned' }] });
    expect(entry!.inputs[0]!.reason).toContain('Dataverse answered 500');

    const requeue = await ROUTES.explorerRequeue.create(runtime.http)(
      request({ method: 'POST', path: '/api/explorer/poison/requeue', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ messageId: entry!.messageId }) }),
    );
    expect(JSON.parse(requeue.body)).toEqual({ requeued: true, eventIds: [event.id] });
    expect(await runtime.store.decisions.getByEvent(event.id)).toBeNull();
    expect(await peekQueue(azurite.connectionString, runtime.config.queue.name)).toContainEqual(JSON.parse(text));
    expect((await runtime.store.queue.peekPoisoned(32)).some((m) => m.messageId === entry!.messageId)).toBe(false);
    // Decided again as the queue delivers it: a fresh decision, not the poisoned record.
    expect((await processEvent(event, runtime.queue)).status).toBe('decided');
  });
});

describe('explorer page files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'explorer-build-'));
    await buildExplorer(dir);
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the build with a same-origin CSP, and refuses paths outside it', async () => {
    const page = createExplorerStaticHandler(runtime.http, dir);
    const index = await page(request({ method: 'GET', path: '/explorer/' }));
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.body).not.toMatch(/https?:\/\//);
    const [script] = (await readdir(path.join(dir, 'assets'))).filter((f) => f.endsWith('.js'));
    const asset = await page(request({ method: 'GET', path: `/explorer/assets/${script}` }));
    expect([asset.status, asset.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
    for (const outside of ['/explorer/..%2f..%2fpackage.json', '/explorer/%2e%2e/%2e%2e/package.json', '/explorer/assets/missing.js', '/explorer/%E0%A4%A']) {
      expect((await page(request({ method: 'GET', path: outside }))).status, outside).toBe(404);
    }
  });

  it('says how to build it when there is no build', async () => {
    const page = createExplorerStaticHandler(runtime.http, path.join(dir, 'nothing-here'));
    const response = await page(request({ method: 'GET', path: '/explorer/' }));
    expect(response.status).toBe(503);
    expect(response.body).toContain('npm run build:explorer');
  });
});
