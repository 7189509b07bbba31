import { QueueClient } from '@azure/storage-queue';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import type { QueueHandlerDeps } from '../../../src/handlers/queue-message.js';
import { PENDING_LIFECYCLE_NAMESPACE } from '../../../src/store/messages.js';
import { silentLogger } from '../../../src/log.js';
import { createQueueWorker } from '../../../src/server/worker.js';
import type { Store } from '../../../src/store/index.js';
import { encodeMessageText } from '../../../src/store/queue.js';
import { useTestAzurite } from '../../helpers/azurite.js';
import { DELETE_APPOINTMENT, fixtureText } from '../../helpers/requests.js';
import { peekQueue, testStore } from '../../helpers/store.js';

const testAzurite = useTestAzurite();

let config: Config;
let store: Store;
let deps: QueueHandlerDeps;
const now = new Date('2025-01-02T00:00:00Z');

beforeEach(() => {
  ({ config, store } = testStore(testAzurite().connectionString, { MAX_DEQUEUE_COUNT: '3' }));
  deps = {
    store,
    log: silentLogger,
    now: () => now,
    dryRun: false,
    maxDequeueCount: config.queue.maxDequeueCount,
    poisonQueueName: config.queue.poisonName,
  };
});

/** Puts raw text on the queue as base64, as the Functions host and this service write it. */
async function putRaw(text: string) {
  const client = new QueueClient(testAzurite().connectionString, config.queue.name);
  await client.createIfNotExists();
  await client.sendMessage(encodeMessageText(text));
}

describe('queue worker (Functions semantics)', () => {
  it('processes a change message, writes its decision record and deletes the message', async () => {
    const event = normalizeDataverseWebhook(fixtureText(DELETE_APPOINTMENT), {}, now);
    await store.queue.send({ kind: 'change', event });
    const worker = createQueueWorker(deps, config.queue);
    expect(await worker.runOnce()).toBe(1);
    expect((await store.decisions.getByEvent(event.id))?.ruleId).toBe('crm.appointment.active.future');
    expect(await worker.runOnce()).toBe(0);
  });

  it('retries a failing message, then moves it to poison with a decision record saying why', async () => {
    await putRaw('this is not JSON');
    const worker = createQueueWorker(deps, config.queue);
    for (let attempt = 1; attempt <= 3; attempt++) expect(await worker.runOnce()).toBe(1);
    expect(await worker.runOnce()).toBe(0);
    expect(await peekQueue(testAzurite().connectionString, config.queue.name)).toEqual([]);
    const poison = new QueueClient(testAzurite().connectionString, config.queue.poisonName);
    const [poisoned] = (await poison.peekMessages()).peekedMessageItems;
    expect(Buffer.from(poisoned!.messageText, 'base64').toString('utf8')).toBe('this is not JSON');
    const [record] = await store.decisions.listRecent(10);
    expect(record).toMatchObject({ status: 'poisoned', ruleId: 'system.poison', action: 'skip', recordKey: 'unparsed:message' });
    expect(record?.reason).toContain('failed 3 times');
    expect(record?.reason).toContain('DS_ERR_BAD_JSON');
    expect(record?.reason).toContain(config.queue.poisonName);
  });

  it('parks lifecycle notices for the subscription manager when none is plugged in', async () => {
    const notice = {
      id: 'lifecycle:s1:missed:',
      subscriptionId: 's1',
      lifecycleEvent: 'missed' as const,
      tenantId: null,
      subscriptionExpirationDateTime: null,
      receivedAt: now.toISOString(),
    };
    await store.queue.send({ kind: 'lifecycle', notice });
    const worker = createQueueWorker(deps, config.queue);
    expect(await worker.runOnce()).toBe(1);
    expect(JSON.parse((await store.state.get(PENDING_LIFECYCLE_NAMESPACE, notice.id))!)).toEqual(notice);
  });

  it('hands lifecycle notices to the subscription manager when one is plugged in', async () => {
    const seen: string[] = [];
    const notice = {
      id: 'lifecycle:s2:subscriptionRemoved:',
      subscriptionId: 's2',
      lifecycleEvent: 'subscriptionRemoved' as const,
      tenantId: null,
      subscriptionExpirationDateTime: null,
      receivedAt: now.toISOString(),
    };
    await store.queue.send({ kind: 'lifecycle', notice });
    const worker = createQueueWorker({ ...deps, handleLifecycle: async (n) => void seen.push(n.subscriptionId) }, config.queue);
    await worker.runOnce();
    expect(seen).toEqual(['s2']);
  });

  it('polls in the background until stopped', async () => {
    const worker = createQueueWorker(deps, config.queue);
    worker.start();
    const event = normalizeDataverseWebhook(fixtureText(DELETE_APPOINTMENT), {}, now);
    await store.queue.send({ kind: 'change', event });
    await expect.poll(() => store.decisions.getByEvent(event.id), { timeout: 10_000, interval: 100 }).not.toBeNull();
    await worker.stop();
  });
});
