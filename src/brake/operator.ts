/**
 * What an operator does with held deletes: list them, release them (each runs through the processor as
 * its queue message would have, with the brake out of the way, so the executor performs it and the
 * decision record gets its outcomes), or discard them (the record says so; nothing is deleted).
 * Reprocessing is the pipeline's: the composition root hands it over as `reprocess`.
 */
import type { DomainEvent } from '../domain/event.js';
import type { DecisionRecord, DecisionStore } from '../store/decisions.js';
import type { MassDeleteBrake } from './brake.js';
import type { HeldDelete } from './held.js';

/** Which held deletes an operator command acts on. */
export type Selection = { all: true } | { ids: string[] };

export interface OperatorResult {
  eventId: string;
  /** released: executed (see `status`); discarded: dropped; missing: nothing held under that id. */
  result: 'released' | 'discarded' | 'missing';
  /** The decision record's status afterwards. */
  status: DecisionRecord['status'] | null;
}

export interface OperatorDeps {
  brake: MassDeleteBrake;
  decisions: DecisionStore;
  now: () => Date;
  /** Runs a released event through the processor with the brake out of the way. */
  reprocess: (event: DomainEvent) => Promise<void>;
}

/** Runs `act` on each selected held delete (ids held under no delete answer `missing`), then disengages what is clear. */
async function forEachSelected(selection: Selection, brake: MassDeleteBrake, act: (entry: HeldDelete) => Promise<OperatorResult>): Promise<OperatorResult[]> {
  const entries = 'all' in selection ? await brake.held.list() : await Promise.all(selection.ids.map(async (id) => (await brake.held.get(id)) ?? id));
  const results: OperatorResult[] = [];
  for (const entry of entries) results.push(typeof entry === 'string' ? { eventId: entry, result: 'missing', status: null } : await act(entry));
  await brake.disengageCleared();
  return results;
}

const note = (reason: string, text: string) => `${reason} ${text}`;

export function releaseHeld(selection: Selection, { brake, decisions, now, reprocess }: OperatorDeps): Promise<OperatorResult[]> {
  return forEachSelected(selection, brake, async (entry) => {
    const record = await decisions.getByEvent(entry.eventId);
    // 'decided': an earlier release stopped after reopening the record; run it again.
    if (record !== null && (record.status === 'held' || record.status === 'decided')) {
      const at = now().toISOString();
      await decisions.put({
        ...record,
        status: 'decided',
        outcomes: [],
        reason: record.status === 'held' ? note(record.reason, `Held by the mass-delete brake; released by an operator at ${at}.`) : record.reason,
      });
      await reprocess(entry.event);
    }
    await brake.held.remove(entry.eventId);
    const after = await decisions.getByEvent(entry.eventId);
    return { eventId: entry.eventId, result: 'released', status: after?.status ?? null };
  });
}

export function discardHeld(selection: Selection, { brake, decisions, now }: OperatorDeps): Promise<OperatorResult[]> {
  return forEachSelected(selection, brake, async (entry) => {
    const record = await decisions.getByEvent(entry.eventId);
    if (record !== null && record.status === 'held') {
      const at = now().toISOString();
      const detail = `discarded by an operator at ${at}: not performed`;
      await decisions.put({
        ...record,
        status: 'discarded',
        reason: note(record.reason, `Held by the mass-delete brake; discarded by an operator at ${at}, nothing was deleted.`),
        outcomes: record.targets.map((_, targetIndex) => ({ targetIndex, status: 'discarded', httpStatus: null, code: null, detail, at })),
      });
    }
    await brake.held.remove(entry.eventId);
    return { eventId: entry.eventId, result: 'discarded', status: record?.status === 'held' ? 'discarded' : (record?.status ?? null) };
  });
}
