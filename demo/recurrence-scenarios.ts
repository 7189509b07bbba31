/**
 * The deletion table applied to recurring meetings, both directions, as plays on a running world (see
 * scenarios.ts): a weekly series made in Outlook and tracked to CRM (the CRM series' globalobjectid is
 * the Outlook iCalUId; CRM has expanded its instances), whose links the service learns itself from the
 * series' Create webhook — the master in each mailbox, and each occurrence by its original start.
 * Copies are named by mailbox and occurrence (`olga past` is an occurrence of Olga's copy that took
 * place, `olga next` one still to come), so "future occurrences go, past ones stay" is visible.
 */
import type { DirectoryUser } from '../sandbox/index.js';
import type { CrmRef } from '../src/domain/event.js';
import { observe, type Scenario } from './scenarios.js';
import type { Copy, Tracked } from './tracked.js';
import type { World } from './world.js';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** Six weekly occurrences: three that took place (15, 8 and 1 days ago), three to come. */
const OCCURRENCES = 6;

export interface TrackedSeries {
  series: CrmRef;
  iCalUId: string;
  /** CRM instance ids by occurrence number (0 = first). */
  instances: CrmRef[];
  /** Each mailbox's series master. */
  masters: Record<string, Copy>;
  /** Each mailbox's occurrence n (0 = first). */
  occurrence(name: string, n: number): Copy;
}

const graphTime = (ms: number) => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });

export async function trackedSeries(world: World, subject: string, organizer: DirectoryUser, attendees: DirectoryUser[]): Promise<TrackedSeries> {
  const { sb } = world;
  const first = Math.floor((Date.now() - 15 * DAY_MS + 3_600_000) / 60_000) * 60_000;
  const weekday = new Date(first).getUTCDay();
  const master = sb.graph.createEvent(organizer.id, {
    subject,
    start: graphTime(first),
    end: graphTime(first + 1_800_000),
    attendees: attendees.map((a) => ({ emailAddress: { address: a.mail, name: a.displayName }, type: 'required' as const })),
    recurrence: {
      pattern: { type: 'weekly', interval: 1, daysOfWeek: [WEEKDAYS[weekday] as string] },
      range: { type: 'numbered', startDate: new Date(first).toISOString().slice(0, 10), numberOfOccurrences: OCCURRENCES },
    },
  });
  const iCalUId = String(master.iCalUId);
  const user = (id: string) => [organizer, ...attendees].find((u) => u.id === id) as DirectoryUser;
  const nameOf = (u: DirectoryUser) => Object.entries(world.users).find(([, w]) => w.id === u.id)?.[0] as string;
  const masters = Object.fromEntries(
    sb.graph.meetingCopies(iCalUId).map(({ userId, event }) => [nameOf(user(userId)), { user: user(userId), itemKind: 'event' as const, itemId: String(event.id), listId: null }]),
  );
  const { id, instances } = await sb.dataverse.createRecurringAppointment({
    subject,
    firstStart: first,
    durationMinutes: 30,
    pattern: { recurrencepatterntype: 1, interval: 1, daysofweekmask: 1 << weekday, patternendtype: 2, occurrences: OCCURRENCES },
    organizer: { logicalName: 'systemuser', id: organizer.systemUserId },
    requiredAttendees: attendees.map((a) => ({ logicalName: 'systemuser', id: a.systemUserId })),
    globalobjectid: iCalUId,
  });
  await world.quiesce();
  const byStart = instances
    .map((i) => ({ id: i, start: sb.dataverse.get('appointment', i)?.scheduledstart as number }))
    .sort((a, b) => a.start - b.start)
    .map((i): CrmRef => ({ entity: 'appointment', id: i.id }));
  return {
    series: { entity: 'recurringappointmentmaster', id },
    iCalUId,
    instances: byStart,
    masters,
    occurrence(name, n) {
      const copy = masters[name] as Copy;
      const [occurrence] = sb.graph.occurrences(copy.user.id, copy.itemId, first + n * WEEK_MS, first + n * WEEK_MS + 1);
      if (!occurrence) throw new Error(`${name} has no occurrence ${n}`);
      return { user: copy.user, itemKind: 'event', itemId: String(occurrence.id), listId: null };
    },
  };
}

/** Occurrence 1 took place, occurrence 4 is to come: how each mailbox's series looks on both sides of now. */
function pastAndNext(series: TrackedSeries, names: string[]): Record<string, Copy> {
  return Object.fromEntries(names.flatMap((name) => [[`${name} past`, series.occurrence(name, 1)], [`${name} next`, series.occurrence(name, 4)]]));
}

let serial = 0;
const subject = (what: string) => `${what} (weekly) #${++serial}`;

export const RECURRENCE_SCENARIOS: Scenario[] = [
  {
    name: 'series-crm',
    row: 'Active recurring series',
    direction: 'CRM → Outlook',
    action: 'Olga deletes the weekly series in CRM: it ends at now in her calendar',
    expected: { crm: false, outlook: { 'olga past': true, 'olga next': false, 'alice past': true, 'alice next': false }, ruleId: 'crm.series.active' },
    play: async (w) => {
      const s = await trackedSeries(w, subject('Pipeline review'), w.users.olga, [w.users.alice]);
      const tracked: Tracked = { ref: s.series, copies: pastAndNext(s, ['olga', 'alice']) };
      await w.sb.dataverse.userDeletes(w.users.olga.systemUserId, 'recurringappointmentmaster', s.series.id);
      return observe(w, tracked, { origin: 'crm' });
    },
  },
  {
    name: 'occurrence-future-crm',
    row: 'Active occurrence, future',
    direction: 'CRM → Outlook',
    action: 'Olga deletes next week’s occurrence in CRM: it is cancelled for all',
    expected: { crm: false, outlook: { olga: false, alice: false, 'olga later': true }, ruleId: 'crm.occurrence.active.future' },
    play: async (w) => {
      const s = await trackedSeries(w, subject('Account call'), w.users.olga, [w.users.alice]);
      const tracked: Tracked = { ref: s.instances[3] as CrmRef, copies: { olga: s.occurrence('olga', 3), alice: s.occurrence('alice', 3), 'olga later': s.occurrence('olga', 4) } };
      await w.sb.dataverse.userDeletes(w.users.olga.systemUserId, 'appointment', tracked.ref.id);
      return observe(w, tracked, { origin: 'crm' });
    },
  },
  {
    name: 'occurrence-past-crm',
    row: 'Active occurrence, past',
    direction: 'CRM → Outlook',
    action: 'Olga deletes last week’s occurrence in CRM',
    expected: { crm: false, outlook: { olga: true, alice: true }, ruleId: 'crm.occurrence.active.past' },
    play: async (w) => {
      const s = await trackedSeries(w, subject('Standup'), w.users.olga, [w.users.alice]);
      const tracked: Tracked = { ref: s.instances[1] as CrmRef, copies: { olga: s.occurrence('olga', 1), alice: s.occurrence('alice', 1) } };
      await w.sb.dataverse.userDeletes(w.users.olga.systemUserId, 'appointment', tracked.ref.id);
      return observe(w, tracked, { origin: 'crm' });
    },
  },
  {
    name: 'series-organizer-outlook',
    row: 'Active recurring series, organizer',
    direction: 'Outlook → CRM',
    action: 'Olga (organizer) deletes the whole series in Outlook',
    expected: { crm: false, outlook: { olga: false, alice: true }, ruleId: 'outlook.series.organizer' },
    play: async (w) => {
      const s = await trackedSeries(w, subject('Steering'), w.users.olga, [w.users.alice]);
      const tracked: Tracked = { ref: s.series, copies: s.masters };
      w.sb.graph.userDeletesItem(w.users.olga.id, 'event', s.masters.olga!.itemId);
      return observe(w, tracked, { origin: 'outlook', itemId: s.masters.olga!.itemId });
    },
  },
  {
    name: 'series-attendee-outlook',
    row: 'Active recurring series, attendee',
    direction: 'Outlook → CRM',
    action: 'Alice (attendee) deletes her copy of the series in Outlook',
    expected: { crm: true, outlook: { olga: true, alice: false }, ruleId: 'outlook.series.attendee' },
    play: async (w) => {
      const s = await trackedSeries(w, subject('Forecast'), w.users.olga, [w.users.alice]);
      const tracked: Tracked = { ref: s.series, copies: s.masters };
      w.sb.graph.userDeletesItem(w.users.alice.id, 'event', s.masters.alice!.itemId);
      return observe(w, tracked, { origin: 'outlook', itemId: s.masters.alice!.itemId });
    },
  },
  {
    name: 'occurrence-organizer-outlook',
    row: 'Active occurrence, organizer',
    direction: 'Outlook → CRM',
    action: 'Olga (organizer) cancels next week’s occurrence in Outlook',
    expected: { crm: false, outlook: { olga: false, alice: false, 'olga later': true }, ruleId: 'outlook.occurrence.organizer' },
    play: async (w) => {
      const s = await trackedSeries(w, subject('1:1'), w.users.olga, [w.users.alice]);
      const olga = s.occurrence('olga', 3);
      const tracked: Tracked = { ref: s.instances[3] as CrmRef, copies: { olga, alice: s.occurrence('alice', 3), 'olga later': s.occurrence('olga', 4) } };
      w.sb.graph.userDeletesItem(w.users.olga.id, 'event', olga.itemId);
      return observe(w, tracked, { origin: 'outlook', itemId: olga.itemId });
    },
  },
  {
    name: 'occurrence-attendee-outlook',
    row: 'Active occurrence, attendee',
    direction: 'Outlook → CRM',
    action: 'Alice (attendee) deletes next week’s occurrence from her calendar',
    expected: { crm: true, outlook: { olga: true, alice: false }, ruleId: 'outlook.occurrence.attendee' },
    play: async (w) => {
      const s = await trackedSeries(w, subject('Office hours'), w.users.olga, [w.users.alice]);
      const alice = s.occurrence('alice', 3);
      const tracked: Tracked = { ref: s.instances[3] as CrmRef, copies: { olga: s.occurrence('olga', 3), alice } };
      w.sb.graph.userDeletesItem(w.users.alice.id, 'event', alice.itemId);
      return observe(w, tracked, { origin: 'outlook', itemId: alice.itemId });
    },
  },
];
