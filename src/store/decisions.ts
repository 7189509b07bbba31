/**
 * Decision records (the audit trail): input summary (ids only), facts, rule, action, reason, targets and
 * each target's outcome. Rows per record, all point- or prefix-reads:
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
  /** Calls made for this target (retries included); absent in records written before it was kept. */
  attempts: z.number().int().nonnegative().optional(),
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

/**
 * Which index a query reads: every decision, or one record's. (A mailbox is a filter on what is read, not
 * an index: a meeting's decision can name thousands of mailboxes, and one row per mailbox per write would
 * slow every decision down.)
 */
export type DecisionScope = { kind: 'recent' } | { kind: 'record'; recordKey: string };

export interface DecisionQuery {
  /** Read together and merged newest first (e.g. one record id under each entity it may be). */
  scopes: DecisionScope[];
  /** Decided at or after / at or before. */
  from?: Date;
  to?: Date;
  /** The `cursor` of the previous page. */
  cursor?: string;
  limit: number;
  /** Rows read at most per scope for one page; `match` is applied to what was read. */
  scanLimit: number;
  match?: (record: DecisionRecord) => boolean;
}

export interface DecisionPage {
  decisions: DecisionRecord[];
  /** Where the next page starts; null when nothing older is left. */
  cursor: string | null;
}

export interface DecisionStore {
  /** Writes (or rewrites, e.g. with outcomes) a record; keys depend only on id, recordKey and decidedAt. */
  put(record: DecisionRecord): Promise<void>;
  getByEvent(id: string): Promise<DecisionRecord | null>;
  /**
   * Forgets that an event was decided (its by-event row only; the history rows stay), so a requeued
   * message is decided again instead of being answered from a poisoned record.
   */
  forgetEvent(id: string): Promise<void>;
  listRecent(limit: number): Promise<DecisionRecord[]>;
  listByRecord(recordKey: string, limit: number): Promise<DecisionRecord[]>;
  /** Newest first, bounded: at most `scanLimit` rows read per scope whatever `match` keeps. */
  query(query: DecisionQuery): Promise<DecisionPage>;
}

const RECENT = 'recent';
const timeKey = (r: DecisionRecord) => `${invertedTime(new Date(r.decidedAt))}|${keyPart(r.id)}`;

/** Every mailbox a decision names (lower-cased): where the delete happened, who acted, the targets and the linked copies. */
export function mailboxesOf(record: DecisionRecord): string[] {
  const ids = [
    record.input?.outlook?.userId,
    record.facts?.actor?.userId,
    ...record.targets.map((t) => (t.side === 'outlook' ? t.userId : t.actAs.userId)),
    ...(record.facts?.links ?? []).map((l) => l.userId),
  ];
  return [...new Set(ids.flatMap((id) => (id ? [id.toLowerCase()] : [])))];
}

/**
 * Row-key bounds of a time range. Keys are `<13-digit inverted ms>|<id>`, so "decided at or before `to`"
 * is every key above `<inverted to+1 ms>}` ('}' sorts after the '|' that follows the digits), and "at or
 * after `from`" every key below `<inverted from-1 ms>`.
 */
function timeBounds(from: Date | undefined, to: Date | undefined): { after?: string; before?: string } {
  return {
    ...(to === undefined ? {} : { after: `${invertedTime(new Date(to.getTime() + 1))}}` }),
    ...(from === undefined ? {} : { before: invertedTime(new Date(from.getTime() - 1)) }),
  };
}

export function createDecisionStore(
  byRecord: TypedTable<typeof DecisionRecord>,
  recent: TypedTable<typeof DecisionRecord>,
  byEvent: TypedTable<typeof DecisionRecord>,
): DecisionStore {
  const partition = (scope: DecisionScope): [TypedTable<typeof DecisionRecord>, string] =>
    scope.kind === 'recent' ? [recent, RECENT] : [byRecord, joinKey(scope.recordKey)];
  return {
    async put(record) {
      await byRecord.upsert(joinKey(record.recordKey), timeKey(record), record);
      await recent.upsert(RECENT, timeKey(record), record);
      await byEvent.upsert(...hashedKeys(record.id), record);
    },
    getByEvent: (id) => byEvent.get(...hashedKeys(id)),
    forgetEvent: (id) => byEvent.delete(...hashedKeys(id)),
    listRecent: (limit) => recent.listPartition(RECENT, limit),
    listByRecord: (recordKey, limit) => byRecord.listPartition(joinKey(recordKey), limit),
    async query({ scopes, from, to, cursor, limit, scanLimit, match = () => true }) {
      const bounds = timeBounds(from, to);
      const after = [bounds.after, cursor].reduce<string | undefined>((a, b) => (b === undefined || (a !== undefined && a >= b) ? a : b), undefined);
      const reads = await Promise.all(
        scopes.map(async (scope) => {
          const [table, pk] = partition(scope);
          const rows = await table.listRange(pk, { after, before: bounds.before }, scanLimit);
          // A scope that filled its budget may hold more rows past its last one: nothing past that is known.
          return { rows, frontier: rows.length < scanLimit ? null : (rows.at(-1)?.rowKey ?? null) };
        }),
      );
      const frontiers = reads.flatMap((r) => (r.frontier === null ? [] : [r.frontier])).sort();
      const frontier = frontiers[0];
      // One row per key (a decision under two scopes is one decision), none past the frontier.
      const byKey = new Map(reads.flatMap((r) => r.rows).filter((row) => frontier === undefined || row.rowKey <= frontier).map((row) => [row.rowKey, row.value]));
      const kept = [...byKey.entries()]
        .filter(([, value]) => match(value))
        .map(([rowKey, value]) => ({ rowKey, value }))
        .sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
      const page = kept.slice(0, limit);
      const next = kept.length > limit ? page.at(-1)!.rowKey : (frontier ?? null);
      return { decisions: page.map((row) => row.value), cursor: next };
    },
  };
}
