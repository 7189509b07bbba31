/**
 * Ending a series at now never removes an occurrence that has started: over random daily and weekly
 * series (expanded by the sandbox's own expansion) and random moments, the range planEndSeries writes
 * keeps every occurrence whose start is not after now, and it only cancels a series none of whose
 * occurrences has started. Fixed seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expandPattern, type PatternedRecurrence as SandboxRecurrence } from '../../../sandbox/graph/recurrence.js';
import { dateIn, planEndSeries, START_MARGIN_MS } from '../../../src/execute/series.js';
import type { SeriesEvent } from '../../../src/graph/recurrence.js';

const DAY = 86_400_000;
const BASE = Date.parse('2031-03-03T09:00:00Z');
const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const iso = (ms: number) => new Date(ms).toISOString();

const series = fc.record({
  startOffsetMinutes: fc.integer({ min: 0, max: 60 * 24 * 3 }),
  daily: fc.boolean(),
  interval: fc.integer({ min: 1, max: 3 }),
  days: fc.subarray(WEEKDAYS, { minLength: 1 }),
  count: fc.integer({ min: 1, max: 30 }),
  nowOffsetHours: fc.integer({ min: -48, max: 24 * 120 }),
});

type SeriesInput = typeof series extends fc.Arbitrary<infer T> ? T : never;

function build(input: SeriesInput): { recurrence: SandboxRecurrence; start: number; now: Date } {
  const start = BASE + input.startOffsetMinutes * 60_000;
  const pattern = input.daily ? { type: 'daily' as const, interval: input.interval } : { type: 'weekly' as const, interval: input.interval, daysOfWeek: [...input.days, WEEKDAYS[new Date(start).getUTCDay()] as string] };
  const recurrence: SandboxRecurrence = { pattern, range: { type: 'numbered', startDate: iso(start).slice(0, 10), numberOfOccurrences: input.count } };
  return { recurrence, start, now: new Date(start + input.nowOffsetHours * 3_600_000) };
}

const occurrence = (ms: number): SeriesEvent => ({ id: `occ-${ms}`, type: 'occurrence', originalStart: iso(ms).replace('.000Z', 'Z'), start: { dateTime: iso(ms).replace('Z', '0000'), timeZone: 'UTC' } });

describe('planEndSeries', () => {
  it('keeps every occurrence that has started; cancels only a series that has not started', () => {
    fc.assert(
      fc.property(series, (input) => {
        const { recurrence, start, now } = build(input);
        const all = expandPattern(recurrence, start, Number.POSITIVE_INFINITY);
        const master: SeriesEvent = { id: 'master', type: 'seriesMaster', isOrganizer: true, start: { dateTime: iso(start), timeZone: 'UTC' }, recurrence: recurrence as never };
        const seen = all.filter((ms) => ms <= now.getTime() + START_MARGIN_MS).map(occurrence);
        const plan = planEndSeries(master, seen, now);
        const started = all.filter((ms) => ms <= now.getTime());
        if (plan.action === 'cancel') expect(started).toEqual([]);
        if (plan.action === 'patch') {
          const kept = expandPattern(plan.recurrence as unknown as SandboxRecurrence, start, Number.POSITIVE_INFINITY);
          for (const ms of started) expect(kept).toContain(ms);
          // Everything kept is an occurrence of the old series, and it ends no later than before.
          for (const ms of kept) expect(all).toContain(ms);
          expect(plan.recurrence.range).not.toHaveProperty('numberOfOccurrences');
        }
        if (plan.action === 'none') expect(plan.status).toBe('ended');
      }),
      { numRuns: 400, seed: 15_151 },
    );
  });

  it('is a skip for an attendee’s copy, a single meeting, or a time zone the runtime does not know', () => {
    const recurrence = { pattern: { type: 'daily', interval: 1 }, range: { type: 'noEnd', startDate: '2031-03-03', recurrenceTimeZone: 'Not A Zone' } };
    const started = [occurrence(BASE)];
    const now = new Date(BASE + DAY);
    expect(planEndSeries({ id: 'm', type: 'seriesMaster', isOrganizer: false, recurrence }, started, now)).toMatchObject({ action: 'none', status: 'skipped' });
    expect(planEndSeries({ id: 'm', type: 'singleInstance', isOrganizer: true, recurrence: null }, started, now)).toMatchObject({ action: 'none', status: 'skipped' });
    expect(planEndSeries({ id: 'm', type: 'seriesMaster', isOrganizer: true, recurrence }, started, now)).toMatchObject({ action: 'none', status: 'skipped' });
  });

  it('takes the date in the recurrence time zone', () => {
    expect(dateIn(Date.parse('2031-03-03T23:30:00Z'), 'UTC')).toBe('2031-03-03');
    expect(dateIn(Date.parse('2031-03-03T23:30:00Z'), 'Europe/Berlin')).toBe('2031-03-04');
    expect(dateIn(0, 'Pacific Standard Time')).toBeNull();
  });
});
