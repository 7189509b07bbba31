/** Reading a CRM snapshot the way the table does: active or not, start in the future or not, who is who. */
import type { CrmRef, CrmSnapshot } from '../domain/event.js';
import type { Actor } from './types.js';

/** Appointment 0 Open and 3 Scheduled are active; task 0 Open. Any other code (1 Completed, 2 Canceled, unknown) is not. */
const ACTIVE_STATECODES = {
  appointment: new Set([0, 3]),
  task: new Set([0]),
} as const;

export function isActive(entity: keyof typeof ACTIVE_STATECODES, statecode: number): boolean {
  return ACTIVE_STATECODES[entity].has(statecode);
}

/** Strictly after `now`: a meeting starting exactly now is not in the future. Unknown start is not either. */
export function startsAfter(record: CrmSnapshot, now: Date): boolean {
  if (record.scheduledStart === null) return false;
  const start = Date.parse(record.scheduledStart);
  return Number.isFinite(start) && start > now.getTime();
}

/** CRM ids are GUIDs: compare without case. */
export function sameId(a: string | null | undefined, b: string | null | undefined): boolean {
  return a !== null && a !== undefined && b !== null && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

export function sameRef(a: CrmRef, b: CrmRef): boolean {
  return a.entity === b.entity && sameId(a.id, b.id);
}

/**
 * The actor counts as organizer only if the facts say so and the snapshot does not name someone else:
 * a contradiction is treated as "not the organizer", which keeps the CRM record.
 */
export function isOrganizer(actor: Actor, record: CrmSnapshot): boolean {
  if (actor.role !== 'organizer') return false;
  const organizerId = record.organizer?.id ?? null;
  return organizerId === null || actor.crmUserId === null || sameId(organizerId, actor.crmUserId);
}
