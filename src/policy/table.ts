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
    id: 'crm.appointment.never-seen',
    deletedIn: 'crm',
    record: 'Active appointment, future, that the service never saw before its delete',
    action: 'skip',
    reason:
      'Deleted in CRM, but the service never saw this appointment before (no stored snapshot, no linked copy): a delete body alone does not make a meeting in anyone\'s mailbox a target; nothing is deleted.',
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
  // ── Outlook deletes the service could not confirm (a `deleted` notification names no actor or reason) ──
  {
    id: 'outlook.unconfirmed.unchecked',
    deletedIn: 'outlook',
    record: 'Open appointment or task, delete not checked',
    action: 'skip',
    reason: 'Deleted in Outlook, but the delete could not be checked (Graph and CRM were not read): nothing is deleted in CRM.',
  },
  {
    id: 'outlook.unconfirmed.left-view',
    deletedIn: 'outlook',
    record: 'Item that delta reports removed for reason "changed"',
    action: 'skip',
    reason: 'Removed from the synced collection for reason "changed" (it left the collection or view; it was not deleted): the CRM record stays.',
  },
  {
    id: 'outlook.unconfirmed.item-present',
    deletedIn: 'outlook',
    record: 'Item Graph still returns by its id',
    action: 'skip',
    reason: 'Reported deleted in Outlook, but Graph still returns the item by its id: it was not deleted, so the CRM record stays.',
  },
  {
    id: 'outlook.unconfirmed.moved',
    deletedIn: 'outlook',
    record: 'Meeting still in the mailbox under the same iCalUId',
    action: 'skip',
    reason: 'Reported deleted in Outlook, but the same meeting (same iCalUId) is still in the mailbox — moved to another calendar or re-created: the CRM record stays.',
  },
  {
    id: 'outlook.unconfirmed.crm-gone',
    deletedIn: 'outlook',
    record: 'CRM record that no longer exists',
    action: 'skip',
    reason: 'Deleted in Outlook; the CRM record no longer exists, so there is nothing to delete in CRM.',
  },
  {
    id: 'outlook.unconfirmed.crm-changed',
    deletedIn: 'outlook',
    record: 'CRM record no longer active, or no longer this user\'s',
    action: 'skip',
    reason:
      "Deleted in Outlook, but the CRM record as it is now is no longer active or no longer has this user as organizer (appointment) or owner (task), or changed so since the link was learned: server-side sync removes such items from a mailbox itself, so this is not taken as the user's delete; the CRM record stays.",
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
