/**
 * The store: every table and queue the service uses, behind one interface, over the Azure Storage SDKs
 * (Azurite locally). Tables and queues are created on first use.
 */
import type { ZodType } from 'zod';
import type { Config } from '../config.js';
import { CrmSnapshot } from '../domain/event.js';
import { Link } from '../domain/link.js';
import { Claim, createClaimStore, type ClaimStore } from './claims.js';
import { createStorageClients, type StorageClients } from './clients.js';
import { createDecisionStore, DecisionRecord, type DecisionStore } from './decisions.js';
import { createDedupeStore, DedupeEntry, type DedupeStore } from './dedupe.js';
import { createLinkStore, type LinkStore } from './links.js';
import { createChangeQueue, type ChangeQueue } from './queue.js';
import { createSnapshotStore, type SnapshotStore } from './snapshots.js';
import { createStateStore, StateEntry, type StateStore } from './state.js';
import { createSubscriptionStore, GraphSubscription, type SubscriptionStore } from './subscriptions.js';
import { guard, statusOf } from './errors.js';
import { TypedTable } from './table.js';
import { createTombstoneStore, Tombstone, type TombstoneStore } from './tombstones.js';

export interface Store {
  links: LinkStore;
  snapshots: SnapshotStore;
  tombstones: TombstoneStore;
  dedupe: DedupeStore;
  claims: ClaimStore;
  decisions: DecisionStore;
  subscriptions: SubscriptionStore;
  state: StateStore;
  queue: ChangeQueue;
  /** Cheap liveness probe of the storage account (used by GET /api/health). */
  ping(): Promise<void>;
}

/** Table name suffixes; full names are TABLE_PREFIX + suffix (letters and digits only, as Azure requires). */
export const TABLE_SUFFIXES = [
  'linksbyitem',
  'linksbyrecord',
  'snapshots',
  'tombstones',
  'dedupe',
  'claims',
  'decisions',
  'decisionsrecent',
  'decisionsbyevent',
  'subscriptions',
  'state',
] as const;

export function createStore(
  config: Pick<Config, 'storage' | 'tablePrefix' | 'queue'>,
  clients: StorageClients = createStorageClients(config.storage),
): Store {
  const table = <S extends ZodType>(suffix: (typeof TABLE_SUFFIXES)[number], schema: S) =>
    new TypedTable(clients.table(`${config.tablePrefix}${suffix}`), schema, clients.table(`${config.tablePrefix}${suffix}overflow`));
  const mainQueue = clients.queue(config.queue.name);
  return {
    links: createLinkStore(table('linksbyitem', Link), table('linksbyrecord', Link)),
    snapshots: createSnapshotStore(table('snapshots', CrmSnapshot)),
    tombstones: createTombstoneStore(table('tombstones', Tombstone)),
    dedupe: createDedupeStore(table('dedupe', DedupeEntry)),
    claims: createClaimStore(table('claims', Claim)),
    decisions: createDecisionStore(
      table('decisions', DecisionRecord),
      table('decisionsrecent', DecisionRecord),
      table('decisionsbyevent', DecisionRecord),
    ),
    subscriptions: createSubscriptionStore(table('subscriptions', GraphSubscription)),
    state: createStateStore(table('state', StateEntry)),
    queue: createChangeQueue(mainQueue, clients.queue(config.queue.poisonName)),
    ping: async () => {
      await guard('probe', () => mainQueue.getProperties()).catch((error: unknown) => {
        if (statusOf((error as { cause?: unknown }).cause) === 404) return;
        throw error;
      });
    },
  };
}

