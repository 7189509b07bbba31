/** Merging what a Create/Update body says about a CRM record into what was stored before. */
import { InstanceType, type CrmRef, type CrmSnapshot, type SeriesPosition } from './event.js';

/** The series columns as read (webhook image or Web API row), whichever of them the record has. */
export interface SeriesColumns {
  instanceType: number | null;
  seriesId: string | null;
  originalStart: string | null;
  /** A master's starttime, effectivestartdate, patternstartdate (ISO), when present. */
  patternStarts: (string | null)[];
}

/** A master's position (its earliest pattern start), an instance's (series, original start), or null for a record outside any series. */
export function seriesPosition(ref: CrmRef, columns: SeriesColumns): SeriesPosition | null {
  if (ref.entity === 'recurringappointmentmaster') {
    const starts = columns.patternStarts.filter((d): d is string => d !== null).sort();
    return { instanceType: InstanceType.master, seriesId: ref.id, originalStart: null, seriesStart: starts[0] ?? null };
  }
  if (ref.entity !== 'appointment') return null;
  const { instanceType, seriesId, originalStart } = columns;
  if ((instanceType ?? InstanceType.notRecurring) === InstanceType.notRecurring && seriesId === null && originalStart === null) return null;
  return { instanceType, seriesId: seriesId?.toLowerCase() ?? null, originalStart, seriesStart: null };
}

/** Update bodies may carry only the changed columns: keep what is known where the update says nothing. */
export function mergeSnapshot(stored: CrmSnapshot | null, incoming: CrmSnapshot): CrmSnapshot {
  if (stored === null) return incoming;
  return {
    ref: incoming.ref,
    statecode: incoming.statecode ?? stored.statecode,
    scheduledStart: incoming.scheduledStart ?? stored.scheduledStart,
    owner: incoming.owner ?? stored.owner,
    organizer: incoming.organizer ?? stored.organizer,
    requiredAttendees: incoming.requiredAttendees.length > 0 ? incoming.requiredAttendees : stored.requiredAttendees,
    optionalAttendees: incoming.optionalAttendees.length > 0 ? incoming.optionalAttendees : stored.optionalAttendees,
    globalObjectId: incoming.globalObjectId ?? stored.globalObjectId,
    messageId: incoming.messageId ?? stored.messageId,
    ...((incoming.series ?? stored.series) ? { series: incoming.series ?? stored.series } : {}),
    takenAt: incoming.takenAt ?? stored.takenAt,
  };
}
