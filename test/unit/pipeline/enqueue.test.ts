import { beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import { createDataverseWebhookHandler } from '../../../src/handlers/dataverse-webhook.js';
import type { HandlerDeps } from '../../../src/handlers/deps.js';
import type { Handler } from '../../../src/handlers/http.js';
import { createGraphNotificationsHandler } from '../../../src/handlers/graph-notifications.js';
import { createLogger } from '../../../src/log.js';
import { createStorageClients } from '../../../src/store/clients.js';
import { createStore, type Store } from '../../../src/store/index.js';
import { unreachableStorage, useTestAzurite } from '../../helpers/azurite.js';
import { DELETE_APPOINTMENT, EVENT_DELETED, fixtureSubscription, fixtureText, request } from '../../helpers/requests.js';
import { peekQueue, TEST_WEBHOOK_KEY, testStore } from '../../helpers/store.js';

const testAzurite = useTestAzurite();

let config: Config;
let store: Store;
const deps = (over: Partial<HandlerDeps> = {}): HandlerDeps => ({
  config,
  store,
  now: () => new Date('2026-01-01T00:00:00Z'),
  log: createLogger({ level: 'error', sink: () => undefined }),
  ...over,
});

/** The same tables with the queue down: the claim is written, then the enqueue fails. */
async function storeWithQueueDown(): Promise<Store> {
  const down = createStorageClients({ kind: 'connectionString', connectionString: await unreachableStorage() });
  return createStore(config, { table: createStorageClients(config.storage).table, queue: down.queue });
}

beforeEach(async () => {
  ({ config, store } = testStore(testAzurite().connectionString));
  await store.subscriptions.put(fixtureSubscription());
});

describe('a delivery whose enqueue failed', () => {
  it.each<[string, (d: HandlerDeps) => Handler, Parameters<typeof request>[0]]>([
    ['a Graph notification', createGraphNotificationsHandler, { body: fixtureText(EVENT_DELETED) }],
    ['a Dataverse Delete', createDataverseWebhookHandler, { query: { code: TEST_WEBHOOK_KEY }, body: fixtureText(DELETE_APPOINTMENT) }],
  ])('answers %s 503, and its retry 202 with one message, not as a duplicate', async (_name, create, input) => {
    const failed = await create(deps({ store: await storeWithQueueDown() }))(request(input));
    expect(failed.status).toBe(503);
    expect(await peekQueue(testAzurite().connectionString, config.queue.name)).toHaveLength(0);

    const handler = create(deps());
    expect((await handler(request(input))).status).toBe(202);
    expect(await peekQueue(testAzurite().connectionString, config.queue.name)).toHaveLength(1);
    // Marked once it is on the queue: a third delivery is the duplicate.
    expect((await handler(request(input))).status).toBe(202);
    expect(await peekQueue(testAzurite().connectionString, config.queue.name)).toHaveLength(1);
  });
});
