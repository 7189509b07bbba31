/**
 * The only attribute names telemetry may carry, each with the shape its value must have. Anything
 * else — subjects, names, addresses, tokens, secrets, or an id that looks like a UPN — is dropped
 * here, so a careless caller cannot leak it into Application Insights.
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors.js';
import { Change, EntityKind, Origin } from '../domain/event.js';
import { Action, TargetStatus } from '../policy/types.js';

/** What happened to one target of a decision: the audit record's vocabulary, so counts match it. */
export const TargetOutcome = TargetStatus;
export type TargetOutcome = TargetStatus;

/** Upstream services whose throttling is counted. */
export const ThrottledService = z.enum(['graph', 'dataverse']);
export type ThrottledService = z.infer<typeof ThrottledService>;

/**
 * Opaque identifiers: GUIDs, Graph item ids (base64url), dedupe keys. No '@' (so no UPN or address)
 * and no white space (so no sentence or subject line).
 */
const OpaqueId = z.string().regex(/^[A-Za-z0-9+/=_\-.:{}]{1,512}$/);
/**
 * An input's dedupe key (DomainEvent.id): a Graph one ends with the notification's `@odata.etag`, which
 * Graph writes as a weak ETag, `W/"…"`; so quotes are allowed here, still no '@' and no white space.
 */
const EventId = z.string().regex(/^[A-Za-z0-9+/=_\-.:{}"]{1,1024}$/);
/** Machine names: rule ids such as `crm.appointment.active.future`, CRM logical names. */
const MachineName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$/);
const Count = z.number().int().nonnegative();
const Duration = z.number().nonnegative();
const ErrorCodeValue = z.enum(Object.keys(ERROR_CATALOGUE) as [ErrorCode, ...ErrorCode[]]);

export const outcomeAttribute = (outcome: TargetOutcome): `outcome.${TargetOutcome}` => `outcome.${outcome}`;

const outcomeAttributes = Object.fromEntries(TargetOutcome.options.map((o) => [outcomeAttribute(o), Count]));

export const ALLOWED_ATTRIBUTES: Readonly<Record<string, z.ZodType>> = {
  eventId: EventId,
  correlationId: OpaqueId,
  ruleId: MachineName,
  action: Action,
  entity: EntityKind,
  origin: Origin,
  change: Change,
  crmEntity: MachineName,
  crmRecordId: OpaqueId,
  mailboxUserId: OpaqueId,
  mailboxItemId: OpaqueId,
  targetCount: Count,
  durationMs: Duration,
  dryRun: z.boolean(),
  service: ThrottledService,
  retryAfterSeconds: Duration,
  errorCode: ErrorCodeValue,
  dequeueCount: Count,
  heldCount: Count,
  ...outcomeAttributes,
};

export type AttributeValue = string | number | boolean;
export type SafeAttributes = Record<string, AttributeValue>;

/** Keeps only allow-listed names whose value has the expected shape; null/undefined mean "not known". */
export function safeAttributes(raw: Readonly<Record<string, unknown>>): SafeAttributes {
  const kept: SafeAttributes = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || value === null || !Object.hasOwn(ALLOWED_ATTRIBUTES, name)) continue;
    const parsed = ALLOWED_ATTRIBUTES[name]!.safeParse(value);
    if (parsed.success) kept[name] = parsed.data as AttributeValue;
  }
  return kept;
}
