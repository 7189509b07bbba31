/**
 * Graph subscriptions the service created, each with its own clientState secret: the notification
 * receiver checks every item against its subscription's secret. Written by the subscription manager.
 */
import { z } from 'zod';
import { OutlookItemKind } from '../domain/event.js';
import { keyPart } from './keys.js';
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
  put(subscription: GraphSubscription): Promise<void>;
  remove(id: string): Promise<void>;
  list(): Promise<GraphSubscription[]>;
}

const ROW = 'subscription';

export function createSubscriptionStore(table: TypedTable<typeof GraphSubscription>): SubscriptionStore {
  return {
    get: (id) => table.get(keyPart(id), ROW),
    put: (s) => table.upsert(keyPart(s.id), ROW, s),
    remove: (id) => table.delete(keyPart(id), ROW),
    list: () => table.listAll(),
  };
}
