/**
 * Recurring meetings as Outlook keeps them: one `seriesMaster` item carries the `recurrence`
 * (patternedRecurrence: pattern + range); its occurrences are not items of their own but are expanded
 * from it on read (`/instances`, `/calendarView`, a GET by occurrence id). What happens to a single
 * occurrence is kept on the master: removed occurrences (an organizer's cancel or anyone's delete of
 * their copy), occurrences the organizer cancelled (shown as cancelled in attendees' copies), and
 * exceptions (changed occurrences). Only UTC is modelled, as for single events.
 *
 * Occurrence ids are opaque strings derived from the master id and the original start. Occurrence
 * iCalUIds differ per occurrence (Graph's event reference: "This ID is different for each occurrence
 * in a recurring series"); the sandbox writes the original date into the GlobalObjectId's year, month
 * and day bytes, as MS-OXOCAL's PidLidGlobalObjectId does for instances.
 */
import type { Item } from './store.js';

export type PatternType = 'daily' | 'weekly' | 'absoluteMonthly' | 'relativeMonthly' | 'absoluteYearly' | 'relativeYearly';

export interface RecurrencePattern {
  type: PatternType;
  interval: number;
  daysOfWeek?: string[];
  dayOfMonth?: number;
  firstDayOfWeek?: string;
  index?: string;
  month?: number;
}

export interface RecurrenceRange {
  type: 'endDate' | 'noEnd' | 'numbered';
  startDate: string;
  endDate?: string | null;
  numberOfOccurrences?: number;
  recurrenceTimeZone?: string;
}

export interface PatternedRecurrence {
  pattern: RecurrencePattern;
  range: RecurrenceRange;
}

/** What a master remembers about its single occurrences, keyed by original start (epoch ms). */
export interface OccurrenceState {
  /** Gone from this calendar: deleted by its owner, or cancelled by the organizer in the organizer's own copy. */
  removed: Set<number>;
  /** Cancelled by the organizer: still in an attendee's calendar, marked cancelled. */
  cancelledByOrganizer: Set<number>;
  /** Changed occurrences: the changed fields. */
  exceptions: Map<number, Record<string, unknown>>;
}

export interface Occurrence {
  master: Item;
  originalStart: number;
  start: number;
  end: number;
}

const DAY = 86_400_000;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
/** Patterns expanded here; the others are refused on write so that no test silently relies on them. */
export const MODELLED_PATTERNS: ReadonlySet<PatternType> = new Set(['daily', 'weekly', 'absoluteMonthly']);
/** Far enough for any test; a noEnd series is cut here. */
const MAX_OCCURRENCES = 2000;

const OCCURRENCE_PREFIX = 'AAMkAGOcc';

export function occurrenceId(masterId: string, originalStart: number): string {
  return `${OCCURRENCE_PREFIX}${Buffer.from(`${masterId}|${new Date(originalStart).toISOString()}`).toString('base64url')}`;
}

export function parseOccurrenceId(id: string): { masterId: string; originalStart: number } | undefined {
  if (!id.startsWith(OCCURRENCE_PREFIX)) return undefined;
  const text = Buffer.from(id.slice(OCCURRENCE_PREFIX.length), 'base64url').toString('utf8');
  const bar = text.lastIndexOf('|');
  const originalStart = Date.parse(text.slice(bar + 1));
  return bar > 0 && Number.isFinite(originalStart) ? { masterId: text.slice(0, bar), originalStart } : undefined;
}

/** The master's iCalUId with the occurrence's date in the GlobalObjectId year (2 bytes), month and day bytes. */
export function occurrenceICalUId(masterICalUId: string, originalStart: number): string {
  const d = new Date(originalStart);
  const bytes = `${d.getUTCFullYear().toString(16).padStart(4, '0')}${(d.getUTCMonth() + 1).toString(16).padStart(2, '0')}${d.getUTCDate().toString(16).padStart(2, '0')}`.toUpperCase();
  return `${masterICalUId.slice(0, 32)}${bytes}${masterICalUId.slice(40)}`;
}

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const midnight = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** Why a recurrence cannot be stored as given, or undefined. `start` is the master's start (epoch ms). */
export function recurrenceProblem(recurrence: PatternedRecurrence, start: number): string | undefined {
  const { pattern, range } = recurrence;
  if (!MODELLED_PATTERNS.has(pattern.type)) return `recurrence.pattern.type ${pattern.type} is not modelled by the sandbox`;
  if (!Number.isInteger(pattern.interval) || pattern.interval < 1) return 'recurrence.pattern.interval must be a positive integer';
  if (pattern.type === 'weekly' && !(pattern.daysOfWeek ?? []).every((d) => WEEKDAYS.includes(d.toLowerCase()))) return 'recurrence.pattern.daysOfWeek is invalid';
  if (pattern.type === 'weekly' && (pattern.daysOfWeek ?? []).length === 0) return 'recurrence.pattern.daysOfWeek is required for a weekly pattern';
  if (pattern.type === 'absoluteMonthly' && !pattern.dayOfMonth) return 'recurrence.pattern.dayOfMonth is required for an absoluteMonthly pattern';
  if ((range.recurrenceTimeZone ?? 'UTC').toUpperCase() !== 'UTC') return 'only recurrenceTimeZone UTC is modelled by the sandbox';
  // "range.startDate MUST correspond to the date value of the start property" (Graph recurrenceRange).
  if (range.startDate !== dateOf(start)) return 'recurrence.range.startDate must be the date of the event start';
  if (range.type === 'endDate' && (!range.endDate || range.endDate < range.startDate)) return 'recurrence.range.endDate must be on or after startDate';
  if (range.type === 'numbered' && !(Number.isInteger(range.numberOfOccurrences) && (range.numberOfOccurrences ?? 0) > 0)) return 'recurrence.range.numberOfOccurrences must be positive';
  return undefined;
}

function matchesPattern(pattern: RecurrencePattern, day: number, first: number): boolean {
  const days = Math.round((day - first) / DAY);
  const date = new Date(day);
  if (pattern.type === 'daily') return days % pattern.interval === 0;
  if (pattern.type === 'weekly') {
    const firstDay = WEEKDAYS.indexOf((pattern.firstDayOfWeek ?? 'sunday').toLowerCase());
    const weekStart = (ms: number) => ms - ((new Date(ms).getUTCDay() - firstDay + 7) % 7) * DAY;
    const weeks = Math.round((weekStart(day) - weekStart(first)) / (7 * DAY));
    return weeks % pattern.interval === 0 && (pattern.daysOfWeek ?? []).some((d) => WEEKDAYS.indexOf(d.toLowerCase()) === date.getUTCDay());
  }
  const start = new Date(first);
  const months = (date.getUTCFullYear() - start.getUTCFullYear()) * 12 + date.getUTCMonth() - start.getUTCMonth();
  return months % pattern.interval === 0 && date.getUTCDate() === pattern.dayOfMonth;
}

/** The series' occurrences by original start (ms), in order, as many as the range allows (noEnd: up to `until`). */
export function originalStarts(master: Item, until: number): number[] {
  const recurrence = master.fields.recurrence as PatternedRecurrence | null | undefined;
  return recurrence ? expandPattern(recurrence, toMs(master.fields.start), until) : [];
}

/** Starts (ms) of a pattern whose first occurrence starts at `start`; also used for Dataverse's series. */
export function expandPattern(recurrence: PatternedRecurrence, start: number, until: number): number[] {
  const timeOfDay = start - midnight(dateOf(start));
  const first = midnight(recurrence.range.startDate);
  const last = recurrence.range.type === 'endDate' && recurrence.range.endDate ? midnight(recurrence.range.endDate) : Number.POSITIVE_INFINITY;
  const count = recurrence.range.type === 'numbered' ? (recurrence.range.numberOfOccurrences ?? 0) : Number.POSITIVE_INFINITY;
  const out: number[] = [];
  for (let day = first; day <= last && out.length < count && out.length < MAX_OCCURRENCES; day += DAY) {
    if (recurrence.range.type === 'noEnd' && day > until) break;
    if (matchesPattern(recurrence.pattern, day, first)) out.push(day + timeOfDay);
  }
  return out;
}

export function toMs(value: unknown): number {
  const text = (value as { dateTime: string }).dateTime;
  return Date.parse(`${text.replace(/(\.\d{3})\d+$/, '$1').replace(/Z$/, '')}Z`);
}

export function graphDateTime(ms: number): { dateTime: string; timeZone: string } {
  return { dateTime: new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000'), timeZone: 'UTC' };
}

export function emptyOccurrenceState(): OccurrenceState {
  return { removed: new Set(), cancelledByOrganizer: new Set(), exceptions: new Map() };
}

/** Occurrences of a master (not removed ones) whose [start, end) overlaps [from, to), with exceptions applied. */
export function occurrencesOf(master: Item, state: OccurrenceState, from: number, to: number): Occurrence[] {
  const duration = toMs(master.fields.end) - toMs(master.fields.start);
  const out: Occurrence[] = [];
  for (const originalStart of originalStarts(master, to)) {
    if (state.removed.has(originalStart)) continue;
    const change = state.exceptions.get(originalStart);
    const start = change?.start ? toMs(change.start) : originalStart;
    const end = change?.end ? toMs(change.end) : start + duration;
    if (start < to && end > from) out.push({ master, originalStart, start, end });
  }
  return out.sort((a, b) => a.start - b.start);
}

/** One occurrence as Graph renders it (`type` occurrence or exception, `seriesMasterId`, `originalStart`, no recurrence). */
export function renderOccurrence(occurrence: Occurrence, state: OccurrenceState, rendered: Record<string, unknown>): Record<string, unknown> {
  const { master, originalStart } = occurrence;
  const change = state.exceptions.get(originalStart);
  const cancelled = state.cancelledByOrganizer.has(originalStart) || master.fields.isCancelled === true;
  const { cancelledOccurrences: _hidden, ...base } = rendered;
  return {
    ...base,
    ...(change ?? {}),
    id: occurrenceId(master.id, originalStart),
    type: change ? 'exception' : 'occurrence',
    seriesMasterId: master.id,
    originalStart: new Date(originalStart).toISOString().replace('.000Z', 'Z'),
    originalStartTimeZone: 'UTC',
    originalEndTimeZone: 'UTC',
    start: graphDateTime(occurrence.start),
    end: graphDateTime(occurrence.end),
    iCalUId: occurrenceICalUId(String(master.fields.iCalUId), originalStart),
    isCancelled: cancelled,
    ...(cancelled && !String(base.subject ?? '').startsWith('Canceled: ') ? { subject: `Canceled: ${String(change?.subject ?? base.subject ?? '')}` } : {}),
    recurrence: null,
  };
}
