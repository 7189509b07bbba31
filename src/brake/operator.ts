/**
 * What an operator does with held deletes: list them, release them (each runs through the processor as
 * its queue message would have, with the brake out of the way, so the executor performs it and the
 * decision record gets its outcomes), or discard them (the record says so; nothing is deleted).
 */
import { processEvent, type ProcessorDeps } from '../handlers/processor.js';
import type { DecisionRecord } from '../store/decisions.js';
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
  processor: ProcessorDeps;
}

async function select(brake: MassDeleteBrake, selection: Selection): Promise<(HeldDelete | string)[]> {
  if ('all' in selection) return brake.held.list();
  return Promise.all(selection.ids.map(async (id) => (await brake.held.get(id)) ?? id));
}

const note = (reason: string, text: string) => `${reason} ${text}`;

export async function releaseHeld(selection: Selection, deps: OperatorDeps): Promise<OperatorResult[]> {
  const { brake, processor } = deps;
  const results: OperatorResult[] = [];
  for (const entry of await select(brake, selection)) {
    if (typeof entry === 'string') {
      results.push({ eventId: entry, result: 'missing', status: null });
      continue;
    }
    const record = await processor.store.decisions.getByEvent(entry.eventId);
    // 'decided': an earlier release stopped after reopening the record; run it again.
    if (record !== null && (record.status === 'held' || record.status === 'decided')) {
      const at = processor.now().toISOString();
      await processor.store.decisions.put({
        ...record,
        status: 'decided',
        outcomes: [],
        reason: record.status === 'held' ? note(record.reason, `Held by the mass-delete brake; released by an operator at ${at}.`) : record.reason,
      });
      await processEvent(entry.event, { ...processor, brake: undefined });
    }
    await brake.held.remove(entry.eventId);
    const after = await processor.store.decisions.getByEvent(entry.eventId);
    results.push({ eventId: entry.eventId, result: 'released', status: after?.status ?? null });
  }
  await brake.disengageCleared();
  return results;
}

export async function discardHeld(selection: Selection, deps: OperatorDeps): Promise<OperatorResult[]> {
  const { brake, processor } = deps;
  const results: OperatorResult[] = [];
  for (const entry of await select(brake, selection)) {
    if (typeof entry === 'string') {
      results.push({ eventId: entry, result: 'missing', status: null });
      continue;
    }
    const record = await processor.store.decisions.getByEvent(entry.eventId);
    if (record !== null && record.status === 'held') {
      const at = processor.now().toISOString();
      const detail = `discarded by an operator at ${at}: not performed`;
      await processor.store.decisions.put({
        ...record,
        status: 'discarded',
        reason: note(record.reason, `Held by the mass-delete brake; discarded by an operator at ${at}, nothing was deleted.`),
        outcomes: record.targets.map((_, targetIndex) => ({ targetIndex, status: 'discarded', httpStatus: null, code: null, detail, at })),
      });
    }
    await brake.held.remove(entry.eventId);
    results.push({ eventId: entry.eventId, result: 'discarded', status: record?.status === 'held' ? 'discarded' : (record?.status ?? null) });
  }
  await brake.disengageCleared();
  return results;
}
