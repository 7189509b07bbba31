/**
 * Link learning: the links an Outlook delete will need, stored while the item can still be read.
 * - Outlook created/updated (notification or delta): the item is read once (unless already linked) and
 *   linked when it matches a CRM record (its mark — the stamp, or a To Do task's linkedResource — checked
 *   against CRM; iCalUId ↔ globalobjectid; internetMessageId ↔ messageid).
 *   Notifications come late, twice and out of order: reading the item at the time, skipping items
 *   already linked and writing links by item make the order and the repeats not matter.
 * - CRM Create/Update: the meeting is looked up by iCalUId in the mailboxes of its user parties, the
 *   e-mail by internetMessageId in its owner's mailbox. (The processor stores the record's snapshot.)
 * Links name the CRM user behind the mailbox, so the processor can take the role from the record.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { DataverseClient } from '../dataverse/client.js';
import type { CrmSnapshot, DomainEvent, OutlookEventDetail, OutlookItemKind } from '../domain/event.js';
import type { Link, LinkRole } from '../domain/link.js';
import { mergeNewest } from '../domain/snapshot.js';
import { graphStatus } from '../graph/errors.js';
import { collectionPath, eqFilter, findEventsByICalUId, iCalUIdFromGlobalObjectId, IMMUTABLE_ID, isSafeICalUId, isSafeInternetMessageId, itemPath, type FoundEvent } from '../graph/items.js';
import { sameRef } from '../policy/record-state.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import { createCrmUsers, type CrmUsers } from './crm-users.js';
import { markerExpand } from './markers.js';
import { GraphItem, MATCH_SELECT, matchItems } from './match.js';
import { linkOccurrences, SERIES_TABLE } from './series.js';
import { storeLink } from './store-link.js';

export interface LinkLearnerDeps {
  graph: Client;
  dataverse: DataverseClient;
  store: Store;
  log: Logger;
  now: () => Date;
  crmUsers?: CrmUsers;
}

export interface LearnCounts {
  /** Links written (new, or pointing elsewhere before). */
  linked: number;
  /** Already linked to the same record. */
  unchanged: number;
  /** Matched no CRM record. */
  unmatched: number;
}

export interface LinkLearner {
  /** Links the matching items of one mailbox (one kind; To Do items of one list). */
  learnItems(userId: string, itemKind: OutlookItemKind, items: readonly GraphItem[], options: { listId: string | null; source: string }): Promise<LearnCounts>;
  /** Stores one link as given (import, admin API), with the mailbox owner's CRM user filled in when unknown. */
  putLink(link: Omit<Link, 'updatedAt' | 'crmUserId'> & { crmUserId?: string | null }): Promise<'linked' | 'unchanged'>;
  /** The processor's seam: learns from a created/updated event of either origin. */
  learn(event: DomainEvent): Promise<void>;
  /** Links the occurrences of a linked series master to the CRM instances (series.ts). */
  linkOccurrences(master: Link): Promise<number>;
}

const Found = z.looseObject({ value: z.array(GraphItem) });

export function createLinkLearner(deps: LinkLearnerDeps): LinkLearner {
  const { graph, store } = deps;
  const log = deps.log.child({ component: 'link-learner' });
  const crmUsers = deps.crmUsers ?? createCrmUsers(deps.dataverse);

  async function putLink(input: Omit<Link, 'updatedAt' | 'crmUserId'> & { crmUserId?: string | null }, known?: Link | null): Promise<'linked' | 'unchanged'> {
    const existing = known !== undefined ? known : await store.links.getByItem(input.userId, input.itemId);
    const crmUserId = input.crmUserId ?? existing?.crmUserId ?? (await crmUsers.systemUserOf(input.userId));
    const link: Link = { ...input, crmUserId, updatedAt: deps.now().toISOString() };
    const result = await storeLink(store, link, existing);
    // A series master's occurrences are linked with it, whichever way the master's link was learned.
    if (link.crm.entity === SERIES_TABLE && link.itemKind === 'event') await linkOccurrences(deps, link, putLink);
    if (result === 'relinked') log.warn('item relinked to another record', { userId: input.userId, itemKind: input.itemKind, from: existing?.crm, to: input.crm });
    return result === 'unchanged' ? 'unchanged' : 'linked';
  }

  /** Webhooks learn this way: an item already linked to another record keeps that link (false). */
  async function linkUnlessTaken(input: Omit<Link, 'updatedAt'>): Promise<boolean> {
    const existing = await store.links.getByItem(input.userId, input.itemId);
    if (existing !== null && !sameRef(existing.crm, input.crm)) {
      log.warn('item already linked to another record: not relinked', { userId: input.userId, itemKind: input.itemKind, linkedTo: existing.crm, claimedBy: input.crm });
      return false;
    }
    await putLink(input, existing);
    return true;
  }

  async function learnItems(
    userId: string,
    itemKind: OutlookItemKind,
    items: readonly GraphItem[],
    options: { listId: string | null; source: string },
  ): Promise<LearnCounts> {
    const counts: LearnCounts = { linked: 0, unchanged: 0, unmatched: 0 };
    const matches = await matchItems(deps.dataverse, itemKind, items);
    counts.unmatched = items.length - matches.length;
    for (const m of matches) {
      const result = await putLink({ crm: m.crm, userId, itemKind, itemId: m.itemId, role: m.role, listId: options.listId, source: options.source });
      counts[result] += 1;
    }
    return counts;
  }

  async function fromOutlookChange(outlook: OutlookEventDetail): Promise<void> {
    if ((await store.links.getByItem(outlook.userId, outlook.itemId)) !== null) return;
    let item: GraphItem;
    try {
      item = GraphItem.parse(
        await graph.api(itemPath(outlook)).headers(IMMUTABLE_ID).select(MATCH_SELECT[outlook.itemKind]).expand(markerExpand(outlook.itemKind)).get(),
      );
    } catch (error) {
      if (graphStatus(error) === 404) return; // Gone again before it was read: nothing to link.
      throw error;
    }
    await learnItems(outlook.userId, outlook.itemKind, [item], { listId: outlook.listId, source: 'notification' });
  }

  /** Attendee parties of a meeting that are CRM users (the owner counts as one), each once, without the organizer. */
  function attendeeUsers(record: CrmSnapshot, organizerId: string): string[] {
    const users = new Set<string>();
    for (const p of [...record.requiredAttendees, ...record.optionalAttendees]) if (p.type === 'systemuser' && p.id !== null) users.add(p.id.toLowerCase());
    if (record.owner?.entity === 'systemuser') users.add(record.owner.id.toLowerCase());
    users.delete(organizerId);
    return [...users];
  }

  /** The one event with this iCalUId in the mailbox; null when there is none, more than one, or no mailbox. */
  async function onlyEvent(userId: string, iCalUId: string): Promise<FoundEvent | null> {
    let found: FoundEvent[];
    try {
      found = await findEventsByICalUId(graph, userId, iCalUId);
    } catch (error) {
      if (graphStatus(error) === 404) return null; // No mailbox for this user.
      throw error;
    }
    if (found.length > 1) log.warn('meeting not linked in a mailbox: more than one event has the iCalUId', { userId, matches: found.length });
    return found.length === 1 ? (found[0] as FoundEvent) : null;
  }

  /**
   * Links a meeting's mailbox copies found by iCalUId, only where they are this record's meeting: the
   * record's organizer must be a CRM user whose own mailbox holds the organizer's copy (systemuser ↔
   * mailbox through the resolver), and each attendee's copy must name the same Outlook organizer. A body
   * can name any globalobjectid; this is what keeps another person's meeting from being taken over.
   * Items linked to another record keep their link (a webhook never relinks).
   */
  async function linkMeeting(record: CrmSnapshot, globalObjectId: string): Promise<number> {
    const iCalUId = iCalUIdFromGlobalObjectId(globalObjectId);
    const organizerId = record.organizer?.type === 'systemuser' ? (record.organizer.id?.toLowerCase() ?? null) : null;
    if (!isSafeICalUId(iCalUId) || organizerId === null) {
      log.info('meeting not linked: no usable iCalUId or the organizer is not a CRM user', { record: record.ref });
      return 0;
    }
    const organizerMailbox = await crmUsers.entraIdOf(organizerId);
    const own = organizerMailbox === null ? null : await onlyEvent(organizerMailbox, iCalUId);
    if (organizerMailbox === null || own === null || !own.isOrganizer || own.organizerAddress === null) {
      log.warn("meeting not linked: the record's organizer does not organize an event with this iCalUId", { record: record.ref });
      return 0;
    }
    const copies: { userId: string; crmUserId: string; event: FoundEvent; role: LinkRole }[] = [{ userId: organizerMailbox, crmUserId: organizerId, event: own, role: 'organizer' }];
    for (const systemUserId of attendeeUsers(record, organizerId)) {
      const userId = await crmUsers.entraIdOf(systemUserId);
      const event = userId === null ? null : await onlyEvent(userId, iCalUId);
      if (userId === null || event === null) continue;
      if (event.isOrganizer || event.organizerAddress !== own.organizerAddress) {
        log.warn("attendee copy not linked: it names another organizer than the record's", { userId, record: record.ref });
        continue;
      }
      copies.push({ userId, crmUserId: systemUserId, event, role: 'attendee' });
    }
    let linked = 0;
    for (const c of copies) {
      const link = { crm: record.ref, userId: c.userId, crmUserId: c.crmUserId, itemKind: 'event' as const, itemId: c.event.id, role: c.role, listId: null, source: 'webhook' };
      if (await linkUnlessTaken(link)) linked += 1;
    }
    return linked;
  }

  async function linkEmail(record: CrmSnapshot, messageId: string): Promise<number> {
    if (record.owner?.entity !== 'systemuser' || !isSafeInternetMessageId(messageId)) return 0;
    const userId = await crmUsers.entraIdOf(record.owner.id);
    if (userId === null) return 0;
    let page;
    try {
      page = Found.parse(
        await graph
          .api(collectionPath(userId, 'message'))
          .headers(IMMUTABLE_ID)
          .filter(eqFilter('internetMessageId', messageId, isSafeInternetMessageId))
          .select(['id'])
          .get(),
      );
    } catch (error) {
      if (graphStatus(error) === 404) return 0;
      throw error;
    }
    // One message is expected: several with one internetMessageId (copies in other folders) are not guessed between.
    const [only] = page.value;
    if (page.value.length !== 1 || only === undefined) {
      if (page.value.length > 1) log.warn('e-mail not linked: more than one message has the internetMessageId', { userId, matches: page.value.length });
      return 0;
    }
    const link = { crm: record.ref, userId, crmUserId: record.owner.id.toLowerCase(), itemKind: 'message' as const, itemId: only.id, role: 'other' as const, listId: null, source: 'webhook' };
    return (await linkUnlessTaken(link)) ? 1 : 0;
  }

  async function fromCrmChange(crm: NonNullable<DomainEvent['crm']>): Promise<void> {
    const stored = await store.snapshots.get(crm.ref);
    const record = crm.snapshot === null ? stored : mergeNewest(stored, crm.snapshot);
    if (record === null) return;
    // An instance of a series is linked through its series (series.ts): its globalobjectid may name the whole series.
    const instance = record.series?.seriesId != null && crm.ref.entity === 'appointment';
    if ((crm.ref.entity === 'appointment' || crm.ref.entity === SERIES_TABLE) && !instance && record.globalObjectId) await linkMeeting(record, record.globalObjectId);
    if (crm.ref.entity === 'email' && record.messageId) await linkEmail(record, record.messageId);
  }

  return {
    learnItems,
    putLink,
    linkOccurrences: (master) => linkOccurrences(deps, master, putLink),
    async learn(event) {
      if (event.change === 'deleted') return;
      if (event.outlook !== undefined) await fromOutlookChange(event.outlook);
      else if (event.crm !== undefined) await fromCrmChange(event.crm);
    },
  };
}
