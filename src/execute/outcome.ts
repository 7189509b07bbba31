/**
 * What happened to each target of a decision; the processor stores these in the decision record.
 */
import { z } from 'zod';
import { CrmRef, OutlookItemKind } from '../domain/event.js';

export const OutcomeStatus = z.enum([
  /** The item or record was removed by this execution. */
  'deleted',
  /** The organizer's meeting was cancelled (attendees get the cancellation). */
  'canceled',
  /** A recurring series was ended at now: its range cut back to the last occurrence that has started. */
  'ended',
  /** 404: someone else removed it first — the goal is met. */
  'already-gone',
  /** No copy of the meeting exists in that mailbox. */
  'not-found',
  /** Deliberately not done; `detail` says why (no Delete privilege, mailbox unknown, ambiguous match …). */
  'skipped',
  /** Dry run: this would have been done. */
  'planned',
  /** Permanent failure (e.g. 400/403 from Graph). */
  'failed',
  /** Not finished within the deadline or after the last retry: the message should be retried. */
  'pending',
  /** Contact comeback: the contact was created again in its owner's mailbox. */
  'restored',
  /** Contact comeback: remembered until the next CRM change of the contact. */
  'remembered',
]);

export const TargetOutcome = z.object({
  /** Index into the decision's `targets`; null for follow-up work (remembering or restoring a contact). */
  targetIndex: z.number().int().nonnegative().nullable(),
  side: z.enum(['outlook', 'crm']),
  action: z.enum(['delete', 'cancel', 'end-series', 'restore', 'remember']),
  status: OutcomeStatus,
  detail: z.string(),
  /** Mailbox (Outlook) or the user the CRM delete ran as. */
  userId: z.string().nullable(),
  itemKind: OutlookItemKind.nullable(),
  itemId: z.string().nullable(),
  crm: CrmRef.nullable(),
  attempts: z.number().int().nonnegative(),
  /** Last HTTP status seen, when there was one. */
  httpStatus: z.number().int().nullable(),
  /** Upstream error code, e.g. Dataverse `0x80040220` or Graph `ErrorItemNotFound`. */
  code: z.string().nullable(),
  /** ISO time the outcome was settled. */
  at: z.string(),
});

export type OutcomeStatus = z.infer<typeof OutcomeStatus>;
export type TargetOutcome = z.infer<typeof TargetOutcome>;

/** Outcomes that leave work undone: the queue message must be retried (and poisoned after the last try). */
export function hasPending(outcomes: readonly TargetOutcome[]): boolean {
  return outcomes.some((o) => o.status === 'pending');
}
