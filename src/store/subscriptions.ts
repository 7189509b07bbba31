/**
 * Graph subscriptions the service created, each with its own clientState secret: the notification
 * receiver checks every item against its subscription's secret. Written by the subscription manager.
 */
import { z } from 'zod';
import { OutlookItemKind } from '../domain/event.js';
import { keyPart } from './keys.js';
import { createSubscriptionCache, SUBSCRIPTION_CACHE_DEFAULTS, type SubscriptionCacheOptions } from './subscription-cache.js';
import type { TypedTable } from './table.js';

export const GraphSubscription = z.object({
  id: z.string().min(1),
  resource: z.string(),
  changeType: z.string(),
  /** Secret; never logged or returned by any API. */
  clientState: z.string().min(1),
  /** The tenant notifications must name; null = only GRAPH_TENANT_ID is checked. */
  tenantId: z.string().nullable(),
  /** Mailbox owner (Entra object id) the subscription watches. */
  userId: z.string(),
  itemKind: OutlookItemKind,
  expirationDateTime: z.string(),
  notificationUrl: z.string(),
  lifecycleNotificationUrl: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type GraphSubscription = z.infer<typeof GraphSubscription>;

export interface SubscriptionStore {
  get(id: string): Promise<GraphSubscription | null>;
  /**
   * For the notification receiver: may be up to the cache's TTL old for changes made by other processes;
   * this store's own put and remove are seen at once.
   */
  getCached(id: string): Promise<GraphSubscription | null>;
  put(subscription: GraphSubscription): Promise<void>;
  remove(id: string): Promise<void>;
  list(): Promise<GraphSubscription[]>;
}

const ROW = 'subscription';

export function createSubscriptionStore(
  table: TypedTable<typeof GraphSubscription>,
  cacheOptions: SubscriptionCacheOptions = SUBSCRIPTION_CACHE_DEFAULTS,
): SubscriptionStore {
  const get = (id: string) => table.get(keyPart(id), ROW);
  const cache = createSubscriptionCache(get, cacheOptions);
  // Forgotten after the write, also a failed one: a read started during the write may hold the old row.
  const changing = async (id: string, write: Promise<void>) => {
    try {
      await write;
    } finally {
      cache.forget(id);
    }
  };
  return {
    get,
    getCached: cache.get,
    put: (s) => changing(s.id, table.upsert(keyPart(s.id), ROW, s)),
    remove: (id) => changing(id, table.delete(keyPart(id), ROW)),
    list: () => table.listAll(),
  };
}
