/**
 * The deletion table of design.md §1 as data: one rule per row and direction, each with a stable id,
 * the table's action, and the sentence a support engineer reads in the audit. The last rows are the
 * service's own "do not guess" rules: whenever a fact the table needs is missing, nothing is deleted.
 * Which row applies is chosen in select-rule.ts; what it acts on, in targets.ts.
 */
import { RECURRENCE_RULES } from './recurrence-rules.js';
import type { Rule } from './rule.js';

export type { Rule };

export const RULES = [
  // ── Deleted in CRM → Outlook ─────────────────────────────────────────────────────────────────
  {
    id: 'crm.email',
    deletedIn: 'crm',
    record: 'Email',
    action: 'skip',
    reason: 'Deleted in CRM: e-mails are never deleted from Outlook; the Outlook copy stays.',
  },
  {
    id: 'crm.appointment.active.future',
    deletedIn: 'crm',
    record: 'Active (Open / Scheduled) appointment, start in the future',
    action: 'propagate',
    reason: 'Deleted in CRM: an active appointment whose start is in the future is deleted in Outlook for all users.',
  },
  {
    id: 'crm.appointment.active.past',
    deletedIn: 'crm',
    record: 'Active (Open / Scheduled) appointment, start now, in the past or unknown',
    action: 'skip',
    reason: 'Deleted in CRM: an active appointment whose start is not in the future stays in Outlook.',
  },
  {
    id: 'crm.appointment.inactive',
    deletedIn: 'crm',
    record: 'Completed / Canceled appointment',
    action: 'skip',
    reason: 'Deleted in CRM: a completed or canceled appointment stays in Outlook.',
  },
  {
    id: 'crm.task.active',
    deletedIn: 'crm',
    record: 'Active (Open) task',
    action: 'propagate',
    reason: "Deleted in CRM: an open task is deleted in Outlook too (the owner's and every linked copy).",
  },
  {
    id: 'crm.task.inactive',
    deletedIn: 'crm',
    record: 'Completed / Canceled task',
    action: 'skip',
    reason: 'Deleted in CRM: a completed or canceled task stays in Outlook.',
  },
  {
    id: 'crm.contact',
    deletedIn: 'crm',
    record: 'Contact',
    action: 'propagate',
    reason: "Deleted in CRM: the contact is deleted in Outlook for all users except the record owner, whose copy stays.",
  },
  {
    id: 'crm.contact.owner-unknown',
    deletedIn: 'crm',
    record: 'Contact whose owner is not known',
    action: 'skip',
    reason: "Deleted in CRM: the contact's owner is not known, so the owner's copy could not be protected; nothing is deleted.",
  },
  {
    id: 'crm.unknown-state',
    deletedIn: 'crm',
    record: 'Appointment or task whose last state is not known',
    action: 'skip',
    reason: 'Deleted in CRM: record state unknown (no pre-image and no stored snapshot); nothing is deleted rather than guessing.',
  },

  // ── Deleted in Outlook → CRM ─────────────────────────────────────────────────────────────────
  {
    id: 'outlook.email',
    deletedIn: 'outlook',
    record: 'Email',
    action: 'skip',
    reason: 'Deleted in Outlook: the CRM e-mail stays.',
  },
  {
    id: 'outlook.appointment.active.organizer',
    deletedIn: 'outlook',
    record: 'Active (Open / Scheduled) appointment, deleted by the organizer',
    action: 'propagate',
    reason: 'Deleted in Outlook by the organizer: the appointment is deleted in CRM, acting as the organizer, so Dataverse enforces their Delete privilege.',
  },
  {
    id: 'outlook.appointment.active.organizer.past',
    deletedIn: 'outlook',
    record: 'Active appointment deleted by the organizer, start not in the future (policy option)',
    action: 'skip',
    reason:
      'Deleted in Outlook by the organizer, but the start is not in the future: with outlookOrganizerDeleteRequiresFutureStart (as server-side sync does) the CRM appointment stays.',
  },
  {
    id: 'outlook.appointment.active.attendee',
    deletedIn: 'outlook',
    record: 'Active (Open / Scheduled) appointment, deleted by an attendee',
    action: 'skip',
    reason: 'Deleted in Outlook by an attendee (not the organizer): the CRM appointment stays.',
  },
  {
    id: 'outlook.appointment.inactive',
    deletedIn: 'outlook',
    record: 'Completed / Canceled appointment',
    action: 'skip',
    reason: 'Deleted in Outlook: a completed or canceled appointment stays in CRM.',
  },
  {
    id: 'outlook.task.active',
    deletedIn: 'outlook',
    record: 'Active (Open) task',
    action: 'propagate',
    reason: 'Deleted in Outlook: the open task is deleted in CRM too, acting as the mailbox owner, so Dataverse enforces their Delete privilege.',
  },
  {
    id: 'outlook.task.inactive',
    deletedIn: 'outlook',
    record: 'Completed / Canceled task',
    action: 'skip',
    reason: 'Deleted in Outlook: a completed or canceled task stays in CRM.',
  },
  {
    id: 'outlook.contact',
    deletedIn: 'outlook',
    record: 'Contact',
    action: 'skip',
    reason: "Deleted in Outlook: the contact stays in CRM and comes back to the owner's Outlook the next time the CRM contact is modified.",
  },
  {
    id: 'outlook.unknown-record',
    deletedIn: 'outlook',
    record: 'Item not linked to any CRM record',
    action: 'skip',
    reason: 'Deleted in Outlook: the item is not linked to any CRM record; there is nothing to delete in CRM.',
  },
  {
    id: 'outlook.unknown-actor',
    deletedIn: 'outlook',
    record: 'Appointment or task deleted by an unknown user',
    action: 'skip',
    reason: 'Deleted in Outlook: who deleted is not known, so no CRM delete can run as them; nothing is deleted.',
  },
  {
    id: 'outlook.unknown-state',
    deletedIn: 'outlook',
    record: 'Appointment or task whose CRM state is not known',
    action: 'skip',
    reason: 'Deleted in Outlook: record state unknown (no stored snapshot of the CRM record); nothing is deleted rather than guessing.',
  },

  // ── Recurring meetings, both directions (recurrence-rules.ts) ──────────────────────────────────
  ...RECURRENCE_RULES,

  // ── Outside the table ────────────────────────────────────────────────────────────────────────
  {
    id: 'other-entity',
    deletedIn: 'either',
    record: 'Any other table (phone call, letter, custom tables …)',
    action: 'skip',
    reason: 'The table covers appointments, tasks, e-mails and contacts only; other records are left alone.',
  },
  {
    id: 'not-a-delete',
    deletedIn: 'either',
    record: 'Create or update',
    action: 'skip',
    reason: 'Not a deletion: the delete policy acts on deletes only.',
  },
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]['id'];

export const RULE_IDS = RULES.map((rule) => rule.id) as [RuleId, ...RuleId[]];

const RULE_BY_ID = Object.fromEntries(RULES.map((rule) => [rule.id, rule])) as Readonly<Record<RuleId, Rule>>;

export function ruleById(id: RuleId): Rule {
  return RULE_BY_ID[id];
}

/** Rows where the table keeps the record: no policy may turn them into a delete. */
export function isForbiddenToPropagate(id: RuleId): boolean {
  return ruleById(id).action === 'skip';
}
