/**
 * Tombstones: written BEFORE the service deletes an item, so the echo notification of its own delete is
 * recognised and skipped (no loops). The row key is side, mailbox (or CRM entity) and item (or record)
 * id; the partition is one of SHARDS per side picked by a hash of the row key, so the tombstones of a
 * meeting's copies in 2,000 mailboxes share a few partitions and are written in a few transactions
 * rather than one call each, while each lookup stays a point read.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { joinKey, keyPart } from './keys.js';
import type { TypedTable } from './table.js';

export const TombstoneTarget = z.discriminatedUnion('side', [
  z.object({ side: z.literal('outlook'), userId: z.string().min(1), itemId: z.string().min(1) }),
  z.object({ side: z.literal('crm'), entity: z.string().min(1), id: z.string().min(1) }),
]);

export const Tombstone = z.object({
  target: TombstoneTarget,
  /** The decision (event id) that deletes the item. */
  decisionId: z.string(),
  createdAt: z.string(),
});

export type TombstoneTarget = z.infer<typeof TombstoneTarget>;
export type Tombstone = z.infer<typeof Tombstone>;

export interface TombstoneStore {
  put(tombstone: Tombstone): Promise<void>;
  /** Many at once (a meeting's copies), batched per partition; one result per tombstone, in order. */
  putMany(tombstones: Tombstone[]): Promise<PromiseSettledResult<void>[]>;
  get(target: TombstoneTarget): Promise<Tombstone | null>;
  /** Dropped when the delete it announced did not happen, so a later genuine delete is not taken for an echo. */
  remove(target: TombstoneTarget): Promise<void>;
}

/** Partitions per side: enough spread for the per-partition throughput, few enough to batch a fan-out. */
const SHARDS = 16;

function rowKeyOf(target: TombstoneTarget): string {
  return target.side === 'outlook' ? joinKey('outlook', target.userId, target.itemId) : joinKey('crm', target.entity, target.id);
}

function keys(target: TombstoneTarget): [string, string] {
  const rowKey = rowKeyOf(target);
  const shard = createHash('sha256').update(rowKey).digest()[0]! % SHARDS;
  return [`${target.side}|${shard.toString(16)}`, rowKey];
}

/** Where tombstones were kept before they were sharded; still read and removed, so a delete in flight across an upgrade keeps its echo. */
function legacyKeys(target: TombstoneTarget): [string, string] {
  return target.side === 'outlook'
    ? [joinKey('outlook', target.userId), keyPart(target.itemId)]
    : [joinKey('crm', target.entity), keyPart(target.id)];
}

export function createTombstoneStore(table: TypedTable<typeof Tombstone>): TombstoneStore {
  return {
    put: (tombstone) => table.upsert(...keys(tombstone.target), tombstone),
    putMany: (tombstones) =>
      table.upsertMany(
        tombstones.map((value) => {
          const [partitionKey, rowKey] = keys(value.target);
          return { partitionKey, rowKey, value };
        }),
      ),
    get: async (target) => (await table.get(...keys(target))) ?? table.get(...legacyKeys(target)),
    remove: async (target) => {
      await Promise.all([table.delete(...keys(target)), table.delete(...legacyKeys(target))]);
    },
  };
}
