import { QueueClient } from '@azure/storage-queue';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CrmSnapshot } from '../../../src/domain/event.js';
import type { Link } from '../../../src/domain/link.js';
import type { DecisionRecord } from '../../../src/store/decisions.js';
import type { Store } from '../../../src/store/index.js';
import { unreachableStorage, useTestAzurite } from '../../helpers/azurite.js';
import { testStore } from '../../helpers/store.js';
import type { Config } from '../../../src/config.js';

const azurite = useTestAzurite();
let store: Store;
let config: Config;

beforeAll(() => {
  ({ store, config } = testStore(azurite().connectionString));
});

// Outlook ids carry / + and = characters, which Azure table keys forbid unencoded.
const itemId = 'AAMkAGI2TG93AAA/b+c=d?e#f';
const link = (over: Partial<Link> = {}): Link => ({
  crm: { entity: 'appointment', id: '00000000-0000-0000-0000-0000000a0001' },
  userId: 'user-1',
  crmUserId: '00000000-0000-0000-0000-0000000000a1',
  itemKind: 'event',
  itemId,
  role: 'organizer',
  listId: null,
  source: 'test',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...over,
});

const decision = (id: string, decidedAt: string, recordKey = 'appointment:r1'): DecisionRecord => ({
  id,
  recordKey,
  decidedAt,
  status: 'decided',
  input: null,
  facts: null,
  ruleId: 'test.rule',
  action: 'skip',
  reason: 'because',
  targets: [],
  followUps: [],
  outcomes: [],
  dryRun: false,
});

describe('store over Azurite', () => {
  it('reads a link both ways and removes both rows', async () => {
    await store.links.put(link());
    await store.links.put(link({ userId: 'user-2', itemId: 'other', role: 'attendee' }));
    expect(await store.links.getByItem('user-1', itemId)).toEqual(link());
    const byRecord = await store.links.listByRecord(link().crm);
    expect(byRecord.map((l) => l.userId).sort()).toEqual(['user-1', 'user-2']);
    await store.links.remove(link());
    expect(await store.links.getByItem('user-1', itemId)).toBeNull();
    expect((await store.links.listByRecord(link().crm)).map((l) => l.userId)).toEqual(['user-2']);
  });

  it('stores snapshots by entity and id', async () => {
    const snapshot: CrmSnapshot = {
      ref: { entity: 'task', id: 't-1' },
      statecode: 0,
      scheduledStart: null,
      owner: { entity: 'systemuser', id: 'u' },
      organizer: null,
      requiredAttendees: [],
      optionalAttendees: [],
      globalObjectId: null,
      messageId: null,
      takenAt: '2026-01-01T00:00:00.000Z',
    };
    expect(await store.snapshots.get(snapshot.ref)).toBeNull();
    await store.snapshots.put(snapshot);
    expect(await store.snapshots.get(snapshot.ref)).toEqual(snapshot);
  });

  it('finds tombstones by side and item', async () => {
    const target = { side: 'outlook' as const, userId: 'user-1', itemId };
    await store.tombstones.put({ target, decisionId: 'd1', createdAt: '2026-01-01T00:00:00.000Z' });
    expect((await store.tombstones.get(target))?.decisionId).toBe('d1');
    expect(await store.tombstones.get({ side: 'crm', entity: 'appointment', id: itemId })).toBeNull();
  });

  it('gives a dedupe key to the first message that claims it, and to that message again on redelivery', async () => {
    const first = new Date('2026-01-01T00:00:00Z');
    const later = new Date('2026-01-01T00:05:00Z');
    expect(await store.dedupe.claim('k1', 'message-a', first)).toBe(true);
    // The same message redelivered (a crash, a failed attempt) still handles its input.
    expect(await store.dedupe.claim('k1', 'message-a', later)).toBe(true);
    // Another message holding the same input (a sender's redelivery) does not.
    expect(await store.dedupe.claim('k1', 'message-b', later)).toBe(false);
    expect(await store.dedupe.claim('k2', 'message-b', later)).toBe(true);
  });

  it('keeps a decision record larger than one entity (a 2,000-attendee meeting) whole, by event, by record and as recent, and rewrites it', async () => {
    const targets = Array.from({ length: 2000 }, (_, n) => ({
      side: 'outlook' as const,
      role: 'attendee' as const,
      crmUserId: `00000000-0000-0000-0000-${String(n).padStart(12, '0')}`,
      userId: `user-${n}`,
      itemKind: 'event' as const,
      itemId: `AAMkAGI2TG93AAA${'x'.repeat(140)}${n}=`,
      method: 'delete' as const,
    }));
    const { store } = testStore(azurite().connectionString);
    const large: DecisionRecord = { ...decision('big', '2026-01-03T00:00:00.000Z'), action: 'propagate', targets };
    // More than the 15 string properties of 64 KiB one entity holds.
    expect(JSON.stringify(large).length).toBeGreaterThan(450_000);
    await store.decisions.put(large);
    expect(await store.decisions.getByEvent('big')).toEqual(large);
    const outcomes = targets.map((_, n) => ({ targetIndex: n, status: 'done' as const, httpStatus: 204, code: null, detail: 'HTTP 204', at: '2026-01-03T00:00:01.000Z' }));
    const executed: DecisionRecord = { ...large, status: 'executed', outcomes };
    await store.decisions.put(executed);
    expect(await store.decisions.getByEvent('big')).toEqual(executed);
    expect(await store.decisions.listByRecord('appointment:r1', 10)).toEqual([executed]);
    expect((await store.decisions.listRecent(10)).map((d) => d.outcomes.length)).toEqual([2000]);
  });

  it('stores a claim-checked input until it is removed', async () => {
    const item = { kind: 'lifecycle' as const, notice: { id: 'n1', subscriptionId: 's1', lifecycleEvent: 'missed' as const, tenantId: null, subscriptionExpirationDateTime: null, receivedAt: '2026-01-01T00:00:00.000Z' } };
    const claimId = await store.claims.put(item, new Date('2026-01-01T00:00:00Z'));
    expect(await store.claims.get(claimId)).toEqual(item);
    await store.claims.remove(claimId);
    expect(await store.claims.get(claimId)).toBeNull();
  });

  it('lists decisions newest first, by record and overall, and finds one by event', async () => {
    await store.decisions.put(decision('e1', '2026-01-01T00:00:00.000Z'));
    await store.decisions.put(decision('e2', '2026-01-02T00:00:00.000Z'));
    await store.decisions.put(decision('e3', '2026-01-03T00:00:00.000Z', 'contact:c1'));
    expect((await store.decisions.listRecent(10)).map((d) => d.id)).toEqual(['e3', 'e2', 'e1']);
    expect((await store.decisions.listRecent(2)).map((d) => d.id)).toEqual(['e3', 'e2']);
    expect((await store.decisions.listByRecord('appointment:r1', 10)).map((d) => d.id)).toEqual(['e2', 'e1']);
    expect((await store.decisions.getByEvent('e2'))?.decidedAt).toBe('2026-01-02T00:00:00.000Z');
    expect(await store.decisions.getByEvent('nope')).toBeNull();
  });

  it('keeps subscriptions and state', async () => {
    const sub = {
      id: 'sub-1',
      resource: 'users/u/events',
      changeType: 'deleted',
      clientState: 'secret-secret',
      tenantId: null,
      userId: 'u',
      itemKind: 'event' as const,
      expirationDateTime: '2026-01-08T00:00:00.000Z',
      notificationUrl: 'https://example.invalid/api/graph/notifications',
      lifecycleNotificationUrl: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    await store.subscriptions.put(sub);
    expect(await store.subscriptions.get('sub-1')).toEqual(sub);
    expect(await store.subscriptions.list()).toEqual([sub]);
    await store.subscriptions.remove('sub-1');
    expect(await store.subscriptions.get('sub-1')).toBeNull();

    await store.state.set('delta', 'user/list', 'https://graph/delta?token=x');
    expect(await store.state.get('delta', 'user/list')).toBe('https://graph/delta?token=x');
    expect((await store.state.list('delta')).map((e) => e.key)).toEqual(['user/list']);
    await store.state.remove('delta', 'user/list');
    expect(await store.state.get('delta', 'user/list')).toBeNull();
  });

  it('queues base64 JSON, as the Functions trigger expects, and poisons a copy', async () => {
    const message = { kind: 'lifecycle' as const, notice: {
      id: 'n1', subscriptionId: 's', lifecycleEvent: 'missed' as const, tenantId: null,
      subscriptionExpirationDateTime: null, receivedAt: '2026-01-01T00:00:00.000Z',
    } };
    await store.queue.send(message);
    const raw = new QueueClient(azurite().connectionString, config.queue.name);
    const peeked = await raw.peekMessages();
    expect(JSON.parse(Buffer.from(peeked.peekedMessageItems[0]!.messageText, 'base64').toString('utf8'))).toEqual(message);

    const [received] = await store.queue.receive(1, 30);
    expect(received?.dequeueCount).toBe(1);
    expect(JSON.parse(received!.text)).toEqual(message);
    await store.queue.poison(received!);
    await store.queue.complete(received!);
    expect(await store.queue.receive(1, 30)).toEqual([]);
    const poison = new QueueClient(azurite().connectionString, config.queue.poisonName);
    const poisoned = await poison.peekMessages();
    expect(Buffer.from(poisoned.peekedMessageItems[0]!.messageText, 'base64').toString('utf8')).toBe(received!.text);
  });
});

describe('store during a storage outage', () => {
  it('answers DS_ERR_STORAGE_UNAVAILABLE', async () => {
    const { store: s } = testStore(await unreachableStorage());
    await expect(s.links.getByItem('u', 'i')).rejects.toMatchObject({ code: 'DS_ERR_STORAGE_UNAVAILABLE' });
    await expect(s.queue.send({ kind: 'lifecycle', notice: {
      id: 'n', subscriptionId: 's', lifecycleEvent: 'missed', tenantId: null,
      subscriptionExpirationDateTime: null, receivedAt: 'x',
    } })).rejects.toMatchObject({ code: 'DS_ERR_STORAGE_UNAVAILABLE', statusCode: 503 });
    await expect(s.ping()).rejects.toMatchObject({ code: 'DS_ERR_STORAGE_UNAVAILABLE' });
  });
});
