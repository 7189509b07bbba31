/**
 * Links, kept twice for point reads both ways: by mailbox item (an Outlook delete names only the item) and
 * by CRM record (a CRM delete must find every mailbox copy). Both rows are written on every change.
 */
import type { CrmRef } from '../domain/event.js';
import { Link } from '../domain/link.js';
import { joinKey, keyPart } from './keys.js';
import type { TypedTable } from './table.js';

export interface LinkStore {
  /** Writes (or replaces) both rows of a link. */
  put(link: Link): Promise<void>;
  getByItem(userId: string, itemId: string): Promise<Link | null>;
  listByRecord(ref: CrmRef): Promise<Link[]>;
  /** Removes both rows of a link. */
  remove(link: Link): Promise<void>;
}

const itemKeys = (userId: string, itemId: string) => [keyPart(userId), keyPart(itemId)] as const;
const recordKeys = (link: Link) => [joinKey(link.crm.entity, link.crm.id), joinKey(link.userId, link.itemId)] as const;

/** Every copy of a record is a target: read them all (a 2,000-attendee meeting has 2,001), within a bound that keeps memory finite. */
export const LINKS_PER_RECORD = 20_000;

export function createLinkStore(byItem: TypedTable<typeof Link>, byRecord: TypedTable<typeof Link>): LinkStore {
  return {
    async put(link) {
      // Record row first: a CRM delete that finds the record row can act even if the item row is late.
      await byRecord.upsert(...recordKeys(link), link);
      await byItem.upsert(...itemKeys(link.userId, link.itemId), link);
    },
    getByItem: (userId, itemId) => byItem.get(...itemKeys(userId, itemId)),
    listByRecord: (ref) => byRecord.listPartition(joinKey(ref.entity, ref.id), LINKS_PER_RECORD),
    async remove(link) {
      await byItem.delete(...itemKeys(link.userId, link.itemId));
      await byRecord.delete(...recordKeys(link));
    },
  };
}
