/** Merging what a Create/Update body says about a CRM record into what was stored before. */
import type { CrmSnapshot } from './event.js';

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
    series: incoming.series ?? stored.series ?? null,
    takenAt: incoming.takenAt ?? stored.takenAt,
  };
}
