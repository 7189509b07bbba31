/**
 * The processor's look-ups: what the policy needs that the event cannot carry. CRM events: the stored
 * snapshot when the pre-image is missing, the record read from CRM when a Create/Update body could not
 * carry it (size-exceeded, or no parties and nothing stored), and the record's links. Outlook deletes:
 * the link of the deleted item (the only way to know what it was), the record's snapshot and links, and
 * the deleter's role.
 */
import type { CrmRef, CrmSnapshot, DomainEvent } from '../domain/event.js';
import type { Link } from '../domain/link.js';
import { mergeSnapshot } from '../domain/snapshot.js';
import { DeleteSyncError } from '../errors.js';
import { factsFor } from '../policy/facts.js';
import { sameId } from '../policy/record-state.js';
import type { Actor, ActorRole, Facts } from '../policy/types.js';
import type { Store } from '../store/index.js';

/** Reads a record's snapshot from CRM (src/dataverse/snapshot-reader.ts); null when it no longer exists. */
export type ReadSnapshot = (ref: CrmRef) => Promise<CrmSnapshot | null>;

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

/**
 * A Create/Update whose record must be read from CRM: a size-exceeded body carried no columns at all, or
 * the body and the stored snapshot together still lack what the policy reads — the state, or an
 * appointment's parties (an appointment always has an organizer, so none and no attendees means not
 * known). That happens for records created before the service was registered, or an Update step
 * without its pre-image. The record still exists after a PostOperation Create/Update; Deletes cannot be read.
 */
function needsRead(event: DomainEvent & { crm: NonNullable<DomainEvent['crm']> }, record: CrmSnapshot | null): boolean {
  if (event.change === 'deleted') return false;
  if (event.crm.sizeExceeded || record === null) return true;
  const noParties = record.organizer === null && record.requiredAttendees.length === 0 && record.optionalAttendees.length === 0;
  return record.statecode === null || (record.ref.entity === 'appointment' && noParties);
}

/**
 * An instance of a recurring series: the links of its series too, since an occurrence that was never
 * linked itself is found through its mailbox's copy of the series (and its original start).
 */
async function seriesLinks(ref: CrmRef, record: CrmSnapshot | null, store: Store): Promise<Link[]> {
  const seriesId = record?.series?.seriesId ?? null;
  if (ref.entity !== 'appointment' || seriesId === null) return [];
  return store.links.listByRecord({ entity: 'recurringappointmentmaster', id: seriesId });
}

async function crmFacts(event: DomainEvent & { crm: NonNullable<DomainEvent['crm']> }, store: Store, readSnapshot?: ReadSnapshot): Promise<Facts> {
  const { ref, snapshot } = event.crm;
  const stored = snapshot === null || event.change === 'updated' ? await store.snapshots.get(ref) : null;
  let record = snapshot ?? stored;
  if (snapshot !== null && event.change !== 'deleted') record = event.change === 'updated' ? mergeSnapshot(stored, snapshot) : snapshot;
  // Read now, the values are the record's current ones: newer than the event, never older.
  const read = readSnapshot !== undefined && needsRead(event, record) ? await readSnapshot(ref) : null;
  if (read !== null) record = read;
  if ((snapshot !== null || read !== null) && event.change !== 'deleted' && record !== null) await store.snapshots.put(record);
  const links = [...(await store.links.listByRecord(ref)), ...(await seriesLinks(ref, record, store))];
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

export async function gatherFacts(event: DomainEvent, store: Store, readSnapshot?: ReadSnapshot): Promise<Facts> {
  if (event.crm !== undefined) return crmFacts({ ...event, crm: event.crm }, store, readSnapshot);
  if (event.outlook !== undefined) return outlookFacts({ ...event, outlook: event.outlook }, store);
  throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Event has neither crm nor outlook detail', { field: 'event' });
}
