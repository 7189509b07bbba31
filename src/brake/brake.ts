/**
 * The mass-delete brake. Before a propagate decision is executed, the processor asks `hold()`: within a
 * sliding window, more than `maxPerUser` propagated deletes by one initiating user, or more than
 * `maxTotal` in all, and the decision is held instead — a held row (held.ts), the decision record rewritten
 * as `held`, a DeleteSync.Held telemetry event — until an operator releases or discards it (operator.ts).
 *
 * A propagated delete is one decision (one record or item deleted on one side), however many mailbox
 * copies it fans out to: a single all-hands meeting must not trip it, a bulk-delete job must.
 *
 * Once a limit is reached the brake stays engaged for that user (or for everyone, for the total limit)
 * until an operator has dealt with every held delete of that scope, so a long bulk job cannot trickle
 * through window by window. Admissions are serialised within a process; across scaled-out instances the
 * overshoot is bounded by the number of decisions in flight at once.
 */
import type { Config } from '../config.js';
import type { DomainEvent } from '../domain/event.js';
import type { Logger } from '../log.js';
import type { Facts } from '../policy/types.js';
import type { DecisionRecord } from '../store/decisions.js';
import type { Store } from '../store/index.js';
import { subjectOf, type EventSubject } from '../telemetry/recorder.js';
import { heldDeletes, type BrakeLimit, type HeldDelete, type HeldDeletes } from './held.js';
import { deleteWindow } from './window.js';

export interface BrakeDeps {
  store: Pick<Store, 'state' | 'decisions'>;
  limits: Config['brake'];
  now: () => Date;
  log: Logger;
  /** Alert: the telemetry recorder's recordHeld, told what was held (input, record, mailbox item). */
  onHeld: (count: number, info: EventSubject & { ruleId: string }) => void;
}

export interface MassDeleteBrake {
  /** The decision record rewritten as held, or null when the decision may run now. */
  hold(record: DecisionRecord, event: DomainEvent): Promise<DecisionRecord | null>;
  held: HeldDeletes;
  /** Disengages scopes none of whose deletes is held any more (after a release or discard). */
  disengageCleared(): Promise<void>;
}

const TRIPPED = 'brake-tripped';
const TOTAL_SCOPE = 'total';
const userScope = (initiator: string) => `user:${initiator}`;

/** Who made the original delete: the CRM user (by Entra id when Dataverse sent it) or the mailbox owner. */
function initiatorOf(event: DomainEvent, facts: Facts | null): string {
  const id =
    event.crm?.initiatingUserAadObjectId ?? event.crm?.initiatingUserId ?? facts?.actor?.userId ?? event.outlook?.userId ?? 'unknown';
  return id.toLowerCase();
}

function heldRecord(record: DecisionRecord, detail: string, at: string): DecisionRecord {
  return {
    ...record,
    status: 'held',
    outcomes: record.targets.map((_, targetIndex) => ({ targetIndex, status: 'held', httpStatus: null, code: null, detail, at })),
  };
}

export function createBrake(deps: BrakeDeps): MassDeleteBrake {
  const { state } = deps.store;
  const { maxPerUser, maxTotal, windowSeconds } = deps.limits;
  const held = heldDeletes(state);
  const window = deleteWindow(state, windowSeconds * 1000);
  const log = deps.log.child({ component: 'mass-delete-brake' });
  let queue: Promise<unknown> = Promise.resolve();

  const describeLimit = (limit: BrakeLimit, initiator: string) =>
    limit === 'per-user'
      ? `held by the mass-delete brake: more than ${maxPerUser} propagated deletes by ${initiator} within ${windowSeconds} s; waiting for an operator (delete-sync release or discard)`
      : `held by the mass-delete brake: more than ${maxTotal} propagated deletes in total within ${windowSeconds} s; waiting for an operator (delete-sync release or discard)`;

  /** Which limit stops this decision now, if any; admits (counts) it otherwise. */
  async function verdict(eventId: string, initiator: string, nowMs: number): Promise<BrakeLimit | null> {
    const tripped = new Set((await state.list(TRIPPED)).map((e) => e.key));
    const counts = await window.counts(eventId, initiator, nowMs);
    if (counts.admitted) return null;
    if (tripped.has(TOTAL_SCOPE)) return 'total';
    if (tripped.has(userScope(initiator))) return 'per-user';
    const limit: BrakeLimit | null = counts.byInitiator >= maxPerUser ? 'per-user' : counts.total >= maxTotal ? 'total' : null;
    if (limit === null) {
      await window.admit(eventId, initiator, nowMs);
      return null;
    }
    await state.set(TRIPPED, limit === 'total' ? TOTAL_SCOPE : userScope(initiator), new Date(nowMs).toISOString());
    log.warn('mass-delete brake engaged', { limit, initiator, maxPerUser, maxTotal, windowSeconds });
    return limit;
  }

  async function holdNow(record: DecisionRecord, event: DomainEvent): Promise<DecisionRecord | null> {
    const now = deps.now();
    const initiator = initiatorOf(event, record.facts);
    const already = await held.get(event.id);
    const limit = already?.limit ?? (await verdict(event.id, initiator, now.getTime()));
    if (limit === null) return null;
    const entry: HeldDelete = already ?? {
      eventId: event.id,
      heldAt: now.toISOString(),
      initiator,
      limit,
      ruleId: record.ruleId,
      recordKey: record.recordKey,
      targetCount: record.targets.length,
      event,
    };
    // The held row first: if the record write is lost, a redelivery finds the row and holds again.
    await held.put(entry);
    const result = heldRecord(record, describeLimit(limit, initiator), entry.heldAt);
    await deps.store.decisions.put(result);
    if (already === null) {
      deps.onHeld(1, { ...subjectOf(event, record.facts?.crmRef), ruleId: record.ruleId });
      log.warn('propagated delete held', { eventId: event.id, ruleId: record.ruleId, limit, targets: record.targets.length });
    }
    return result;
  }

  return {
    held,
    hold(record, event) {
      const next = queue.then(() => holdNow(record, event));
      queue = next.catch(() => undefined);
      return next;
    },
    async disengageCleared() {
      const remaining = await held.list();
      for (const trip of await state.list(TRIPPED)) {
        const stillHeld =
          trip.key === TOTAL_SCOPE
            ? remaining.some((h) => h.limit === 'total')
            : remaining.some((h) => userScope(h.initiator) === trip.key);
        if (!stillHeld) {
          await state.remove(TRIPPED, trip.key);
          log.info('mass-delete brake disengaged', { scope: trip.key.startsWith('user:') ? 'per-user' : 'total' });
        }
      }
    },
  };
}
