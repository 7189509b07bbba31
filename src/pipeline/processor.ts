/**
 * The processor: one DomainEvent → facts → decide() → decision record → (optionally) execute.
 *
 * The executor seam: `deps.execute(decision, facts, event)` carries out a propagate decision's targets (and
 * a skip's follow-up work, see needsExecution) and returns one outcome per target; the processor then rewrites the record with those outcomes. Until an
 * executor is injected, decisions are recorded with status `decided` and nothing is executed.
 *
 * Idempotent on redelivery: the record is keyed by event id. A redelivered event whose record exists is not
 * decided again (a later decision might differ — "never delete anything new"); if its execution had not
 * finished, the stored decision is executed again (deletes treat 404 as done).
 */
import type { MassDeleteBrake } from '../brake/brake.js';
import type { DomainEvent } from '../domain/event.js';
import type { Logger } from '../log.js';
import type { PolicyConfig } from '../policy/config.js';
import { decide } from '../policy/decide.js';
import type { Decision, Facts } from '../policy/types.js';
import {
  crmRecordKey,
  outlookItemKey,
  type DecisionRecord,
  type InputSummary,
  type TargetOutcome,
} from '../store/decisions.js';
import type { Store } from '../store/index.js';
import type { TombstoneTarget } from '../store/tombstones.js';
import { recordDecision, subjectOf, type DecisionTelemetry } from '../telemetry/index.js';
import { gatherFacts, type ReadSnapshot } from './gather-facts.js';

/** Carries out a decision; one outcome per target (the executor's part, injected). */
export type Execute = (decision: Decision, facts: Facts, event: DomainEvent) => Promise<TargetOutcome[]>;

export interface ProcessorDeps {
  store: Store;
  log: Logger;
  now: () => Date;
  /** Policy overrides (POLICY_FILE); the built-in table when omitted. */
  policy?: PolicyConfig;
  dryRun: boolean;
  execute?: Execute;
  /** Link learning for created/updated events (src/links), run before deciding; injected like the executor. */
  learnLinks?: (event: DomainEvent) => Promise<void>;
  /** Reads a CRM record whose Create/Update body could not carry it (size-exceeded); injected where Dataverse is configured. */
  readSnapshot?: ReadSnapshot;
  /** The mass-delete brake: may hold a propagate decision instead of executing it (not in dry run). */
  brake?: MassDeleteBrake;
  /** The occurrence deletes an Outlook `updated` of a series master stands for (src/links/occurrences.ts); each is processed as its own event. */
  occurrenceDeletes?: (event: DomainEvent) => Promise<DomainEvent[]>;
}

export function inputSummary(event: DomainEvent): InputSummary {
  const { crm, outlook } = event;
  return {
    eventId: event.id,
    origin: event.origin,
    change: event.change,
    entity: event.entity,
    receivedAt: event.receivedAt,
    crm:
      crm === undefined
        ? null
        : {
            entity: crm.ref.entity,
            id: crm.ref.id,
            organizationId: crm.organizationId,
            operationId: crm.operationId,
            messageName: crm.messageName,
            preImageMissing: crm.preImageMissing,
            sizeExceeded: crm.sizeExceeded,
          },
    outlook:
      outlook === undefined
        ? null
        : { subscriptionId: outlook.subscriptionId, userId: outlook.userId, itemKind: outlook.itemKind, itemId: outlook.itemId },
  };
}

/** The record an event concerns, as decision records are keyed: the CRM record when known. */
export function recordKeyOf(event: DomainEvent, facts: Facts | null): string {
  const ref = facts?.crmRef ?? event.crm?.ref;
  if (ref) return crmRecordKey(ref);
  if (event.outlook) return outlookItemKey(event.outlook.userId, event.outlook.itemId);
  return 'unknown';
}

function tombstoneTarget(event: DomainEvent): TombstoneTarget | null {
  if (event.change !== 'deleted') return null;
  if (event.outlook) return { side: 'outlook', userId: event.outlook.userId, itemId: event.outlook.itemId };
  if (event.crm) return { side: 'crm', entity: event.crm.ref.entity, id: event.crm.ref.id };
  return null;
}

/**
 * A CRM delete the service made for an Outlook delete (the organizer's meeting, an open task) is still
 * the record's deletion in CRM: the CRM side of the table owes the other mailboxes their copies' delete,
 * so it is decided, not skipped as an echo. The Outlook deletes it makes are tombstoned, which ends the chain.
 */
async function cascades(event: DomainEvent, decisionId: string, store: Store): Promise<boolean> {
  if (event.origin !== 'crm') return false;
  return (await store.decisions.getByEvent(decisionId))?.input?.origin === 'outlook';
}

/** A delete the service made itself (tombstoned): the decision that made it, and whether this event cascades from it. */
interface OwnDelete {
  decisionId: string;
  cascade: boolean;
}

async function ownDelete(event: DomainEvent, store: Store): Promise<OwnDelete | null> {
  const target = tombstoneTarget(event);
  const tombstone = target === null ? null : await store.tombstones.get(target);
  if (tombstone === null) return null;
  return { decisionId: tombstone.decisionId, cascade: await cascades(event, tombstone.decisionId, store) };
}

/**
 * Skips can owe work too: a follow-up to remember (the contact comeback), or a CRM change that may be
 * the one a remembered follow-up waits for.
 */
function needsExecution(record: DecisionRecord, event: DomainEvent, deps: ProcessorDeps): boolean {
  if (deps.execute === undefined || record.status !== 'decided') return false;
  return record.action === 'propagate' || record.followUps.length > 0 || (event.origin === 'crm' && event.change === 'updated');
}

/**
 * A cascade (see cascades) carries on one user action that the brake counted when the Outlook delete was
 * decided, and that ran only because the brake let it (a held one deletes nothing in CRM, so no cascade
 * follows it): the cascade is not counted or held again.
 */
async function execute(record: DecisionRecord, event: DomainEvent, deps: ProcessorDeps, own: OwnDelete | null): Promise<DecisionRecord> {
  if (!needsExecution(record, event, deps) || record.facts === null) return record;
  if (deps.brake !== undefined && !deps.dryRun && record.action === 'propagate') {
    if (own?.cascade === true) {
      deps.log.info('cascade of an admitted delete: not counted by the brake', { eventId: event.id, continues: own.decisionId });
    } else {
      const held = await deps.brake.hold(record, event);
      if (held !== null) return held;
    }
  }
  const decision: Decision = {
    ruleId: record.ruleId,
    action: record.action,
    reason: record.reason,
    targets: record.targets,
    followUps: record.followUps,
  };
  const outcomes = await deps.execute!(decision, record.facts, event);
  if (record.action !== 'propagate' && outcomes.length === 0) return record;
  const executed: DecisionRecord = {
    ...record,
    outcomes,
    status: outcomes.some((o) => o.status === 'failed') ? 'failed' : 'executed',
  };
  await deps.store.decisions.put(executed);
  return executed;
}

/**
 * Events in hand in this process. Two messages for one event (a redelivery that raced the first through
 * the receiver, or a lease that ran out) often arrive in one batch: the second waits for the first and
 * then finds its record, instead of deciding and executing a second time.
 */
const inHand = new Map<string, Promise<unknown>>();

/** Records a redelivery returned untouched: their decision event was sent by the run that wrote them. */
const replayed = new WeakSet<DecisionRecord>();

/** The decision and what came of it, as the DeleteSync.Decision event carries it (ids and counts only). */
function decisionTelemetry(record: DecisionRecord, event: DomainEvent, durationMs: number): DecisionTelemetry {
  const outcomes: DecisionTelemetry['outcomes'] = {};
  for (const o of record.outcomes) outcomes[o.status] = (outcomes[o.status] ?? 0) + 1;
  return {
    ...subjectOf(event, record.facts?.crmRef),
    ruleId: record.ruleId,
    action: record.action,
    targetCount: record.targets.length,
    outcomes,
    durationMs,
    dryRun: record.dryRun,
  };
}

export async function processEvent(event: DomainEvent, deps: ProcessorDeps): Promise<DecisionRecord> {
  const started = deps.now().getTime();
  const before = inHand.get(event.id) ?? Promise.resolve();
  const run = before.catch(() => undefined).then(() => processOnce(event, deps));
  inHand.set(event.id, run);
  try {
    const record = await run;
    if (!replayed.has(record)) recordDecision(decisionTelemetry(record, event, Math.max(0, deps.now().getTime() - started)));
    // Graph reports a deleted or cancelled occurrence only as an updated series master: its deletes are found and decided here.
    if (event.origin === 'outlook' && event.change === 'updated' && deps.occurrenceDeletes !== undefined) {
      for (const occurrence of await deps.occurrenceDeletes(event)) await processEvent(occurrence, deps);
    }
    return record;
  } finally {
    if (inHand.get(event.id) === run) inHand.delete(event.id);
  }
}

async function processOnce(event: DomainEvent, deps: ProcessorDeps): Promise<DecisionRecord> {
  const log = deps.log.child({ eventId: event.id });
  // Before the redelivery check: a retry after a failed look-up must learn again (writing a link twice is harmless).
  if (event.change !== 'deleted' && deps.learnLinks !== undefined) await deps.learnLinks(event);
  const existing = await deps.store.decisions.getByEvent(event.id);
  if (existing !== null) {
    log.info('event already decided', { status: existing.status, ruleId: existing.ruleId });
    const result = await execute(existing, event, deps, existing.status === 'decided' ? await ownDelete(event, deps.store) : null);
    if (result === existing) replayed.add(result);
    return result;
  }
  const decidedAt = deps.now();
  const base = { id: event.id, decidedAt: decidedAt.toISOString(), input: inputSummary(event), outcomes: [], dryRun: deps.dryRun };

  const own = await ownDelete(event, deps.store);
  if (own !== null && !own.cascade) {
    const echo: DecisionRecord = {
      ...base,
      recordKey: recordKeyOf(event, null),
      status: 'echo',
      facts: null,
      ruleId: 'system.echo',
      action: 'skip',
      reason: `This delete was made by the service itself (decision ${own.decisionId}); its echo is recorded and nothing else is done.`,
      targets: [],
      followUps: [],
    };
    await deps.store.decisions.put(echo);
    log.info('echo of own delete skipped', { decisionId: own.decisionId });
    return echo;
  }

  const facts = await gatherFacts(event, deps.store, deps.readSnapshot);
  const decision = decide(facts, decidedAt, deps.policy);
  const record: DecisionRecord = {
    ...base,
    recordKey: recordKeyOf(event, facts),
    status: 'decided',
    facts,
    ...decision,
  };
  await deps.store.decisions.put(record);
  log.info('decided', { ruleId: record.ruleId, action: record.action, targets: record.targets.length });
  return execute(record, event, deps, own);
}
