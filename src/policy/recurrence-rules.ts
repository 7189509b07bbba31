/**
 * The table's rows for recurring meetings: a whole series (Dataverse `recurringappointmentmaster`, Outlook
 * `seriesMaster`) and one occurrence (a CRM instance or exception, an Outlook occurrence or exception).
 * Which row applies is chosen in recurrence.ts.
 */
import type { Rule } from './rule.js';

export const RECURRENCE_RULES = [
  // ── Deleted in CRM → Outlook ─────────────────────────────────────────────────────────────────
  {
    id: 'crm.series.active',
    deletedIn: 'crm',
    record: 'Active (Open / Scheduled) recurring series',
    action: 'propagate',
    reason:
      "Deleted in CRM: an active recurring series is ended at now in the organizer's Outlook calendar: the series master's recurrence.range.endDate is set to the date of the last occurrence that has started, so Exchange removes the future occurrences for all attendees and the occurrences that already took place stay; a series none of whose occurrences has started is cancelled as a whole. The Outlook series is never deleted, because that would remove its past occurrences too.",
  },
  {
    id: 'crm.series.inactive',
    deletedIn: 'crm',
    record: 'Completed / Canceled recurring series',
    action: 'skip',
    reason: 'Deleted in CRM: a completed or canceled recurring series stays in Outlook.',
  },
  {
    id: 'crm.occurrence.active.future',
    deletedIn: 'crm',
    record: 'Active occurrence of a recurring series (instance or exception), start in the future',
    action: 'propagate',
    reason:
      "Deleted in CRM: a single occurrence whose start is in the future is cancelled in the organizer's Outlook calendar (Exchange sends that occurrence's cancellation to all attendees) and the attendees' copies of it are deleted; the rest of the series stays.",
  },
  {
    id: 'crm.occurrence.active.past',
    deletedIn: 'crm',
    record: 'Active occurrence of a recurring series, start now, in the past or unknown',
    action: 'skip',
    reason: 'Deleted in CRM: an occurrence whose start is not in the future stays in Outlook.',
  },
  {
    id: 'crm.occurrence.inactive',
    deletedIn: 'crm',
    record: 'Completed / Canceled occurrence of a recurring series',
    action: 'skip',
    reason: 'Deleted in CRM: a completed or canceled occurrence stays in Outlook.',
  },
  {
    id: 'crm.occurrence.unknown',
    deletedIn: 'crm',
    record: 'Appointment of a recurring series whose series or original start is not known',
    action: 'skip',
    reason:
      'Deleted in CRM: the appointment belongs to a recurring series, but its series or original start is not known, so its Outlook occurrence cannot be told apart from the rest of the series; nothing is deleted.',
  },

  // ── Deleted in Outlook → CRM ─────────────────────────────────────────────────────────────────
  {
    id: 'outlook.series.organizer',
    deletedIn: 'outlook',
    record: 'Active recurring series, deleted by the organizer',
    action: 'propagate',
    reason:
      'Deleted in Outlook by the organizer: the whole recurring series is deleted in CRM (Dataverse deletes its instances with it), acting as the organizer, so Dataverse enforces their Delete privilege.',
  },
  {
    id: 'outlook.series.organizer.started',
    deletedIn: 'outlook',
    record: 'Active recurring series deleted by the organizer, with occurrences that already started (policy option)',
    action: 'skip',
    reason:
      'Deleted in Outlook by the organizer, but the series has occurrences that already started (or its start is not known): with keepSeriesWithPastOccurrences the CRM series stays, because deleting it in CRM would delete its past instances too.',
  },
  {
    id: 'outlook.series.attendee',
    deletedIn: 'outlook',
    record: 'Active recurring series, deleted by an attendee',
    action: 'skip',
    reason: 'Deleted in Outlook by an attendee (not the organizer): the CRM series stays.',
  },
  {
    id: 'outlook.series.inactive',
    deletedIn: 'outlook',
    record: 'Completed / Canceled recurring series',
    action: 'skip',
    reason: 'Deleted in Outlook: a completed or canceled recurring series stays in CRM.',
  },
  {
    id: 'outlook.occurrence.organizer',
    deletedIn: 'outlook',
    record: 'Active occurrence, cancelled or deleted by the organizer',
    action: 'propagate',
    reason:
      "Cancelled or deleted in Outlook by the organizer: that occurrence's CRM instance is deleted, acting as the organizer, so Dataverse enforces their Delete privilege. Deleted rather than set to Canceled: Dataverse records a deleted instance as an exception of its series (DeletedExceptionsList), its own way of saying that one occurrence does not take place, and this is the table's organizer row for single meetings.",
  },
  {
    id: 'outlook.occurrence.organizer.past',
    deletedIn: 'outlook',
    record: 'Active occurrence deleted by the organizer, start not in the future (policy option)',
    action: 'skip',
    reason:
      'Cancelled or deleted in Outlook by the organizer, but the occurrence’s start is not in the future: with outlookOrganizerDeleteRequiresFutureStart the CRM instance stays.',
  },
  {
    id: 'outlook.occurrence.attendee',
    deletedIn: 'outlook',
    record: 'Active occurrence, deleted by an attendee',
    action: 'skip',
    reason: 'Deleted in Outlook by an attendee (not the organizer): the CRM instance stays.',
  },
  {
    id: 'outlook.occurrence.inactive',
    deletedIn: 'outlook',
    record: 'Completed / Canceled occurrence',
    action: 'skip',
    reason: 'Deleted in Outlook: a completed or canceled occurrence stays in CRM.',
  },
] as const satisfies readonly Rule[];

export type RecurrenceRuleId = (typeof RECURRENCE_RULES)[number]['id'];

