/**
 * The idempotent consumer: receivers only enqueue, so one input may sit on the queue several times (a
 * sender's redelivery, a delete reported by notification and by delta). The first message to take an
 * input's key handles it, its own redeliveries too; every other copy is dropped. Claim-checked inputs
 * are read from the claims table and the row is removed once processed.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../src/domain/event.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { normalizeGraphNotification, outlookDeleteFromDelta, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { handleQueueMessage, type QueueHandlerDeps } from '../../../src/handlers/queue-message.js';
import { allDone, queueDeps } from '../../helpers/queue-deps.js';
import { enqueue } from '../../../src/pipeline/enqueue.js';
import type { Execute } from '../../../src/pipeline/processor.js';
import { outlookItemKey } from '../../../src/store/decisions.js';
import type { Config } from '../../../src/config.js';
import { createStorageClients } from '../../../src/store/clients.js';
import { createStore, type Store } from '../../../src/store/index.js';
import { PENDING_LIFECYCLE_NAMESPACE, type QueueMessage } from '../../../src/store/messages.js';
import { largeDeleteBody } from '../../../bench/bodies.js';
import { unreachableStorage, useTestAzurite } from '../../helpers/azurite.js';
import { DELETE_APPOINTMENT, EVENT_DELETED, fixtureJson, fixtureText } from '../../helpers/requests.js';
import { testStore } from '../../helpers/store.js';

const testAzurite = useTestAzurite();

let store: Store;
let config: Config;
let executions: string[];
beforeEach(() => {
  ({ store, config } = testStore(testAzurite().connectionString));
  executions = [];
});

const RECEIVED = new Date('2025-01-01T00:00:00Z');
/** Before the fixture meeting's start: a CRM delete propagates. */
const PROCESSED = new Date('2025-01-01T00:00:01Z');

/** The executor seam, counting what it is asked to carry out (one outcome per target, all done). */
const countingExecute: Execute = allDone(PROCESSED, (id) => executions.push(id));

const deps = (over: Partial<QueueHandlerDeps> = {}): QueueHandlerDeps => queueDeps(store, PROCESSED, { execute: countingExecute, ...over });

const crmDelete = (attendees = 0): DomainEvent => {
  const template = fixtureJson(DELETE_APPOINTMENT);
  const body = attendees === 0 ? JSON.stringify(template) : largeDeleteBody(template, attendees);
  return normalizeDataverseWebhook(body, {}, RECEIVED);
};
const meta = (messageId: string, dequeueCount = 1) => ({ messageId, dequeueCount });

describe('one input on the queue more than once', () => {
  it('is decided and executed once: the first message takes it, another message holding it is dropped', async () => {
    const event = crmDelete();
    const message: QueueMessage = { kind: 'change', event };
    await handleQueueMessage(message, meta('m-1'), deps());
    const first = await store.decisions.getByEvent(event.id);
    expect(first?.status).toBe('executed');
    await handleQueueMessage(message, meta('m-2'), deps());
    expect(executions).toEqual([event.id]);
    expect(await store.decisions.getByEvent(event.id)).toEqual(first);
  });

  it('is taken up again by a redelivery of the message that took it (its first attempt failed)', async () => {
    const event = crmDelete();
    const failing: Execute = async () => {
      throw new Error('Graph is down');
    };
    await expect(handleQueueMessage({ kind: 'change', event }, meta('m-1'), deps({ execute: failing }))).rejects.toThrow('Graph is down');
    // A copy from another delivery in between is dropped; it does not take the input away from m-1.
    await handleQueueMessage({ kind: 'change', event }, meta('m-2'), deps());
    expect(executions).toEqual([]);
    await handleQueueMessage({ kind: 'change', event }, meta('m-1', 2), deps());
    expect(executions).toEqual([event.id]);
    expect((await store.decisions.getByEvent(event.id))?.status).toBe('executed');
  });

  it('a delete reported by a notification and by a delta round gives one decision record', async () => {
    const [notification] = parseNotificationCollection(fixtureText(EVENT_DELETED));
    const fromNotification = normalizeGraphNotification(notification!, RECEIVED);
    const { userId, itemId } = fromNotification.outlook!;
    const fromDelta = outlookDeleteFromDelta(userId, 'event', itemId, null, new Date(RECEIVED.getTime() + 60_000));
    await handleQueueMessage({ kind: 'change', event: fromNotification }, meta('m-1'), deps());
    await handleQueueMessage({ kind: 'change', event: fromDelta }, meta('m-2'), deps());
    expect(await store.decisions.listByRecord(outlookItemKey(userId, itemId), 10)).toHaveLength(1);
  });

  it('inputs of one batch are each taken once, whichever message holds them', async () => {
    const a = crmDelete();
    const b = { ...crmDelete(), id: `${a.id}:other` };
    await handleQueueMessage({ kind: 'batch', items: [{ kind: 'change', event: a }] }, meta('m-1'), deps());
    await handleQueueMessage({ kind: 'batch', items: [{ kind: 'change', event: a }, { kind: 'change', event: b }] }, meta('m-2'), deps());
    expect(executions).toEqual([a.id, b.id]);
  });
});

describe('a poisoned message', () => {
  it('gives its inputs up, so the operator replaying it (a new message) has them handled', async () => {
    const notice = { id: 'lifecycle:s-1:missed::n-1', subscriptionId: 's-1', lifecycleEvent: 'missed' as const, tenantId: null, subscriptionExpirationDateTime: null, receivedAt: RECEIVED.toISOString() };
    const message: QueueMessage = { kind: 'lifecycle', notice };
    // The same tables, but the state table (where the notice is parked) unreachable.
    const down = createStorageClients({ kind: 'connectionString', connectionString: await unreachableStorage() });
    const up = createStorageClients(config.storage);
    const broken = createStore(config, { table: (name) => (name.endsWith('state') ? down.table(name) : up.table(name)), queue: up.queue });
    await expect(handleQueueMessage(message, meta('m-1', 5), deps({ store: broken }))).rejects.toThrow();
    expect((await store.decisions.getByEvent(notice.id))?.status).toBe('poisoned');
    await handleQueueMessage(message, meta('m-replay'), deps());
    expect(await store.state.get(PENDING_LIFECYCLE_NAMESPACE, notice.id)).toContain('"missed"');
  });
});

describe('a claim-checked input', () => {
  it('is read from the claims table, decided and executed, and its row removed; a redelivery then does nothing', async () => {
    const event = crmDelete(2000);
    await enqueue(store, [{ kind: 'change', event }], RECEIVED);
    const [received] = await store.queue.receive(1, 60);
    const message = JSON.parse(received!.text) as QueueMessage;
    expect(message.kind).toBe('claim');
    await handleQueueMessage(received!.text, meta(received!.messageId), deps());
    const record = await store.decisions.getByEvent(event.id);
    expect([record?.status, record?.targets.length]).toEqual(['executed', 2001]);
    expect(await store.claims.get((message as { claimId: string }).claimId)).toBeNull();
    await handleQueueMessage(received!.text, meta(received!.messageId, 2), deps());
    expect(executions).toEqual([event.id]);
  });
});
