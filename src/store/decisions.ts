/**
 * Decision records (the audit trail): input summary (ids only), facts, rule, action, reason, targets and
 * each target's outcome. Three rows per record, all point- or prefix-reads:
 *  - by record: pk = record key, rk = inverted time + id (newest first) — `?record=` in the API;
 *  - recent: one partition, same row key — `GET /api/decisions`;
 *  - by event: pk/rk from the event id's hash — the processor's idempotency check, written last.
 */
import { z } from 'zod';
import { Change, EntityKind, Origin, OutlookItemKind } from '../domain/event.js';
import { Action, Facts, FollowUp, Target, TargetStatus } from '../policy/types.js';
import { hashedKeys, invertedTime, joinKey, keyPart } from './keys.js';
import type { TypedTable } from './table.js';

export const DecisionStatus = z.enum([
  /** Decided; nothing executed (no executor plugged in, or action skip). */
  'decided',
  /** The notification of the service's own delete (tombstoned): recorded, nothing else. */
  'echo',
  'executed',
  'failed',
  /** The message failed too often and went to the poison queue. */
  'poisoned',
  /** Stopped by the mass-delete brake: waiting for an operator's `delete-sync release` or `discard`. */
  'held',
  /** A held decision an operator dropped: nothing was executed. */
  'discarded',
]);

export const TargetOutcome = z.object({
  /** Index into `targets`. */
  targetIndex: z.number().int().nonnegative(),
  status: TargetStatus,
  httpStatus: z.number().int().nullable(),
  code: z.string().nullable(),
  detail: z.string().nullable(),
  at: z.string(),
});

/** What came in, by id only: no subjects, bodies, secrets or raw payloads. */
export const InputSummary = z.object({
  eventId: z.string(),
  origin: Origin,
  change: Change,
  entity: EntityKind,
  receivedAt: z.string(),
  crm: z
    .object({
      entity: z.string(),
      id: z.string(),
      organizationId: z.string(),
      operationId: z.string(),
      messageName: z.string(),
      preImageMissing: z.boolean(),
      sizeExceeded: z.boolean(),
    })
    .nullable(),
  outlook: z
    .object({
      subscriptionId: z.string().nullable(),
      userId: z.string(),
      itemKind: OutlookItemKind,
      itemId: z.string(),
    })
    .nullable(),
});

export const DecisionRecord = z.object({
  /** The event id (for a message that never parsed: the queue message id). */
  id: z.string(),
  /** `entity:id` of the CRM record, or `outlook:user:item` when no record is known; see recordKeyOf. */
  recordKey: z.string(),
  decidedAt: z.string(),
  status: DecisionStatus,
  input: InputSummary.nullable(),
  facts: Facts.nullable(),
  ruleId: z.string(),
  action: Action,
  reason: z.string(),
  targets: z.array(Target),
  followUps: z.array(FollowUp),
  outcomes: z.array(TargetOutcome),
  dryRun: z.boolean(),
});

export type DecisionStatus = z.infer<typeof DecisionStatus>;
export type TargetOutcome = z.infer<typeof TargetOutcome>;
export type InputSummary = z.infer<typeof InputSummary>;
export type DecisionRecord = z.infer<typeof DecisionRecord>;

export function crmRecordKey(ref: { entity: string; id: string }): string {
  return `${ref.entity.toLowerCase()}:${ref.id.toLowerCase()}`;
}

export function outlookItemKey(userId: string, itemId: string): string {
  return `outlook:${userId}:${itemId}`;
}

export interface DecisionStore {
  /** Writes (or rewrites, e.g. with outcomes) a record; keys depend only on id, recordKey and decidedAt. */
  put(record: DecisionRecord): Promise<void>;
  getByEvent(id: string): Promise<DecisionRecord | null>;
  listRecent(limit: number): Promise<DecisionRecord[]>;
  listByRecord(recordKey: string, limit: number): Promise<DecisionRecord[]>;
}

const RECENT = 'recent';
const timeKey = (r: DecisionRecord) => `${invertedTime(new Date(r.decidedAt))}|${keyPart(r.id)}`;

export function createDecisionStore(
  byRecord: TypedTable<typeof DecisionRecord>,
  recent: TypedTable<typeof DecisionRecord>,
  byEvent: TypedTable<typeof DecisionRecord>,
): DecisionStore {
  return {
    async put(record) {
      await byRecord.upsert(joinKey(record.recordKey), timeKey(record), record);
      await recent.upsert(RECENT, timeKey(record), record);
      await byEvent.upsert(...hashedKeys(record.id), record);
    },
    getByEvent: (id) => byEvent.get(...hashedKeys(id)),
    listRecent: (limit) => recent.listPartition(RECENT, limit),
    listByRecord: (recordKey, limit) => byRecord.listPartition(joinKey(recordKey), limit),
  };
}
