/**
 * What a propagating rule acts on. CRM deletes name the mailboxes (by role, with the linked item when
 * a link is known); Outlook deletes name the CRM record and the user the delete runs as. Only links
 * to the record itself are ever used, so an item linked elsewhere can never become a target.
 */
import type { CrmRef, OutlookItemKind, Party } from '../domain/event.js';
import type { Link } from '../domain/link.js';
import type { PolicyConfig } from './config.js';
import { sameId, sameRef } from './record-state.js';
import type { RuleId } from './table.js';
import type { CrmTarget, Facts, FollowUp, OutlookTarget } from './types.js';

export interface Plan {
  targets: (OutlookTarget | CrmTarget)[];
  followUps: FollowUp[];
  /** Sentences added to the rule's reason: who was left out and why. */
  notes: string[];
}

const EMPTY_PLAN: Plan = { targets: [], followUps: [], notes: [] };

export function recordRef(facts: Facts): CrmRef | null {
  return facts.crmRef ?? facts.record?.ref ?? null;
}

function linksOf(facts: Facts, itemKind: OutlookItemKind): Link[] {
  const ref = recordRef(facts);
  return ref === null ? [] : facts.links.filter((link) => link.itemKind === itemKind && sameRef(link.crm, ref));
}

/** CRM ids are GUIDs compared without case: the one spelling the indexes below are keyed by. */
const normalId = (id: string) => id.toLowerCase();

/** Each CRM user's first link, indexed once, so a meeting's parties are matched in one pass, not party × link. */
function firstLinkByUser(links: Link[]): Map<string, Link> {
  const byUser = new Map<string, Link>();
  for (const link of links) {
    if (link.crmUserId === null) continue;
    const key = normalId(link.crmUserId);
    if (!byUser.has(key)) byUser.set(key, link);
  }
  return byUser;
}

function linkedCopy(link: Link, role: OutlookTarget['role']): OutlookTarget {
  return { side: 'outlook', role, crmUserId: link.crmUserId, userId: link.userId, itemKind: link.itemKind, itemId: link.itemId, method: 'delete' };
}

/** Organizer, required and optional attendees that are CRM users; each once, the organizer first. */
function mailboxParties(parties: Party[]): { users: (Party & { id: string })[]; others: Party[] } {
  const users: (Party & { id: string })[] = [];
  const others: Party[] = [];
  const seen = new Set<string>();
  for (const party of parties) {
    if (party.type !== 'systemuser' || party.id === null) others.push(party);
    else if (!seen.has(normalId(party.id))) {
      seen.add(normalId(party.id));
      users.push({ ...party, id: party.id });
    }
  }
  return { users, others };
}

function appointmentPlan(facts: Facts, policy: Pick<PolicyConfig, 'organizerMeetingMethod'>): Plan {
  const record = facts.record;
  if (record === null) return EMPTY_PLAN;
  const parties = [...(record.organizer === null ? [] : [record.organizer]), ...record.requiredAttendees, ...record.optionalAttendees];
  const { users, others } = mailboxParties(parties);
  const links = linksOf(facts, 'event');
  const linkByUser = firstLinkByUser(links);
  const used = new Set<Link>();
  const targets: OutlookTarget[] = users.map((party) => {
    const link = linkByUser.get(normalId(party.id));
    if (link !== undefined) used.add(link);
    const organizer = party.role === 'organizer';
    return {
      side: 'outlook',
      role: organizer ? 'organizer' : 'attendee',
      crmUserId: party.id,
      userId: link?.userId ?? null,
      itemKind: 'event',
      itemId: link?.itemId ?? null,
      method: organizer ? policy.organizerMeetingMethod : 'delete',
    };
  });
  const extra = links.filter((link) => !used.has(link)).map((link) => linkedCopy(link, 'linked'));
  const notes =
    others.length === 0
      ? []
      : [`${others.length} part${others.length === 1 ? 'y is' : 'ies are'} not a CRM user (external contact or unresolved address) and not targeted.`];
  return { targets: [...targets, ...extra], followUps: [], notes };
}

/**
 * A series deleted in CRM: only the organizer's series master is acted on (its range is cut back at
 * now); attendees' copies follow the organizer's update, so no attendee's past occurrence is touched.
 */
function seriesPlan(facts: Facts): Plan {
  const organizer = facts.record?.organizer ?? null;
  if (organizer === null || organizer.type !== 'systemuser' || organizer.id === null) {
    return { ...EMPTY_PLAN, notes: ['The organizer is not a CRM user, so no mailbox holds the series master that could be ended; nothing is changed.'] };
  }
  const link = linksOf(facts, 'event').find((candidate) => sameId(candidate.crmUserId, organizer.id));
  const target: OutlookTarget = {
    side: 'outlook',
    role: 'organizer',
    crmUserId: organizer.id,
    userId: link?.userId ?? null,
    itemKind: 'event',
    itemId: link?.itemId ?? null,
    method: 'end-series',
  };
  return { targets: [target], followUps: [], notes: ["Attendees' copies are not changed directly: Exchange carries the organizer's change to them."] };
}

/**
 * One occurrence deleted in CRM: every user party's copy of that occurrence, found by the occurrence's
 * link or else through the mailbox's series link and the original start; the organizer's is cancelled.
 */
function occurrencePlan(facts: Facts): Plan {
  const series = facts.record?.series;
  if (!series?.seriesId || !series.originalStart) return EMPTY_PLAN;
  const occurrence = { series: { entity: 'recurringappointmentmaster', id: series.seriesId }, originalStart: series.originalStart };
  const plan = appointmentPlan(facts, { organizerMeetingMethod: 'cancel' });
  return { ...plan, targets: plan.targets.map((target) => (target.side === 'outlook' ? { ...target, occurrence } : target)) };
}

function taskPlan(facts: Facts): Plan {
  const owner = facts.record?.owner ?? null;
  const links = linksOf(facts, 'todoTask');
  if (owner === null || owner.entity !== 'systemuser') {
    return { targets: links.map((link) => linkedCopy(link, 'linked')), followUps: [], notes: ['The task is not owned by a user: only linked copies are targeted.'] };
  }
  const ownerLink = links.find((link) => sameId(link.crmUserId, owner.id));
  const ownerTarget: OutlookTarget = {
    side: 'outlook',
    role: 'owner',
    crmUserId: owner.id,
    userId: ownerLink?.userId ?? null,
    itemKind: 'todoTask',
    itemId: ownerLink?.itemId ?? null,
    method: 'delete',
  };
  const copies = links.filter((link) => link !== ownerLink).map((link) => linkedCopy(link, 'linked'));
  return { targets: [ownerTarget, ...copies], followUps: [], notes: [] };
}

function isOwnersCopy(link: Link, owner: CrmRef): boolean {
  return link.role === 'owner' || sameId(link.crmUserId, owner.id);
}

function contactPlan(facts: Facts): Plan {
  const owner = facts.record?.owner ?? null;
  if (owner === null) return EMPTY_PLAN;
  const links = linksOf(facts, 'contact');
  const kept = links.filter((link) => isOwnersCopy(link, owner));
  const targets = links.filter((link) => !isOwnersCopy(link, owner)).map((link) => linkedCopy(link, 'linked'));
  const notes = [`The owner's copy is kept (${kept.length} linked).`];
  if (targets.length === 0) notes.push('No other linked copy is known.');
  return { targets, followUps: [], notes };
}

/** Outlook deletes run in CRM as the mailbox owner, so Dataverse itself checks their Delete privilege. */
function crmDeletePlan(facts: Facts): Plan {
  const ref = recordRef(facts);
  if (ref === null || facts.actor === null) return EMPTY_PLAN;
  const target: CrmTarget = {
    side: 'crm',
    ref,
    actAs: { userId: facts.actor.userId, crmUserId: facts.actor.crmUserId },
    privilegeCheck: 'enforced-by-impersonation',
  };
  return { targets: [target], followUps: [], notes: [] };
}

/** The owner's mailbox: the actor if they are the owner, else the owner's linked copy. */
function ownerMailbox(facts: Facts): string | null {
  const owner = facts.record?.owner ?? null;
  const actor = facts.actor;
  if (actor !== null && (actor.role === 'owner' || (owner !== null && sameId(actor.crmUserId, owner.id)))) return actor.userId;
  if (owner === null) return null;
  return linksOf(facts, 'contact').find((link) => isOwnersCopy(link, owner))?.userId ?? null;
}

function contactRestorePlan(facts: Facts): Plan {
  const ref = recordRef(facts);
  const userId = ownerMailbox(facts);
  if (ref === null || userId === null) return { ...EMPTY_PLAN, notes: ["The owner's mailbox is not known, so no restore is scheduled."] };
  return { targets: [], followUps: [{ kind: 'restore-on-next-crm-change', crmRef: ref, userId }], notes: [] };
}

/** Targets of propagating rules; follow-ups of rules that keep the record but owe a restore. */
export function planFor(ruleId: RuleId, facts: Facts, policy: PolicyConfig): Plan {
  switch (ruleId) {
    case 'crm.appointment.active.future':
      return appointmentPlan(facts, policy);
    case 'crm.series.active':
      return seriesPlan(facts);
    case 'crm.occurrence.active.future':
      return occurrencePlan(facts);
    case 'crm.task.active':
      return taskPlan(facts);
    case 'crm.contact':
      return contactPlan(facts);
    case 'outlook.appointment.active.organizer':
    case 'outlook.series.organizer':
    case 'outlook.occurrence.organizer':
    case 'outlook.task.active':
      return crmDeletePlan(facts);
    case 'outlook.contact':
      return contactRestorePlan(facts);
    default:
      return EMPTY_PLAN;
  }
}
