/** Which row of the table applies to a set of facts. Any fact the row needs that is missing selects a skip row. */
import type { PolicyConfig } from './config.js';
import type { CrmSnapshot } from '../domain/event.js';
import { isActive, isOrganizer, sameId, startsAfter } from './record-state.js';
import { crmRecurrenceRule, outlookRecurrenceRule } from './recurrence.js';
import type { RuleId } from './table.js';
import type { Facts } from './types.js';

export function selectRule(facts: Facts, now: Date, policy: PolicyConfig): RuleId {
  if (facts.change !== 'deleted') return 'not-a-delete';
  if (facts.entity === 'other') return 'other-entity';
  return facts.origin === 'crm' ? crmRule(facts, now) : outlookRule(facts, now, policy);
}

function crmRule(facts: Facts, now: Date): RuleId {
  const { entity, record } = facts;
  if (entity === 'email') return 'crm.email';
  if (entity === 'contact') {
    if (record === null) return 'crm.unknown-state';
    return record.owner === null ? 'crm.contact.owner-unknown' : 'crm.contact';
  }
  const recurring = entity === 'appointment' ? crmRecurrenceRule(facts, now) : null;
  if (recurring !== null) return recurring;
  if (record === null || record.statecode === null) return 'crm.unknown-state';
  if (entity === 'task') return isActive('task', record.statecode) ? 'crm.task.active' : 'crm.task.inactive';
  if (!isActive('appointment', record.statecode)) return 'crm.appointment.inactive';
  if (!startsAfter(record, now)) return 'crm.appointment.active.past';
  return facts.seenBefore === true ? 'crm.appointment.active.future' : 'crm.appointment.never-seen';
}

/**
 * Before an Outlook delete becomes a CRM delete (`row`, a propagating row), it must be confirmed: the
 * item really gone, not still in the mailbox under its iCalUId, not merely out of delta's view, and the
 * CRM record as it is now still active, still this user's, and unchanged since it was last stored.
 */
function confirmed(facts: Facts, row: RuleId): RuleId {
  const check = facts.outlookCheck ?? null;
  if (check === null) return 'outlook.unconfirmed.unchecked';
  if (check.removedReason === 'changed') return 'outlook.unconfirmed.left-view';
  if (check.itemStillThere) return 'outlook.unconfirmed.item-present';
  if (check.sameMeetingElsewhere) return 'outlook.unconfirmed.moved';
  if (!check.crmRead) return 'outlook.unconfirmed.unchecked';
  const current = check.current;
  if (current === null) return 'outlook.unconfirmed.crm-gone';
  const entity = facts.entity === 'task' ? 'task' : 'appointment';
  const stillActive = current.statecode !== null && isActive(entity, current.statecode);
  const user = facts.actor?.crmUserId ?? null;
  const holder = (s: CrmSnapshot | null) => (entity === 'task' ? (s?.owner?.id ?? null) : (s?.organizer?.id ?? null));
  const stillTheirs = user !== null && sameId(holder(current), user);
  const unchanged = facts.record === null || (sameId(holder(facts.record), holder(current)) && facts.record.statecode === current.statecode);
  return stillActive && stillTheirs && unchanged ? row : 'outlook.unconfirmed.crm-changed';
}

function outlookRule(facts: Facts, now: Date, policy: PolicyConfig): RuleId {
  const { entity, record, actor } = facts;
  if (entity === 'email') return 'outlook.email';
  if (facts.crmRef === null) return 'outlook.unknown-record';
  if (entity === 'contact') return 'outlook.contact';
  if (actor === null) return 'outlook.unknown-actor';
  if (record === null || record.statecode === null) return 'outlook.unknown-state';
  if (entity === 'task') return isActive('task', record.statecode) ? confirmed(facts, 'outlook.task.active') : 'outlook.task.inactive';
  const recurring = outlookRecurrenceRule(facts, now, policy);
  if (recurring !== null) return recurring;
  if (!isActive('appointment', record.statecode)) return 'outlook.appointment.inactive';
  if (!isOrganizer(actor, record)) return 'outlook.appointment.active.attendee';
  if (policy.outlookOrganizerDeleteRequiresFutureStart && !startsAfter(record, now)) return 'outlook.appointment.active.organizer.past';
  return confirmed(facts, 'outlook.appointment.active.organizer');
}
