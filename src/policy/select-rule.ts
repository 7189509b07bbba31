/** Which row of the table applies to a set of facts. Any fact the row needs that is missing selects a skip row. */
import type { PolicyConfig } from './config.js';
import { isActive, isOrganizer, startsAfter } from './record-state.js';
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
  return startsAfter(record, now) ? 'crm.appointment.active.future' : 'crm.appointment.active.past';
}

function outlookRule(facts: Facts, now: Date, policy: PolicyConfig): RuleId {
  const { entity, record, actor } = facts;
  if (entity === 'email') return 'outlook.email';
  if (facts.crmRef === null) return 'outlook.unknown-record';
  if (entity === 'contact') return 'outlook.contact';
  if (actor === null) return 'outlook.unknown-actor';
  if (record === null || record.statecode === null) return 'outlook.unknown-state';
  if (entity === 'task') return isActive('task', record.statecode) ? 'outlook.task.active' : 'outlook.task.inactive';
  const recurring = outlookRecurrenceRule(facts, now, policy);
  if (recurring !== null) return recurring;
  if (!isActive('appointment', record.statecode)) return 'outlook.appointment.inactive';
  if (!isOrganizer(actor, record)) return 'outlook.appointment.active.attendee';
  if (policy.outlookOrganizerDeleteRequiresFutureStart && !startsAfter(record, now)) return 'outlook.appointment.active.organizer.past';
  return 'outlook.appointment.active.organizer';
}
