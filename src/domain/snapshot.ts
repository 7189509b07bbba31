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
    takenAt: incoming.takenAt ?? stored.takenAt,
  };
}

/** `a` was taken strictly before `b`; an unknown time on either side is not "before". */
export function takenBefore(a: CrmSnapshot, b: CrmSnapshot): boolean {
  const x = a.takenAt === null ? NaN : Date.parse(a.takenAt);
  const y = b.takenAt === null ? NaN : Date.parse(b.takenAt);
  return Number.isFinite(x) && Number.isFinite(y) && x < y;
}

/** Merges the newer of the two over the older: a late, out-of-order update never overrides what came after it. */
export function mergeNewest(stored: CrmSnapshot | null, incoming: CrmSnapshot): CrmSnapshot {
  return stored !== null && takenBefore(incoming, stored) ? mergeSnapshot(incoming, stored) : mergeSnapshot(stored, incoming);
}
