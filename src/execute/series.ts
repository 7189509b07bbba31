/**
 * The executor's recurring-meeting work: ending a series at now in the organizer's calendar, and finding
 * one occurrence of a mailbox's copy of a series by its original start.
 *
 * Ending at now: the series master's `recurrence.range` becomes `{type: endDate, endDate: <date of the
 * last occurrence that has started>}` (Learn "Update event" lists `recurrence` as updatable; "Schedule
 * repeating appointments as recurring events" § end date range). Occurrences are one per day at most, so
 * every later date's occurrence is in the future and goes, and every started one stays. Occurrences
 * starting within START_MARGIN_MS count as started, so the PATCH never lands after one began. A series of
 * which nothing has started is cancelled as a whole (every occurrence is in the future). Dates are taken
 * in the range's recurrenceTimeZone; one that is neither UTC nor a zone the runtime knows is a skip.
 */
import type { OccurrenceKey } from '../policy/types.js';
import type { PatternedRecurrence, SeriesEvent } from '../graph/recurrence.js';
import type { Link } from '../domain/link.js';
import { sameId } from '../policy/record-state.js';

export const START_MARGIN_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
/** How far from its original start an exception may have been moved and still be found. */
const MOVED_WINDOW_MS = 31 * DAY_MS;

export interface SeriesOps {
  getSeriesEvent(userId: string, eventId: string): Promise<SeriesEvent | null>;
  listInstances(userId: string, masterId: string, from: Date, to: Date): Promise<SeriesEvent[]>;
  patchRecurrence(userId: string, masterId: string, recurrence: PatternedRecurrence): Promise<void>;
}

export type EndPlan =
  | { action: 'patch'; recurrence: PatternedRecurrence; detail: string }
  | { action: 'cancel'; detail: string }
  | { action: 'none'; status: 'already-gone' | 'skipped' | 'ended'; detail: string };

/** The calendar date (YYYY-MM-DD) of `instant` in `timeZone`, or null when the zone is not known here. */
export function dateIn(instant: number, timeZone: string | null | undefined): string | null {
  const zone = !timeZone || /^utc$/i.test(timeZone) ? 'UTC' : timeZone;
  try {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(instant);
    const part = (type: string) => parts.find((p) => p.type === type)?.value;
    return `${part('year')}-${part('month')}-${part('day')}`;
  } catch {
    return null;
  }
}

function startOf(event: SeriesEvent): number {
  const text = event.start?.dateTime ?? '';
  const zoned = /(Z|[+-]\d\d:\d\d)$/.test(text) ? text : `${text}Z`;
  return Date.parse(zoned.replace(/(\.\d{3})\d+/, '$1'));
}

const originalOf = (event: SeriesEvent): number => Date.parse(event.originalStart ?? '') || startOf(event);

/**
 * What ending `master` at `now` takes, given the occurrences that overlap [range start, now + margin]. Pure:
 * the property tests run it over expanded series.
 */
export function planEndSeries(master: SeriesEvent, started: readonly SeriesEvent[], now: Date): EndPlan {
  const recurrence = master.recurrence;
  if (master.type !== 'seriesMaster' || !recurrence) return { action: 'none', status: 'skipped', detail: 'the linked event is not a series master' };
  if (master.isOrganizer !== true) return { action: 'none', status: 'skipped', detail: "not the organizer's copy of the series; only the organizer can end it" };
  const cutoff = now.getTime() + START_MARGIN_MS;
  const begun = started.filter((o) => startOf(o) <= cutoff);
  if (begun.length === 0) return { action: 'cancel', detail: 'no occurrence has started: the whole series is cancelled' };
  const zone = recurrence.range.recurrenceTimeZone;
  const dates = begun.map((o) => dateIn(originalOf(o), zone));
  if (dates.some((d) => d === null)) return { action: 'none', status: 'skipped', detail: `recurrenceTimeZone ${zone} is not known here, so the last date to keep cannot be computed` };
  const last = (dates as string[]).sort().at(-1) as string;
  const end = recurrence.range.type === 'endDate' ? recurrence.range.endDate : null;
  if (end && end <= last) return { action: 'none', status: 'ended', detail: `the series already ends on ${end}` };
  // The documented endDate range has no numberOfOccurrences (non-nullable in the CSDL): a numbered range loses it.
  const { numberOfOccurrences: _count, ...kept } = recurrence.range;
  const range = { ...kept, type: 'endDate', endDate: last };
  return { action: 'patch', recurrence: { ...recurrence, range }, detail: `recurrence.range.endDate set to ${last}, the date of the last occurrence that has started` };
}

/** Reads the master and the started occurrences, and plans the end; null master = already gone. */
export async function endSeriesPlan(ops: SeriesOps, userId: string, masterId: string, now: Date): Promise<EndPlan> {
  const master = await ops.getSeriesEvent(userId, masterId);
  if (master === null) return { action: 'none', status: 'already-gone', detail: 'HTTP 404: the series master is gone' };
  if (master.type !== 'seriesMaster' || !master.recurrence) return planEndSeries(master, [], now);
  const from = Date.parse(`${master.recurrence.range.startDate}T00:00:00Z`) - DAY_MS;
  const started = await ops.listInstances(userId, masterId, new Date(from), new Date(now.getTime() + START_MARGIN_MS));
  return planEndSeries(master, started, now);
}

/** The mailbox's link to the series master (not to one occurrence). */
export function seriesLink(links: readonly Link[], userId: string, occurrence: OccurrenceKey): Link | null {
  const found = links.filter((l) => l.userId.toLowerCase() === userId.toLowerCase() && l.itemKind === 'event' && l.crm.entity === occurrence.series.entity && sameId(l.crm.id, occurrence.series.id));
  return found.length === 1 ? (found[0] as Link) : null;
}

/** The occurrence of the mailbox's series master with this original start, or null when there is none (cancelled, or moved out of reach). */
export async function findOccurrence(ops: SeriesOps, userId: string, masterId: string, originalStart: string): Promise<SeriesEvent | null> {
  const original = Date.parse(originalStart);
  const around = await ops.listInstances(userId, masterId, new Date(original - MOVED_WINDOW_MS), new Date(original + MOVED_WINDOW_MS));
  const matching = around.filter((o) => originalOf(o) === original);
  return matching.length === 1 ? (matching[0] as SeriesEvent) : null;
}
