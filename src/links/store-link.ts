/**
 * Writes one link by item: unchanged links are not rewritten, and an item that now names another record
 * is first removed from the old record's list (a CRM delete of the old record must not reach it).
 */
import type { Link } from '../domain/link.js';
import { sameRef } from '../policy/record-state.js';
import type { Store } from '../store/index.js';

export type StoreLinkResult = 'linked' | 'unchanged' | 'relinked';

const sameRecord = (a: Link, b: Link) => sameRef(a.crm, b.crm);

/** `known`: the item's current link (or null) when the caller has just read it, so it is not read again. */
export async function storeLink(store: Store, link: Link, known?: Link | null): Promise<StoreLinkResult> {
  const normalized: Link = { ...link, crm: { entity: link.crm.entity.toLowerCase(), id: link.crm.id.toLowerCase() } };
  const existing = known !== undefined ? known : await store.links.getByItem(link.userId, link.itemId);
  if (existing === null) {
    await store.links.put(normalized);
    return 'linked';
  }
  if (sameRecord(existing, normalized) && existing.role === normalized.role && existing.listId === normalized.listId && existing.crmUserId === normalized.crmUserId) {
    return 'unchanged';
  }
  if (!sameRecord(existing, normalized)) {
    await store.links.remove(existing);
    await store.links.put(normalized);
    return 'relinked';
  }
  await store.links.put(normalized);
  return 'linked';
}
