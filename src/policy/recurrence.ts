/**
 * Which recurring-meeting row applies (rows in recurrence-rules.ts): a whole series or one occurrence.
 * The table's "start in the future" rule is applied per occurrence: a CRM-side delete never removes an
 * occurrence that has already started. Pure.
 */
import { InstanceType, type CrmSnapshot } from '../domain/event.js';
import type { PolicyConfig } from './config.js';
import { isActive, isOrganizer, startsAfter } from './record-state.js';
import type { RecurrenceRuleId } from './recurrence-rules.js';
import type { Facts } from './types.js';

/** The CRM table of a series' master row. */
export const SERIES_TABLE = 'recurringappointmentmaster';

const OCCURRENCE_TYPES: ReadonlySet<number> = new Set([InstanceType.instance, InstanceType.exception, InstanceType.futureException]);

export function isSeriesRecord(facts: Facts): boolean {
  return (facts.crmRef ?? facts.record?.ref)?.entity === SERIES_TABLE;
}

/** An appointment row that belongs to a series: its type says so, or it names a series. */
export function isRecurringAppointment(record: CrmSnapshot): boolean {
  const series = record.series;
  if (series === null || series === undefined) return false;
  return series.seriesId !== null || (series.instanceType !== null && series.instanceType !== InstanceType.notRecurring);
}

/** A series has started unless its first start is known to be in the future. */
function seriesStartsAfter(record: CrmSnapshot, now: Date): boolean {
  const start = record.series?.seriesStart ?? null;
  return start !== null && Date.parse(start) > now.getTime();
}

/** CRM deletes of a series or of one of its appointments; null when the record is not recurring (the single-meeting rows apply). */
export function crmRecurrenceRule(facts: Facts, now: Date): RecurrenceRuleId | 'crm.unknown-state' | null {
  const { record } = facts;
  const series = isSeriesRecord(facts);
  if (!series && (record === null || !isRecurringAppointment(record))) return null;
  if (record === null || record.statecode === null) return 'crm.unknown-state';
  if (series) return isActive('appointment', record.statecode) ? 'crm.series.active' : 'crm.series.inactive';
  if (!isActive('appointment', record.statecode)) return 'crm.occurrence.inactive';
  const position = record.series;
  if (!position || position.instanceType === null || !OCCURRENCE_TYPES.has(position.instanceType) || position.seriesId === null || position.originalStart === null) {
    return 'crm.occurrence.unknown';
  }
  return startsAfter(record, now) ? 'crm.occurrence.active.future' : 'crm.occurrence.active.past';
}

/** Outlook deletes of a linked series master or occurrence; null when the linked record is not recurring. Needs actor and record (checked before). */
export function outlookRecurrenceRule(facts: Facts, now: Date, policy: PolicyConfig): RecurrenceRuleId | null {
  const { record, actor } = facts;
  if (record === null || actor === null || record.statecode === null) return null;
  if (isSeriesRecord(facts)) {
    if (!isActive('appointment', record.statecode)) return 'outlook.series.inactive';
    if (!isOrganizer(actor, record)) return 'outlook.series.attendee';
    if (policy.keepSeriesWithPastOccurrences && !seriesStartsAfter(record, now)) return 'outlook.series.organizer.started';
    return 'outlook.series.organizer';
  }
  if (!isRecurringAppointment(record)) return null;
  if (!isActive('appointment', record.statecode)) return 'outlook.occurrence.inactive';
  if (!isOrganizer(actor, record)) return 'outlook.occurrence.attendee';
  if (policy.outlookOrganizerDeleteRequiresFutureStart && !startsAfter(record, now)) return 'outlook.occurrence.organizer.past';
  return 'outlook.occurrence.organizer';
}
