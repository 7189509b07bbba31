/**
 * Mailbox items through Graph: the request shapes for deleting and cancelling (sent through the
 * fan-out), finding a meeting by iCalUId, and creating a contact.
 *
 * CRM `globalobjectid` ↔ Graph `iCalUId`: both carry Outlook's PidLidGlobalObjectId (MS-OXOCAL) as
 * text. Graph's iCalUId is its upper-case hex (it starts with the class id
 * 040000008200E00074C5B7101A82E008, as the CRM values captured with server-side sync do); Exchange
 * ActiveSync shows the same bytes base64-encoded. So a hex value is compared upper-cased, a base64 one
 * is converted to hex, and a third-party UID (not the binary form) is used as it is. Graph documents
 * that iCalUId differs for each occurrence of a recurring series, so this finds single meetings and
 * series masters, not individual occurrences.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { OutlookItemKind } from '../domain/event.js';
import type { ItemOp } from './batch.js';

export interface OutlookItemRef {
  /** Mailbox owner's Entra object id. */
  userId: string;
  itemKind: OutlookItemKind;
  itemId: string;
  /** To Do list id; required for todoTask. */
  listId: string | null;
}

/**
 * Item ids in answers are asked for in their immutable form, the form the change notifications carry
 * (subscriptions are made with the same preference), so links and tombstones match the echoes.
 */
export const IMMUTABLE_ID = { Prefer: 'IdType="ImmutableId"' } as const;

const GLOBAL_OBJECT_ID_CLASS = '040000008200E00074C5B7101A82E008';

/** The iCalUId Graph shows for a meeting whose CRM `globalobjectid` is `value`. */
export function iCalUIdFromGlobalObjectId(value: string): string {
  const trimmed = value.trim();
  if (/^[0-9a-f]+$/i.test(trimmed)) return trimmed.toUpperCase();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) {
    const hex = Buffer.from(trimmed, 'base64').toString('hex').toUpperCase();
    if (hex.startsWith(GLOBAL_OBJECT_ID_CLASS)) return hex;
  }
  return trimmed;
}

/** The kinds kept in one collection directly under the mailbox (To Do tasks live in lists). */
export type MailboxCollectionKind = Exclude<OutlookItemKind, 'todoTask'>;

/** Graph's collection name for each such kind: `/users/{id}/events`, `…/contacts`, `…/messages`. */
export const MAILBOX_COLLECTION: Readonly<Record<MailboxCollectionKind, string>> = { event: 'events', contact: 'contacts', message: 'messages' };

/** The mailbox collection's path relative to the Graph version root. */
export function collectionPath(userId: string, itemKind: MailboxCollectionKind): string {
  return `/users/${encodeURIComponent(userId)}/${MAILBOX_COLLECTION[itemKind]}`;
}

/** The item's path relative to the Graph version root. */
export function itemPath(ref: OutlookItemRef): string {
  const id = encodeURIComponent(ref.itemId);
  if (ref.itemKind !== 'todoTask') return `${collectionPath(ref.userId, ref.itemKind)}/${id}`;
  if (!ref.listId) throw new TypeError('A To Do task needs its list id');
  return `/users/${encodeURIComponent(ref.userId)}/todo/lists/${encodeURIComponent(ref.listId)}/tasks/${id}`;
}

export function deleteOp(key: string, ref: OutlookItemRef): ItemOp {
  return { key, mailbox: ref.userId, method: 'DELETE', url: itemPath(ref) };
}

/** Organizer only: Exchange sends the cancellation to attendees and removes the organizer's copy. */
export function cancelOp(key: string, ref: OutlookItemRef, comment: string): ItemOp {
  if (ref.itemKind !== 'event') throw new TypeError('Only events can be cancelled');
  return { key, mailbox: ref.userId, method: 'POST', url: `${itemPath(ref)}/cancel`, body: { comment } };
}

export interface FoundEvent {
  id: string;
  iCalUId: string;
  isOrganizer: boolean;
  isCancelled: boolean;
  type: string | null;
}

/** Events in a mailbox whose iCalUId equals `iCalUId` (normally zero or one). */
export async function findEventsByICalUId(client: Client, userId: string, iCalUId: string): Promise<FoundEvent[]> {
  const literal = iCalUId.replace(/'/g, "''");
  const page = (await client
    .api(collectionPath(userId, 'event'))
    .headers(IMMUTABLE_ID)
    .filter(`iCalUId eq '${literal}'`)
    .select(['id', 'iCalUId', 'isOrganizer', 'isCancelled', 'type'])
    .get()) as { value?: Partial<FoundEvent>[] };
  return (page.value ?? []).map((e) => ({
    id: String(e.id),
    iCalUId: String(e.iCalUId),
    isOrganizer: e.isOrganizer === true,
    isCancelled: e.isCancelled === true,
    type: e.type ?? null,
  }));
}

/** The Graph contact fields the service writes when a contact comes back to its owner's mailbox. */
export interface ContactInput {
  givenName?: string | null;
  surname?: string | null;
  displayName?: string | null;
  jobTitle?: string | null;
  emailAddresses?: { address: string; name?: string }[];
  businessPhones?: string[];
  mobilePhone?: string | null;
}

export async function createContact(client: Client, userId: string, contact: ContactInput): Promise<{ id: string }> {
  const created = (await client.api(collectionPath(userId, 'contact')).headers(IMMUTABLE_ID).post(contact)) as { id: string };
  return { id: created.id };
}
