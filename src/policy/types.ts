/**
 * What the policy reads (facts) and what it answers (a decision). The processor gathers facts with
 * I/O; decide() is pure; the executor turns targets into effects.
 */
import { z } from 'zod';
import { Change, CrmRef, CrmSnapshot, EntityKind, Origin, OutlookItemKind } from '../domain/event.js';
import { Link } from '../domain/link.js';

/** Who deleted, for Outlook-side deletes: the mailbox owner's part in the CRM record. */
export const ActorRole = z.enum(['organizer', 'attendee', 'owner', 'other']);
export const Actor = z.object({
  role: ActorRole,
  /** Mailbox owner's Entra object id: the CallerObjectId a CRM delete runs as. */
  userId: z.string(),
  crmUserId: z.string().nullable(),
});

export const Facts = z.object({
  origin: Origin,
  change: Change,
  entity: EntityKind,
  /** The CRM record concerned (for Outlook deletes: the record the deleted item was linked to). */
  crmRef: CrmRef.nullable(),
  /** Last known state of that record: pre-image, or the stored snapshot. Null when nothing is known. */
  record: CrmSnapshot.nullable(),
  /** Outlook deletes only. */
  actor: Actor.nullable(),
  /** Mailbox copies known to be linked to the record. */
  links: z.array(Link),
});

/** An occurrence's identity on both sides: its series (the CRM master) and its original start (ISO UTC). */
export const OccurrenceKey = z.object({ series: CrmRef, originalStart: z.string() });

export const TargetRole = z.enum(['organizer', 'attendee', 'owner', 'linked']);

export const OutlookTarget = z.object({
  side: z.literal('outlook'),
  role: TargetRole,
  /** CRM systemuser id of the mailbox owner, when the party list or link names one. */
  crmUserId: z.string().nullable(),
  /** Entra object id of the mailbox, when a link names it; else the executor resolves crmUserId. */
  userId: z.string().nullable(),
  itemKind: OutlookItemKind,
  /** The linked item, when known; else the executor finds it (meetings: iCalUId ↔ globalobjectid). */
  itemId: z.string().nullable(),
  /** `end-series`: the series master's recurrence range is cut back to the last occurrence that has started. */
  method: z.enum(['delete', 'cancel', 'end-series']),
  /**
   * One occurrence of a series: found through the mailbox's link to the series master and the original
   * start, never by iCalUId (whether that differs per occurrence is contested).
   */
  occurrence: OccurrenceKey.nullable().optional(),
});

export const CrmTarget = z.object({
  side: z.literal('crm'),
  ref: CrmRef,
  /** The delete runs as this user, so Dataverse enforces their Delete privilege (403 = recorded skip). */
  actAs: z.object({ userId: z.string(), crmUserId: z.string().nullable() }),
  privilegeCheck: z.literal('enforced-by-impersonation'),
});

export const Target = z.discriminatedUnion('side', [OutlookTarget, CrmTarget]);

/** Work that is not a delete: remember that the owner's contact must come back on the next CRM change. */
export const FollowUp = z.object({
  kind: z.literal('restore-on-next-crm-change'),
  crmRef: CrmRef,
  userId: z.string(),
});

export const Action = z.enum(['propagate', 'skip']);

/** What happened to one target of a decision once executed (the audit record's and telemetry's vocabulary). */
export const TargetStatus = z.enum(['done', 'already-gone', 'skipped', 'denied', 'failed', 'dry-run', 'held', 'discarded']);
export type TargetStatus = z.infer<typeof TargetStatus>;

export const Decision = z.object({
  ruleId: z.string(),
  action: Action,
  reason: z.string(),
  targets: z.array(Target),
  followUps: z.array(FollowUp),
});

export type ActorRole = z.infer<typeof ActorRole>;
export type Actor = z.infer<typeof Actor>;
export type Facts = z.infer<typeof Facts>;
export type OccurrenceKey = z.infer<typeof OccurrenceKey>;
export type TargetRole = z.infer<typeof TargetRole>;
export type OutlookTarget = z.infer<typeof OutlookTarget>;
export type CrmTarget = z.infer<typeof CrmTarget>;
export type Target = z.infer<typeof Target>;
export type FollowUp = z.infer<typeof FollowUp>;
export type Action = z.infer<typeof Action>;
export type Decision = z.infer<typeof Decision>;
