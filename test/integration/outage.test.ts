/**
 * A storage outage: Azurite stopped under both hosts. Receivers answer 503 (the status Dataverse and
 * Graph retry), health says so, and once storage is back the retried deliveries are accepted and nothing
 * accepted before the outage is lost.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createRuntime, type Runtime } from '../../src/app/runtime.js';
import { silentLogger } from '../../src/log.js';
import { buildServer } from '../../src/server/app.js';
import { functionsRuntime } from '../../functions/lib/runtime.js';
import { startTestAzurite, type TestAzurite } from '../helpers/azurite.js';
import { fastifyHost, functionsHost, type Host } from '../helpers/hosts.js';
import { deleteBody, EVENT_DELETED, fixtureSubscription, fixtureText } from '../helpers/requests.js';
import { peekQueue, TEST_ADMIN_KEY, TEST_WEBHOOK_KEY, testEnv } from '../helpers/store.js';

let azurite: TestAzurite;
let app: FastifyInstance;
const runtimes: Record<string, Runtime> = {};

const envFor = (host: string, connectionString: string) => testEnv(connectionString, `outage${host}`);

beforeAll(async () => {
  azurite = await startTestAzurite({ persistent: true });
  Object.assign(process.env, envFor('functions', azurite.connectionString));
  runtimes.functions = functionsRuntime();
  runtimes.fastify = createRuntime(loadConfig(envFor('fastify', azurite.connectionString)), { log: silentLogger });
  app = await buildServer(runtimes.fastify.http);
});
afterAll(async () => {
  await app?.close();
  await azurite?.dispose();
});

describe('storage outage', () => {
  it('answers 503 on both hosts while storage is down, and loses nothing once it returns', async () => {
    const hosts: [string, Host][] = [
      ['functions', functionsHost()],
      ['fastify', fastifyHost(app)],
    ];
    const json = { 'content-type': 'application/json' };
    const before = randomUUID();
    const during = randomUUID();
    for (const [name, host] of hosts) {
      await runtimes[name]!.store.subscriptions.put(fixtureSubscription());
      const res = await host('POST', '/api/dataverse/webhook', { query: { code: TEST_WEBHOOK_KEY }, headers: json, body: deleteBody(before) });
      expect(res.status).toBe(202);
    }

    await azurite.stop();
    for (const [, host] of hosts) {
      const webhook = await host('POST', '/api/dataverse/webhook', { query: { code: TEST_WEBHOOK_KEY }, headers: json, body: deleteBody(during) });
      expect(webhook.status).toBe(503);
      expect(JSON.parse(webhook.body).code).toBe('DS_ERR_STORAGE_UNAVAILABLE');
      const graph = await host('POST', '/api/graph/notifications', { headers: json, body: fixtureText(EVENT_DELETED) });
      expect(graph.status).toBe(503);
      expect((await host('GET', '/api/health')).status).toBe(503);
      expect((await host('GET', '/api/decisions', { headers: { 'x-admin-key': TEST_ADMIN_KEY } })).status).toBe(503);
    }

    await azurite.restart();
    for (const [name, host] of hosts) {
      // The senders retry what got 503.
      const webhook = await host('POST', '/api/dataverse/webhook', { query: { code: TEST_WEBHOOK_KEY }, headers: json, body: deleteBody(during) });
      expect(webhook.status).toBe(202);
      expect((await host('POST', '/api/graph/notifications', { headers: json, body: fixtureText(EVENT_DELETED) })).status).toBe(202);
      const messages = (await peekQueue(azurite.connectionString, runtimes[name]!.config.queue.name)) as {
        event: { crm?: { operationId: string }; origin: string };
      }[];
      expect(messages.map((m) => m.event.crm?.operationId ?? m.event.origin).sort()).toEqual([before, during, 'outlook'].sort());
    }
  });
});
