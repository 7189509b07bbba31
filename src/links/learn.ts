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
import { mergeSnapshot } from '../domain/snapshot.js';
import { graphStatus } from '../graph/errors.js';
import { collectionPath, findEventsByICalUId, iCalUIdFromGlobalObjectId, IMMUTABLE_ID, itemPath } from '../graph/items.js';
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

  async function putLink(input: Omit<Link, 'updatedAt' | 'crmUserId'> & { crmUserId?: string | null }): Promise<'linked' | 'unchanged'> {
    const existing = await store.links.getByItem(input.userId, input.itemId);
    const crmUserId = input.crmUserId ?? existing?.crmUserId ?? (await crmUsers.systemUserOf(input.userId));
    const link: Link = { ...input, crmUserId, updatedAt: deps.now().toISOString() };
    const result = await storeLink(store, link, existing);
    // A series master's occurrences are linked with it, whichever way the master's link was learned.
    if (link.crm.entity === SERIES_TABLE && link.itemKind === 'event') await linkOccurrences(deps, link, putLink);
    if (result === 'relinked') log.warn('item relinked to another record', { userId: input.userId, itemKind: input.itemKind, from: existing?.crm, to: input.crm });
    return result === 'unchanged' ? 'unchanged' : 'linked';
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

  /** User parties of a meeting with the role their mailbox copy has. */
  function meetingUsers(record: CrmSnapshot): Map<string, LinkRole> {
    const users = new Map<string, LinkRole>();
    const add = (id: string | null, role: LinkRole) => {
      if (id !== null && !users.has(id.toLowerCase())) users.set(id.toLowerCase(), role);
    };
    if (record.organizer?.type === 'systemuser') add(record.organizer.id, 'organizer');
    for (const p of [...record.requiredAttendees, ...record.optionalAttendees]) if (p.type === 'systemuser') add(p.id, 'attendee');
    if (record.owner?.entity === 'systemuser') add(record.owner.id, 'attendee');
    return users;
  }

  async function linkMeeting(record: CrmSnapshot, globalObjectId: string): Promise<number> {
    const iCalUId = iCalUIdFromGlobalObjectId(globalObjectId);
    let linked = 0;
    for (const [systemUserId] of meetingUsers(record)) {
      const userId = await crmUsers.entraIdOf(systemUserId);
      if (userId === null) continue;
      let found;
      try {
        found = await findEventsByICalUId(graph, userId, iCalUId);
      } catch (error) {
        if (graphStatus(error) === 404) continue; // No mailbox for this user.
        throw error;
      }
      for (const event of found) {
        const role: LinkRole = event.isOrganizer ? 'organizer' : 'attendee';
        await putLink({ crm: record.ref, userId, crmUserId: systemUserId, itemKind: 'event', itemId: event.id, role, listId: null, source: 'webhook' });
        linked += 1;
      }
    }
    return linked;
  }

  async function linkEmail(record: CrmSnapshot, messageId: string): Promise<number> {
    if (record.owner?.entity !== 'systemuser') return 0;
    const userId = await crmUsers.entraIdOf(record.owner.id);
    if (userId === null) return 0;
    let page;
    try {
      page = Found.parse(
        await graph
          .api(collectionPath(userId, 'message'))
          .headers(IMMUTABLE_ID)
          .filter(`internetMessageId eq '${messageId.replace(/'/g, "''")}'`)
          .select(['id'])
          .get(),
      );
    } catch (error) {
      if (graphStatus(error) === 404) return 0;
      throw error;
    }
    for (const m of page.value) {
      await putLink({ crm: record.ref, userId, crmUserId: record.owner.id.toLowerCase(), itemKind: 'message', itemId: m.id, role: 'other', listId: null, source: 'webhook' });
    }
    return page.value.length;
  }

  async function fromCrmChange(crm: NonNullable<DomainEvent['crm']>): Promise<void> {
    const stored = await store.snapshots.get(crm.ref);
    const record = crm.snapshot === null ? stored : mergeSnapshot(stored, crm.snapshot);
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
