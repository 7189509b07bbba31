/**
 * Dataverse's recurring series as documented (Learn: "Create a recurring appointment series, instance,
 * or exception"; "Recurring appointment partial expansion model"): a `recurringappointmentmaster` row
 * holds the pattern, and its instances are `appointment` rows with `instancetypecode` 2 (Recurring
 * Instance), `seriesid` pointing at the master and `originalstartdate`. Instances are materialised
 * only up to the future expansion window (`Organization.FutureExpansionWindow`, in months), so far
 * occurrences have no row. Deleting an instance adds it to the master's `deletedexceptionslist`.
 *
 * Undocumented, and chosen here: the bit order of `daysofweekmask` (Sunday = 1 … Saturday = 64), the
 * format of `deletedexceptionslist` (original starts, ISO, comma-separated), and the default window.
 */
import { expandPattern, type PatternedRecurrence } from '../graph/recurrence.js';
import type { Row } from './store.js';

export const PATTERN = { daily: 0, weekly: 1, monthly: 2, yearly: 3 } as const;
export const END_TYPE = { noEnd: 1, occurrences: 2, endDate: 3 } as const;
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

export interface SeriesPattern {
  /** 0 Daily, 1 Weekly, 2 Monthly (yearly is not modelled). */
  recurrencepatterntype: number;
  interval: number;
  /** Weekly: Sunday = 1, Monday = 2, … Saturday = 64. */
  daysofweekmask?: number;
  dayofmonth?: number;
  /** 1 No End Date, 2 Occurrences, 3 Pattern End Date. */
  patternendtype: number;
  occurrences?: number;
  /** Pattern end date (ms, the date counts). */
  patternenddate?: number;
}

const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The master's pattern columns in the shape both sandboxes expand. */
function asRecurrence(pattern: SeriesPattern, start: number): PatternedRecurrence {
  const type = ({ 0: 'daily', 1: 'weekly', 2: 'absoluteMonthly' } as const)[pattern.recurrencepatterntype as 0 | 1 | 2];
  if (!type) throw new Error(`recurrencepatterntype ${pattern.recurrencepatterntype} is not modelled by the sandbox`);
  const daysOfWeek = WEEKDAYS.filter((_, bit) => ((pattern.daysofweekmask ?? 0) & (1 << bit)) !== 0);
  const range =
    pattern.patternendtype === END_TYPE.occurrences
      ? { type: 'numbered' as const, startDate: dateOf(start), numberOfOccurrences: pattern.occurrences ?? 1 }
      : pattern.patternendtype === END_TYPE.endDate
        ? { type: 'endDate' as const, startDate: dateOf(start), endDate: dateOf(pattern.patternenddate ?? start) }
        : { type: 'noEnd' as const, startDate: dateOf(start) };
  return { pattern: { type, interval: pattern.interval, daysOfWeek, dayOfMonth: pattern.dayofmonth ?? new Date(start).getUTCDate() }, range };
}

/** Start times (ms) of all the series' occurrences (a series without end: up to `until`). */
export function occurrenceStarts(master: Row, until: number): number[] {
  const start = master.starttime as number;
  return expandPattern(asRecurrence(master as unknown as SeriesPattern, start), start, until);
}

/** `until`, moved forward by `months` calendar months (the expansion window). */
export function addMonths(at: number, months: number): number {
  const d = new Date(at);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.getTime();
}

/** The master's `deletedexceptionslist` with one more deleted original start. */
export function withDeletedException(list: unknown, originalStart: number): string {
  const entries = typeof list === 'string' && list !== '' ? list.split(',') : [];
  return [...entries, new Date(originalStart).toISOString()].join(',');
}
