/**
 * Keys of tombstones: the executor writes them before each delete, the processor looks incoming
 * events up by the same keys to recognise the echo of the service's own delete.
 */
import type { CrmRef } from '../domain/event.js';

export type TombstoneSide = 'outlook' | 'crm';

/** Graph ids are unique per mailbox; ids are immutable ids (see src/graph/items.ts). */
export function outlookTombstoneKey(item: { userId: string; itemId: string }): string {
  return `${item.userId.toLowerCase()}/${item.itemId}`;
}

export function crmTombstoneKey(ref: CrmRef): string {
  return `${ref.entity.toLowerCase()}/${ref.id.toLowerCase()}`;
}
