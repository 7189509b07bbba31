import { beforeEach, describe, expect, it } from 'vitest';
import { createStorageClients } from '../../../src/store/clients.js';
import { createSubscriptionCache } from '../../../src/store/subscription-cache.js';
import { createSubscriptionStore, GraphSubscription, type SubscriptionStore } from '../../../src/store/subscriptions.js';
import { TypedTable } from '../../../src/store/table.js';
import { useTestAzurite } from '../../helpers/azurite.js';
import { fixtureSubscription } from '../../helpers/requests.js';
import { testConfig } from '../../helpers/store.js';

const testAzurite = useTestAzurite();
const TTL = 30_000;
const UNKNOWN_TTL = 5_000;

let clock: number;
let table: TypedTable<typeof GraphSubscription>;
/** A subscription store as one process holds it; two of them over one table are two processes. */
const processStore = (maxEntries = 100): SubscriptionStore => createSubscriptionStore(table, { ttlMs: TTL, unknownTtlMs: UNKNOWN_TTL, maxEntries, now: () => clock });

beforeEach(() => {
  clock = 1_000_000;
  const config = testConfig(testAzurite().connectionString);
  table = new TypedTable(createStorageClients(config.storage).table(`${config.tablePrefix}subscriptions`), GraphSubscription);
});

describe('subscription cache', () => {
  it('reads a stored subscription once within the TTL, concurrent lookups included, and again after it', async () => {
    const store = processStore();
    await store.put(fixtureSubscription());
    let reads = 0;
    const countedRead = (id: string) => {
      reads += 1;
      return store.get(id);
    };
    const cache = createSubscriptionCache(countedRead, { ttlMs: TTL, unknownTtlMs: UNKNOWN_TTL, maxEntries: 100, now: () => clock });
    const first = await Promise.all([cache.get('{subscription_guid}'), cache.get('{subscription_guid}')]);
    expect(first.map((s) => s?.clientState)).toEqual(['secretClientValue', 'secretClientValue']);
    clock += TTL - 1;
    expect((await cache.get('{subscription_guid}'))?.id).toBe('{subscription_guid}');
    expect(reads).toBe(1);
    clock += 1;
    await cache.get('{subscription_guid}');
    expect(reads).toBe(2);
  });

  it("sees another process's removal and recreation only after the TTL", async () => {
    const receiver = processStore();
    const manager = processStore();
    await manager.put(fixtureSubscription());
    expect((await receiver.getCached('{subscription_guid}'))?.clientState).toBe('secretClientValue');
    await manager.remove('{subscription_guid}');
    expect((await receiver.getCached('{subscription_guid}'))?.clientState).toBe('secretClientValue');
    clock += TTL;
    expect(await receiver.getCached('{subscription_guid}')).toBeNull();
    await manager.put(fixtureSubscription({ clientState: 'recreated-secret' }));
    // Unknown ids are remembered briefly: a subscription stored elsewhere is accepted within UNKNOWN_TTL.
    expect(await receiver.getCached('{subscription_guid}')).toBeNull();
    clock += UNKNOWN_TTL;
    expect((await receiver.getCached('{subscription_guid}'))?.clientState).toBe('recreated-secret');
  });

  it('reads an unknown id once per UNKNOWN_TTL, however often it is asked for', async () => {
    const store = processStore();
    let reads = 0;
    const cache = createSubscriptionCache(
      (id: string) => {
        reads += 1;
        return store.get(id);
      },
      { ttlMs: TTL, unknownTtlMs: UNKNOWN_TTL, maxEntries: 100, now: () => clock },
    );
    for (let i = 0; i < 50; i++) expect(await cache.get('made-up')).toBeNull();
    expect(reads).toBe(1);
    clock += UNKNOWN_TTL;
    await cache.get('made-up');
    expect(reads).toBe(2);
  });

  it("forgets an entry at once when this process's store writes or removes the subscription", async () => {
    const store = processStore();
    await store.put(fixtureSubscription());
    expect((await store.getCached('{subscription_guid}'))?.clientState).toBe('secretClientValue');
    await store.put(fixtureSubscription({ clientState: 'rotated-secret' }));
    expect((await store.getCached('{subscription_guid}'))?.clientState).toBe('rotated-secret');
    await store.remove('{subscription_guid}');
    expect(await store.getCached('{subscription_guid}')).toBeNull();
  });

  it('keeps at most maxEntries, dropping the oldest', async () => {
    const store = processStore(2);
    const manager = processStore();
    for (const id of ['a', 'b', 'c']) await manager.put(fixtureSubscription({ id }));
    for (const id of ['a', 'b', 'c']) await store.getCached(id);
    for (const id of ['a', 'b', 'c']) await manager.remove(id);
    expect(await store.getCached('a')).toBeNull();
    expect((await store.getCached('c'))?.id).toBe('c');
  });
});
