import { beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import type { DomainEvent } from '../../../src/domain/event.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { createDataverseWebhookHandler } from '../../../src/handlers/dataverse-webhook.js';
import type { HandlerDeps } from '../../../src/handlers/deps.js';
import type { Handler } from '../../../src/handlers/http.js';
import { createGraphNotificationsHandler } from '../../../src/handlers/graph-notifications.js';
import { createLogger } from '../../../src/log.js';
import { enqueue, MAX_MESSAGE_JSON_BYTES } from '../../../src/pipeline/enqueue.js';
import { createStorageClients } from '../../../src/store/clients.js';
import { createStore, type Store } from '../../../src/store/index.js';
import type { ItemMessage, QueueMessage } from '../../../src/store/messages.js';
import { largeDeleteBody } from '../../../bench/bodies.js';
import { unreachableStorage, useTestAzurite } from '../../helpers/azurite.js';
import { DELETE_APPOINTMENT, EVENT_DELETED, fixtureJson, fixtureSubscription, fixtureText, request } from '../../helpers/requests.js';
import { peekQueue, TEST_WEBHOOK_KEY, testStore } from '../../helpers/store.js';

const testAzurite = useTestAzurite();

let config: Config;
let store: Store;
const AT = new Date('2026-01-01T00:00:00Z');
const deps = (over: Partial<HandlerDeps> = {}): HandlerDeps => ({
  config,
  store,
  now: () => AT,
  log: createLogger({ level: 'error', sink: () => undefined }),
  ...over,
});
const queued = async () => (await peekQueue(testAzurite().connectionString, config.queue.name)) as QueueMessage[];

/** The same tables with the queue down. */
async function storeWithQueueDown(): Promise<Store> {
  const down = createStorageClients({ kind: 'connectionString', connectionString: await unreachableStorage() });
  return createStore(config, { table: createStorageClients(config.storage).table, queue: down.queue });
}

/** The Delete fixture's event with `attendees` required attendees (as Dataverse sends a large meeting). */
function meetingDelete(attendees: number): DomainEvent {
  return normalizeDataverseWebhook(largeDeleteBody(fixtureJson(DELETE_APPOINTMENT), attendees), {}, AT);
}

beforeEach(async () => {
  ({ config, store } = testStore(testAzurite().connectionString));
  await store.subscriptions.put(fixtureSubscription());
});

describe('a delivery whose enqueue failed', () => {
  it.each<[string, (d: HandlerDeps) => Handler, Parameters<typeof request>[0]]>([
    ['a Graph notification', createGraphNotificationsHandler, { body: fixtureText(EVENT_DELETED) }],
    ['a Dataverse Delete', createDataverseWebhookHandler, { query: { code: TEST_WEBHOOK_KEY }, body: fixtureText(DELETE_APPOINTMENT) }],
  ])('answers %s 503, and its retry 202 with one message', async (_name, create, input) => {
    const failed = await create(deps({ store: await storeWithQueueDown() }))(request(input));
    expect(failed.status).toBe(503);
    expect(await queued()).toHaveLength(0);

    expect((await create(deps())(request(input))).status).toBe(202);
    expect(await queued()).toHaveLength(1);
  });
});

describe('enqueue', () => {
  it('puts the inputs of one request into one message when they fit', async () => {
    const events = [meetingDelete(1), meetingDelete(2), meetingDelete(3)].map((event, n) => ({ ...event, id: `e${n}` }));
    await enqueue(store, events.map((event): ItemMessage => ({ kind: 'change', event })), AT);
    const [message, ...others] = await queued();
    expect(others).toEqual([]);
    expect(message).toMatchObject({ kind: 'batch', items: events.map((event) => ({ kind: 'change', event: { id: event.id } })) });
  });

  it('packs many inputs into messages that each stay under the queue-message limit', async () => {
    const event = meetingDelete(20);
    const items = Array.from({ length: 40 }, (_, n): ItemMessage => ({ kind: 'change', event: { ...event, id: `e${n}` } }));
    expect(Buffer.byteLength(JSON.stringify(items))).toBeGreaterThan(MAX_MESSAGE_JSON_BYTES);
    await enqueue(store, items, AT);
    const messages = await queued();
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(Buffer.byteLength(JSON.stringify(m))).toBeLessThanOrEqual(MAX_MESSAGE_JSON_BYTES);
    const ids = messages.flatMap((m) => (m.kind === 'batch' ? m.items : m.kind === 'change' ? [m] : [])).map((i) => (i.kind === 'change' ? i.event.id : ''));
    expect(ids).toEqual(items.map((_, n) => `e${n}`));
  });

  it('stores an input too large for a message in the claims table first and enqueues its reference', async () => {
    const event = meetingDelete(2000);
    expect(Buffer.byteLength(JSON.stringify(event))).toBeGreaterThan(64 * 1024);
    await enqueue(store, [{ kind: 'change', event }], AT);
    const [message, ...others] = await queued();
    expect(others).toEqual([]);
    expect(message).toEqual({ kind: 'claim', claimId: expect.any(String) });
    const claimed = await store.claims.get((message as { claimId: string }).claimId);
    expect(claimed).toEqual({ kind: 'change', event });
  });
});
