/**
 * Every receiver status through both hosts: the Functions handlers (HttpRequest/InvocationContext) and
 * the Fastify app (inject), over Azurite started here.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { silentLogger } from '../../src/log.js';
import { buildServer } from '../../src/server/app.js';
import { createQueueWorker } from '../../src/server/worker.js';
import azfunc from '@azure/functions';
import { functionsRuntime } from '../../functions/lib/runtime.js';
import { processChanges } from '../../functions/process-changes.js';
import { normalizeDataverseWebhook } from '../../src/domain/normalize-dataverse.js';
import { startTestAzurite, type TestAzurite } from '../helpers/azurite.js';
import { fastifyHost, functionsHost, type Host } from '../helpers/hosts.js';
import {
  deleteBody,
  EVENT_DELETED,
  fixtureJson,
  fixtureSubscription,
  fixtureText,
  LIFECYCLE_REAUTHORIZE,
  lifecycleSubscription,
} from '../helpers/requests.js';
import { peekQueue, TEST_ADMIN_KEY, TEST_WEBHOOK_KEY, testEnv } from '../helpers/store.js';

const { InvocationContext } = azfunc;

let azurite: TestAzurite;
let app: FastifyInstance;
const runtimes: Record<string, Runtime> = {};

const envFor = (host: string, connectionString: string) => testEnv(connectionString, `hosts${host}`, { MAX_BODY_BYTES: '65536' });

beforeAll(async () => {
  azurite = await startTestAzurite();
  // The Functions host reads app settings from the environment on first use.
  Object.assign(process.env, envFor('functions', azurite.connectionString));
  runtimes.functions = functionsRuntime();
  runtimes.fastify = createRuntime(loadConfig(envFor('fastify', azurite.connectionString)), { log: silentLogger });
  app = await buildServer(runtimes.fastify.http);
  for (const runtime of Object.values(runtimes)) {
    await runtime.store.subscriptions.put(fixtureSubscription());
    await runtime.store.subscriptions.put(lifecycleSubscription());
  }
});
afterAll(async () => {
  await app?.close();
  await azurite?.dispose();
});

const hosts: [string, () => Host][] = [
  ['functions', () => functionsHost()],
  ['fastify', () => fastifyHost(app)],
];

describe.each(hosts)('%s host', (name, makeHost) => {
  const host = (...args: Parameters<Host>) => makeHost()(...args);
  const runtime = () => runtimes[name]!;
  const queued = () => peekQueue(azurite.connectionString, runtime().config.queue.name);
  const json = { 'content-type': 'application/json' };
  const key = { code: TEST_WEBHOOK_KEY };
  const admin = { 'x-admin-key': TEST_ADMIN_KEY };

  async function queueGrowth(action: () => Promise<unknown>): Promise<number> {
    const before = (await queued()).length;
    await action();
    return (await queued()).length - before;
  }

  it('Dataverse Delete with the right key: 202, then a decision record readable at /api/decisions', async () => {
    const operationId = randomUUID();
    const res = await host('POST', '/api/dataverse/webhook', { query: key, headers: json, body: deleteBody(operationId) });
    expect(res.status).toBe(202);
    const worker = createQueueWorker(runtime().queue, runtime().config.queue);
    while ((await worker.runOnce()) > 0);
    const list = await host('GET', '/api/decisions', {
      query: { record: 'appointment:00000000-0000-0000-0000-0000000A0001', limit: '5' },
      headers: admin,
    });
    expect(list.status).toBe(200);
    expect(list.headers['content-type']).toContain('application/json');
    const { decisions } = JSON.parse(list.body) as { decisions: { id: string; ruleId: string; input: { crm: { operationId: string } } }[] };
    const mine = decisions.find((d) => d.input.crm.operationId === operationId);
    expect(mine?.ruleId).toMatch(/^crm\.appointment\.active\./);
    const recent = JSON.parse((await host('GET', '/api/decisions', { headers: admin })).body) as { decisions: unknown[] };
    expect(recent.decisions.length).toBeGreaterThan(0);
  });

  it('Dataverse redelivery: 202 twice, one decision (the processor drops the second message)', async () => {
    const operationId = randomUUID();
    const body = deleteBody(operationId);
    const growth = await queueGrowth(async () => {
      expect((await host('POST', '/api/dataverse/webhook', { query: key, headers: json, body })).status).toBe(202);
      expect((await host('POST', '/api/dataverse/webhook', { query: key, headers: json, body })).status).toBe(202);
    });
    expect(growth).toBe(2);
    const worker = createQueueWorker(runtime().queue, runtime().config.queue);
    while ((await worker.runOnce()) > 0);
    const recent = await runtime().store.decisions.listRecent(100);
    expect(recent.filter((d) => d.input?.crm?.operationId === operationId)).toHaveLength(1);
  });

  it('Dataverse size-exceeded body: 202, kept with the pre-image missing', async () => {
    const operationId = randomUUID();
    const body = deleteBody(operationId, (b) => {
      b.InputParameters = [];
      b.PreEntityImages = [];
    });
    const res = await host('POST', '/api/dataverse/webhook', {
      query: key,
      headers: { ...json, 'x-ms-dynamics-msg-size-exceeded': 'true' },
      body,
    });
    expect(res.status).toBe(202);
    const messages = (await queued()) as { event: { crm: { operationId: string; preImageMissing: boolean; sizeExceeded: boolean } } }[];
    expect(messages.find((m) => m.event.crm.operationId === operationId)?.event.crm).toMatchObject({
      preImageMissing: true,
      sizeExceeded: true,
    });
  });

  it.each([
    ['no key', 401, {}, json, () => deleteBody(randomUUID())],
    ['a wrong key', 401, { code: 'x'.repeat(27) }, json, () => deleteBody(randomUUID())],
    ['malformed JSON', 400, key, json, () => '{"OperationId": '],
    ['an invalid payload', 400, key, json, () => JSON.stringify({ MessageName: 'Delete' })],
    // Dataverse's Content-Type is undocumented: a JSON body is taken whatever the type, anything else is a 400.
    ['a non-JSON body under another content type', 400, key, { 'content-type': 'text/xml' }, () => '<Delete/>'],
    ['a body over the limit', 413, key, json, () => ' '.repeat(70_000)],
  ])('Dataverse %s: %i, coded JSON, nothing queued', async (_what, status, query, headers, body) => {
    const growth = await queueGrowth(async () => {
      const res = await host('POST', '/api/dataverse/webhook', { query, headers, body: body() });
      expect(res.status).toBe(status);
      expect(JSON.parse(res.body)).toMatchObject({ code: expect.stringMatching(/^DS_ERR_/), message: expect.any(String) });
    });
    expect(growth).toBe(0);
  });

  it.each(['a+b c', '100% sure', '<script>alert("x")</script>', 'Validation: Testing client application reachability'])(
    'Graph handshake echoes %j exactly as text/plain with nosniff',
    async (token) => {
      for (const path of ['/api/graph/notifications', '/api/graph/lifecycle']) {
        const res = await host('POST', path, { query: { validationToken: token }, headers: { 'content-type': 'text/plain' } });
        expect(res.status).toBe(200);
        expect(res.body).toBe(token);
        expect(res.headers['content-type']).toMatch(/^text\/plain/);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
    },
  );

  it('Graph notifications: valid enqueued once per delivery, unknown subscription and wrong tenant dropped, 202', async () => {
    const body = fixtureJson<{ value: Record<string, unknown>[] }>(EVENT_DELETED);
    const valid = body.value[0]!;
    const validId = `item-${randomUUID()}`;
    valid.resourceData = { ...(valid.resourceData as object), id: validId };
    const unknownId = `u1-${randomUUID()}`;
    const wrongTenantId = `u2-${randomUUID()}`;
    body.value.push({ ...valid, subscriptionId: 'unknown-subscription', resourceData: { id: unknownId } });
    body.value.push({ ...valid, tenantId: '00000000-0000-0000-0000-000000000bad', resourceData: { id: wrongTenantId } });
    const growth = await queueGrowth(async () => {
      const res = await host('POST', '/api/graph/notifications', { headers: json, body: JSON.stringify(body) });
      expect(res.status).toBe(202);
      const again = await host('POST', '/api/graph/notifications', { headers: json, body: JSON.stringify(body) });
      expect(again.status).toBe(202);
    });
    // One message per delivery (the processor drops the second); the dropped items left nothing.
    expect(growth).toBe(2);
    const items = ((await queued()) as { event?: { outlook?: { itemId: string } } }[]).map((m) => m.event?.outlook?.itemId);
    expect(items.filter((id) => id === validId)).toHaveLength(2);
    expect(items).not.toContain(unknownId);
    expect(items).not.toContain(wrongTenantId);
  });

  it('Graph lifecycle: 202, enqueued as a lifecycle message', async () => {
    const res = await host('POST', '/api/graph/lifecycle', { headers: json, body: fixtureText(LIFECYCLE_REAUTHORIZE) });
    expect(res.status).toBe(202);
    const messages = (await queued()) as { kind: string; notice?: { subscriptionId: string } }[];
    expect(messages.filter((m) => m.kind === 'lifecycle').map((m) => m.notice?.subscriptionId)).toEqual([lifecycleSubscription().id]);
  });

  it('decisions API: 401 without or with a wrong admin key, 400 for a bad limit', async () => {
    expect((await host('GET', '/api/decisions')).status).toBe(401);
    expect((await host('GET', '/api/decisions', { headers: { 'x-admin-key': 'wrong' } })).status).toBe(401);
    const bad = await host('GET', '/api/decisions', { headers: admin, query: { limit: '0' } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'limit' });
  });

  it('health: 200 while storage answers', async () => {
    const res = await host('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ status: 'ok', storage: 'ok' });
  });
});

describe('functions queue trigger (processChanges)', () => {
  const context = (dequeueCount: number, id: string) =>
    new InvocationContext({ functionName: 'processChanges', triggerMetadata: { dequeueCount, id } });

  it('decides a change message as the host hands it over (JSON already parsed)', async () => {
    const event = normalizeDataverseWebhook(deleteBody(randomUUID()), {}, new Date());
    await processChanges({ kind: 'change', event }, context(1, 'm-ok'));
    expect((await runtimes.functions!.store.decisions.getByEvent(event.id))?.status).toBe('decided');
  });

  it('throws so the host retries, and on the last attempt records why before the host poisons it', async () => {
    const max = runtimes.functions!.config.queue.maxDequeueCount;
    await expect(processChanges({ kind: 'nonsense' }, context(1, 'm-bad'))).rejects.toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD' });
    expect(await runtimes.functions!.store.decisions.getByEvent('message:m-bad')).toBeNull();
    await expect(processChanges({ kind: 'nonsense' }, context(max, 'm-bad'))).rejects.toThrow();
    const record = await runtimes.functions!.store.decisions.getByEvent('message:m-bad');
    expect(record).toMatchObject({ status: 'poisoned', ruleId: 'system.poison' });
    expect(record?.reason).toContain(`failed ${max} times`);
    expect(record?.reason).toContain(runtimes.functions!.config.queue.poisonName);
  });
});

describe('fastify host only', () => {
  it('answers unknown paths 404 in the coded form', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'DS_ERR_NOT_FOUND' });
  });

  it('answers a body far over the limit 413 in the coded form, before any handler', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/graph/notifications',
      headers: { 'content-type': 'application/json' },
      payload: ' '.repeat(200_000),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ code: 'DS_ERR_BODY_TOO_LARGE' });
  });
});
