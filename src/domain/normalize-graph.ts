/**
 * Graph change notifications (and delta `@removed` entries) → DomainEvent. A deleted item can no
 * longer be read, so everything the event carries comes from the resource path and resourceData.
 */
import {
  ChangeNotificationCollection,
  LifecycleNotificationCollection,
  type ChangeNotification,
  type LifecycleNotification,
} from '../contracts/graph.js';
import { parseJsonBody, parseOrThrow } from '../contracts/validate.js';
import { DeleteSyncError } from '../errors.js';
import type { DomainEvent, EntityKind, OutlookItemKind } from './event.js';

export const ENTITY_BY_ITEM_KIND: Readonly<Record<OutlookItemKind, EntityKind>> = {
  event: 'appointment',
  contact: 'contact',
  message: 'email',
  todoTask: 'task',
};

const ITEM_KIND_BY_COLLECTION: Readonly<Record<string, OutlookItemKind>> = {
  events: 'event',
  contacts: 'contact',
  messages: 'message',
  tasks: 'todoTask',
};

const ITEM_KIND_BY_ODATA_TYPE: Readonly<Record<string, OutlookItemKind>> = {
  '#microsoft.graph.event': 'event',
  '#microsoft.graph.contact': 'contact',
  '#microsoft.graph.message': 'message',
  '#microsoft.graph.todotask': 'todoTask',
};

/** Path segments that are followed by a key (`users/{id}` or `users('{id}')`). */
const KEYED_SEGMENTS: ReadonlySet<string> = new Set([
  'users', 'events', 'messages', 'contacts', 'lists', 'tasks', 'calendars', 'calendargroups', 'mailfolders', 'contactfolders', 'childfolders',
]);

export function parseNotificationCollection(body: unknown): ChangeNotification[] {
  return parseOrThrow(ChangeNotificationCollection, parseJsonBody(body), { what: 'Graph change notification collection' }).value;
}

export function parseLifecycleCollection(body: unknown): LifecycleNotification[] {
  return parseOrThrow(LifecycleNotificationCollection, parseJsonBody(body), { what: 'Graph lifecycle notification collection' }).value;
}

interface PathSegment {
  name: string;
  key: string | null;
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}

/** `Users/{id}/Events/{id}`, `Users('id')/Messages('id')`, `users/{id}/todo/lists/{l}/tasks/{t}` … */
function segmentsOf(resource: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const part of resource.split('/').filter((piece) => piece !== '')) {
    const keyed = /^([^(]+)\('(.*)'\)$/.exec(part);
    const previous = segments.at(-1);
    if (keyed !== null) segments.push({ name: (keyed[1] ?? '').toLowerCase(), key: decodeKey(keyed[2] ?? '') });
    else if (previous !== undefined && previous.key === null && KEYED_SEGMENTS.has(previous.name)) previous.key = decodeKey(part);
    else segments.push({ name: part.toLowerCase(), key: null });
  }
  return segments;
}

/** Graph's docs show users as `{user-id}@{tenant-id}`; the mailbox id is the part before the tenant. */
function mailboxUserId(raw: string, tenantId: string | undefined): string {
  return tenantId !== undefined && raw.toLowerCase().endsWith(`@${tenantId.toLowerCase()}`) ? raw.slice(0, -(tenantId.length + 1)) : raw;
}

function itemKindOf(notification: ChangeNotification, last: PathSegment | undefined): OutlookItemKind {
  const fromPath = last === undefined ? undefined : ITEM_KIND_BY_COLLECTION[last.name];
  const fromType = ITEM_KIND_BY_ODATA_TYPE[(notification.resourceData?.['@odata.type'] ?? '').toLowerCase()];
  const kind = fromPath ?? fromType;
  if (kind === undefined) {
    throw new DeleteSyncError('DS_ERR_UNSUPPORTED_MESSAGE', 'Graph notification is not about an event, contact, message or To Do task', {
      field: 'resource',
    });
  }
  return kind;
}

/**
 * The id of a mailbox item's deletion, the same whoever reports it (a notification of any subscription,
 * or a delta round): an item is deleted once, so a delete seen twice is one input and one decision.
 */
export function outlookDeleteId(userId: string, itemKind: OutlookItemKind, itemId: string): string {
  return `outlook-deleted:${userId.toLowerCase()}:${itemKind}:${itemId}`;
}

export function normalizeGraphNotification(notification: ChangeNotification, receivedAt: Date): DomainEvent {
  const segments = segmentsOf(notification.resource);
  const user = segments.find((segment) => segment.name === 'users');
  if (user?.key === null || user?.key === undefined) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Graph notification resource names no mailbox (users/{id})', { field: 'resource' });
  }
  const last = segments.at(-1);
  const itemKind = itemKindOf(notification, last);
  const itemId = notification.resourceData?.id ?? last?.key ?? null;
  if (itemId === null) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Graph notification names no item id', { field: 'resourceData.id' });
  }
  const etag = notification.resourceData?.['@odata.etag'] ?? null;
  const userId = mailboxUserId(user.key, notification.tenantId);
  return {
    id:
      notification.changeType === 'deleted'
        ? outlookDeleteId(userId, itemKind, itemId)
        : `graph:${notification.subscriptionId}:${itemId}:${etag ?? ''}:${notification.changeType}`,
    origin: 'outlook',
    change: notification.changeType,
    entity: ENTITY_BY_ITEM_KIND[itemKind],
    receivedAt: receivedAt.toISOString(),
    outlook: {
      subscriptionId: notification.subscriptionId,
      tenantId: notification.tenantId ?? null,
      userId,
      itemKind,
      itemId,
      resource: notification.resource,
      etag,
      listId: itemKind === 'todoTask' ? (segments.find((segment) => segment.name === 'lists')?.key ?? null) : null,
    },
  };
}

function resourceOf(userId: string, itemKind: OutlookItemKind, itemId: string, listId: string | null): string {
  const user = `users/${encodeURIComponent(userId)}`;
  const item = encodeURIComponent(itemId);
  if (itemKind !== 'todoTask') return `${user}/${itemKind}s/${item}`;
  if (listId === null) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'A To Do task delete needs its list id', { field: 'listId' });
  return `${user}/todo/lists/${encodeURIComponent(listId)}/tasks/${item}`;
}

/**
 * A delete seen in a delta round (`{"id": …, "@removed": {"reason": "deleted"}}`): the catch-up after
 * `missed`/`subscriptionRemoved`, and the To Do poller (To Do has no app-only notifications).
 */
export function outlookDeleteFromDelta(
  userId: string,
  itemKind: OutlookItemKind,
  itemId: string,
  listId: string | null,
  receivedAt: Date,
): DomainEvent {
  return {
    id: outlookDeleteId(userId, itemKind, itemId),
    origin: 'outlook',
    change: 'deleted',
    entity: ENTITY_BY_ITEM_KIND[itemKind],
    receivedAt: receivedAt.toISOString(),
    outlook: {
      subscriptionId: null,
      tenantId: null,
      userId,
      itemKind,
      itemId,
      resource: resourceOf(userId, itemKind, itemId, listId),
      etag: null,
      listId,
    },
  };
}
