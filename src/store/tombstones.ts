/**
 * Tombstones: written BEFORE the service deletes an item, so the echo notification of its own delete is
 * recognised and skipped (no loops). Keyed by side and mailbox (or CRM entity), then item (or record) id.
 */
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
  get(target: TombstoneTarget): Promise<Tombstone | null>;
  /** Dropped when the delete it announced did not happen, so a later genuine delete is not taken for an echo. */
  remove(target: TombstoneTarget): Promise<void>;
}

function keys(target: TombstoneTarget): [string, string] {
  return target.side === 'outlook'
    ? [joinKey('outlook', target.userId), keyPart(target.itemId)]
    : [joinKey('crm', target.entity), keyPart(target.id)];
}

export function createTombstoneStore(table: TypedTable<typeof Tombstone>): TombstoneStore {
  return {
    put: (tombstone) => table.upsert(...keys(tombstone.target), tombstone),
    get: (target) => table.get(...keys(target)),
    remove: (target) => table.delete(...keys(target)),
  };
}
