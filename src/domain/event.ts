/**
 * The one domain event both sources normalise into. Queue messages, the processor and the policy
 * speak only this shape; Dataverse and Graph wire formats stay in src/contracts.
 */
import { z } from 'zod';

export const Origin = z.enum(['crm', 'outlook']);
export const Change = z.enum(['deleted', 'created', 'updated']);
export const EntityKind = z.enum(['appointment', 'task', 'email', 'contact', 'other']);
export const OutlookItemKind = z.enum(['event', 'contact', 'message', 'todoTask']);

export const CrmRef = z.object({
  /** CRM logical name, e.g. `appointment`, `systemuser`, `new_customactivity`. */
  entity: z.string().min(1),
  id: z.string().min(1),
});

/** A member of an activity party list. `id` is null for unresolved e-mail addresses. */
export const PartyRole = z.enum(['organizer', 'required', 'optional', 'owner', 'from', 'to', 'other']);
export const Party = z.object({
  role: PartyRole,
  /** CRM type of the party: systemuser, contact, account, lead … or `unresolved`. */
  type: z.string(),
  id: z.string().nullable(),
  address: z.string().nullable(),
});

/**
 * Where a CRM record sits in a recurring series (Dataverse `appointment.instancetypecode`, `seriesid`,
 * `originalstartdate`; the series' own `recurringappointmentmaster` row). Absent on records that were
 * never read with these columns.
 */
export const InstanceType = { notRecurring: 0, master: 1, instance: 2, exception: 3, futureException: 4 } as const;
export const SeriesPosition = z.object({
  /** instancetypecode: 0 Not Recurring, 1 Recurring Master, 2 Recurring Instance, 3 Recurring Exception, 4 Recurring Future Exception. */
  instanceType: z.number().int().nullable(),
  /** The recurringappointmentmaster an instance belongs to (`seriesid`). */
  seriesId: z.string().nullable(),
  /** An instance's `originalstartdate`, ISO UTC: with the series, the occurrence's identity on both sides. */
  originalStart: z.string().nullable(),
  /** A series master's earliest known start (starttime, effectivestartdate, patternstartdate), ISO UTC. */
  seriesStart: z.string().nullable(),
});

/** What the service knows of a CRM record: enough to decide, nothing more (no subjects or bodies). */
export const CrmSnapshot = z.object({
  ref: CrmRef,
  statecode: z.number().int().nullable(),
  /** ISO-8601 UTC. */
  scheduledStart: z.string().nullable(),
  owner: CrmRef.nullable(),
  organizer: Party.nullable(),
  requiredAttendees: z.array(Party),
  optionalAttendees: z.array(Party),
  globalObjectId: z.string().nullable(),
  messageId: z.string().nullable(),
  /** Recurring meetings only. */
  series: SeriesPosition.nullable().optional(),
  /** ISO time the snapshot was taken (the webhook's OperationCreatedOn, or when stored). */
  takenAt: z.string().nullable(),
});

export const CrmEventDetail = z.object({
  ref: CrmRef,
  organizationId: z.string(),
  operationId: z.string(),
  correlationId: z.string().nullable(),
  messageName: z.string(),
  initiatingUserId: z.string().nullable(),
  initiatingUserAadObjectId: z.string().nullable(),
  /** From the pre-image (Delete) or Target entity (Create/Update); null when none came. */
  snapshot: CrmSnapshot.nullable(),
  /** A Delete arrived without a pre-image (not registered, or dropped for size): fall back to the store. */
  preImageMissing: z.boolean(),
  /** Dataverse set x-ms-dynamics-msg-size-exceeded: InputParameters and images were removed. */
  sizeExceeded: z.boolean(),
});

export const OutlookEventDetail = z.object({
  subscriptionId: z.string().nullable(),
  tenantId: z.string().nullable(),
  /** Mailbox owner: Entra object id (or UPN) as it appears in the Graph resource path. */
  userId: z.string(),
  itemKind: OutlookItemKind,
  itemId: z.string(),
  resource: z.string(),
  etag: z.string().nullable(),
  /** To Do list id, for todoTask items. */
  listId: z.string().nullable(),
});

export const DomainEvent = z.object({
  /** Deterministic dedupe key of the input that produced this event. */
  id: z.string().min(1),
  origin: Origin,
  change: Change,
  entity: EntityKind,
  receivedAt: z.string(),
  crm: CrmEventDetail.optional(),
  outlook: OutlookEventDetail.optional(),
});

export type Origin = z.infer<typeof Origin>;
export type Change = z.infer<typeof Change>;
export type EntityKind = z.infer<typeof EntityKind>;
export type OutlookItemKind = z.infer<typeof OutlookItemKind>;
export type CrmRef = z.infer<typeof CrmRef>;
export type PartyRole = z.infer<typeof PartyRole>;
export type Party = z.infer<typeof Party>;
export type SeriesPosition = z.infer<typeof SeriesPosition>;
export type CrmSnapshot = z.infer<typeof CrmSnapshot>;
export type CrmEventDetail = z.infer<typeof CrmEventDetail>;
export type OutlookEventDetail = z.infer<typeof OutlookEventDetail>;
export type DomainEvent = z.infer<typeof DomainEvent>;
