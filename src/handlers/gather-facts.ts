/**
 * The processor's look-ups: what the policy needs that the event cannot carry. CRM events: the stored
 * snapshot when the pre-image is missing, and the record's links. Outlook deletes: the link of the deleted
 * item (the only way to know what it was), the record's snapshot and links, and the deleter's role.
 */
import type { CrmSnapshot, DomainEvent } from '../domain/event.js';
import type { Link } from '../domain/link.js';
import { DeleteSyncError } from '../errors.js';
import { factsFor } from '../policy/facts.js';
import type { Actor, ActorRole, Facts } from '../policy/types.js';
import type { Store } from '../store/index.js';

const sameId = (a: string | null | undefined, b: string | null | undefined) =>
  typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();

/**
 * The mailbox owner's part in the record: from the snapshot's parties when the link names the CRM user
 * (fresher than the link), else the role recorded on the link.
 */
export function actorRole(link: Link, record: CrmSnapshot | null): ActorRole {
  const user = link.crmUserId;
  if (record !== null && user !== null) {
    if (sameId(record.organizer?.id, user)) return 'organizer';
    if ([...record.requiredAttendees, ...record.optionalAttendees].some((p) => sameId(p.id, user))) return 'attendee';
    if (record.ref.entity !== 'appointment' && sameId(record.owner?.id, user)) return 'owner';
  }
  return link.role;
}

/** Update bodies may carry only the changed columns: keep what is known where the update says nothing. */
export function mergeSnapshot(stored: CrmSnapshot | null, incoming: CrmSnapshot): CrmSnapshot {
  if (stored === null) return incoming;
  return {
    ref: incoming.ref,
    statecode: incoming.statecode ?? stored.statecode,
    scheduledStart: incoming.scheduledStart ?? stored.scheduledStart,
    owner: incoming.owner ?? stored.owner,
    organizer: incoming.organizer ?? stored.organizer,
    requiredAttendees: incoming.requiredAttendees.length > 0 ? incoming.requiredAttendees : stored.requiredAttendees,
    optionalAttendees: incoming.optionalAttendees.length > 0 ? incoming.optionalAttendees : stored.optionalAttendees,
    globalObjectId: incoming.globalObjectId ?? stored.globalObjectId,
    messageId: incoming.messageId ?? stored.messageId,
    takenAt: incoming.takenAt ?? stored.takenAt,
  };
}

async function crmFacts(event: DomainEvent & { crm: NonNullable<DomainEvent['crm']> }, store: Store): Promise<Facts> {
  const { ref, snapshot } = event.crm;
  const stored = snapshot === null || event.change === 'updated' ? await store.snapshots.get(ref) : null;
  let record = snapshot ?? stored;
  if (snapshot !== null && event.change !== 'deleted') {
    record = event.change === 'updated' ? mergeSnapshot(stored, snapshot) : snapshot;
    await store.snapshots.put(record);
  }
  const links = await store.links.listByRecord(ref);
  return { ...factsFor(event, { record, links }), record };
}

async function outlookFacts(event: DomainEvent & { outlook: NonNullable<DomainEvent['outlook']> }, store: Store): Promise<Facts> {
  const { userId, itemId } = event.outlook;
  const link = await store.links.getByItem(userId, itemId);
  if (link === null) return factsFor(event, { actor: { role: 'other', userId, crmUserId: null } });
  const record = await store.snapshots.get(link.crm);
  const links = await store.links.listByRecord(link.crm);
  const actor: Actor = { role: actorRole(link, record), userId, crmUserId: link.crmUserId };
  return factsFor(event, { crmRef: link.crm, record, actor, links });
}

export async function gatherFacts(event: DomainEvent, store: Store): Promise<Facts> {
  if (event.crm !== undefined) return crmFacts({ ...event, crm: event.crm }, store);
  if (event.outlook !== undefined) return outlookFacts({ ...event, outlook: event.outlook }, store);
  throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Event has neither crm nor outlook detail', { field: 'event' });
}
