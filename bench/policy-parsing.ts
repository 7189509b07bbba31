/**
 * Section 4: how many decisions per second decide() makes over a realistic mix of facts, and how many
 * real-size Dataverse Delete bodies (pre-image with party lists) the receiver's parser turns into events.
 * Both are CPU-only: they bound what one core can do before any I/O.
 */
import { randomUUID } from 'node:crypto';
import type { CrmSnapshot, DomainEvent } from '../src/domain/event.js';
import type { Link } from '../src/domain/link.js';
import { normalizeDataverseWebhook } from '../src/domain/normalize-dataverse.js';
import { normalizeGraphNotification, parseNotificationCollection } from '../src/domain/normalize-graph.js';
import { decide } from '../src/policy/decide.js';
import { factsFor } from '../src/policy/facts.js';
import type { Facts } from '../src/policy/types.js';
import { DATAVERSE_DELETE_FIXTURE, GRAPH_DELETED_FIXTURE, dataverseHeaders, graphDeletedBody, largeDeleteBody, readFixture } from './bodies.js';

export interface RateResult {
  perSecond: number;
  count: number;
  ms: number;
}

export interface PolicyParsingResult {
  decisions: RateResult & { mix: Record<string, number> };
  /** decide() for one future meeting deleted in CRM, every party linked: the mix's heavy case, and a large one. */
  meetings: { attendees: number; rate: RateResult }[];
  parsing: RateResult & { bodyBytes: number; attendees: number };
}

/** Runs `work` in a tight loop for about `ms` milliseconds (checking the clock every `chunk` calls). */
export function measureRate(work: (i: number) => void, ms: number, chunk = 50): RateResult {
  for (let i = 0; i < chunk * 4; i++) work(i); // warm-up (JIT)
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < ms) {
    for (let i = 0; i < chunk; i++) work(count++);
  }
  const elapsed = performance.now() - start;
  return { perSecond: (count / elapsed) * 1000, count, ms: elapsed };
}

function linksFor(record: CrmSnapshot, itemKind: Link['itemKind']): Link[] {
  const parties = [record.organizer, ...record.requiredAttendees].filter((p) => p !== null && p.type === 'systemuser');
  return parties.map((p) => ({
    crm: record.ref,
    userId: randomUUID(),
    crmUserId: p!.id,
    itemKind,
    itemId: `AAMk${randomUUID()}`,
    role: p!.role === 'organizer' ? 'organizer' : 'attendee',
    listId: null,
    source: 'bench',
    updatedAt: new Date().toISOString(),
  }));
}

function withEntity(event: DomainEvent, entity: 'task' | 'contact' | 'email', statecode: number): DomainEvent {
  const crm = event.crm!;
  const ref = { entity, id: randomUUID() };
  return { ...event, entity, crm: { ...crm, ref, snapshot: { ...crm.snapshot!, ref, statecode } } };
}

/**
 * The mix: CRM deletes of future meetings with 50 attendees (the heavy, common case), past meetings,
 * open and completed tasks, contacts, emails; Outlook deletes by organizer, by attendee and of unlinked items.
 */
/** A future meeting with `attendees` required attendees deleted in CRM, as the receiver parses it. */
function futureMeeting(attendees: number, now: Date): { event: DomainEvent; record: CrmSnapshot } {
  const template = readFixture(DATAVERSE_DELETE_FIXTURE);
  const meeting = normalizeDataverseWebhook(largeDeleteBody(template, attendees), dataverseHeaders(template), now);
  const record: CrmSnapshot = { ...meeting.crm!.snapshot!, scheduledStart: new Date(now.getTime() + 86_400_000).toISOString() };
  return { event: { ...meeting, crm: { ...meeting.crm!, snapshot: record } }, record };
}

/** The facts of that delete with every CRM-user party's copy linked. */
export function meetingFacts(attendees: number, now = new Date()): Facts {
  const { event, record } = futureMeeting(attendees, now);
  return factsFor(event, { links: linksFor(record, 'event') });
}

export function factsMix(): { facts: Facts; weight: number }[] {
  const template = readFixture(DATAVERSE_DELETE_FIXTURE);
  const headers = dataverseHeaders(template);
  const now = new Date();
  const { event: futureEvent, record: future } = futureMeeting(50, now);
  const pastEvent = normalizeDataverseWebhook(JSON.stringify(template), headers, now);
  const task = withEntity(futureEvent, 'task', 0);
  const doneTask = withEntity(futureEvent, 'task', 1);
  const contact = withEntity(futureEvent, 'contact', 0);
  const email = withEntity(futureEvent, 'email', 1);

  const graph = readFixture(GRAPH_DELETED_FIXTURE);
  const organizerLink = linksFor(future, 'event')[0]!;
  const notification = (userId: string) =>
    parseNotificationCollection(
      graphDeletedBody(graph, [{ subscriptionId: randomUUID(), clientState: 'x', tenantId: randomUUID(), userId, itemId: organizerLink.itemId }], 'e1'),
    )[0]!;
  const outlookEvent = normalizeGraphNotification(notification(organizerLink.userId), now);
  const organizerId = future.organizer!.id;
  const attendeeId = future.requiredAttendees[0]!.id;

  return [
    { weight: 30, facts: factsFor(futureEvent, { links: linksFor(future, 'event') }) },
    { weight: 10, facts: factsFor(pastEvent, { links: [] }) },
    { weight: 10, facts: factsFor(task, { links: linksFor(task.crm!.snapshot!, 'todoTask').slice(0, 1) }) },
    { weight: 5, facts: factsFor(doneTask, { links: [] }) },
    { weight: 10, facts: factsFor(contact, { links: linksFor(contact.crm!.snapshot!, 'contact').slice(0, 3) }) },
    { weight: 5, facts: factsFor(email, { links: [] }) },
    {
      weight: 10,
      facts: factsFor(outlookEvent, { crmRef: future.ref, record: future, actor: { role: 'organizer', userId: organizerLink.userId, crmUserId: organizerId }, links: [organizerLink] }),
    },
    {
      weight: 15,
      facts: factsFor(outlookEvent, { crmRef: future.ref, record: future, actor: { role: 'attendee', userId: randomUUID(), crmUserId: attendeeId }, links: [organizerLink] }),
    },
    { weight: 5, facts: factsFor(outlookEvent, {}) },
  ];
}

export function runPolicyAndParsing(ms = 1500, attendees = 50): PolicyParsingResult {
  const mix = factsMix();
  const sequence = mix.flatMap(({ facts, weight }) => Array.from({ length: weight }, () => facts));
  const now = new Date();
  const rules: Record<string, number> = {};
  for (const facts of new Set(sequence)) {
    const { ruleId } = decide(facts, now);
    rules[ruleId] = (rules[ruleId] ?? 0) + sequence.filter((f) => f === facts).length;
  }
  const decisions = measureRate((i) => void decide(sequence[i % sequence.length]!, now), ms);
  const meetings = [50, 2000].map((size) => {
    const facts = meetingFacts(size, now);
    return { attendees: size, rate: measureRate(() => void decide(facts, now), ms, size > 500 ? 2 : 50) };
  });

  const template = readFixture(DATAVERSE_DELETE_FIXTURE);
  const headers = dataverseHeaders(template);
  const body = Buffer.from(largeDeleteBody(template, attendees));
  const parsing = measureRate(() => void normalizeDataverseWebhook(body, headers, now), ms, 10);
  return { decisions: { ...decisions, mix: rules }, meetings, parsing: { ...parsing, bodyBytes: body.length, attendees } };
}
