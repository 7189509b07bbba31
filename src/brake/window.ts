/**
 * The brake's counters: one row per admitted decision, in fixed buckets of the window's length, read as
 * a sliding window (this bucket and the one before, filtered by time). A row per decision, keyed by
 * event id, makes admission idempotent: a redelivered decision is not counted twice.
 */
import { z } from 'zod';
import type { StateStore } from '../store/state.js';

const Admission = z.object({ initiator: z.string(), at: z.number() });
type Admission = z.infer<typeof Admission>;

export interface WindowCounts {
  /** The event was admitted before (redelivery): let it through again. */
  admitted: boolean;
  byInitiator: number;
  total: number;
}

export interface DeleteWindow {
  counts(eventId: string, initiator: string, nowMs: number): Promise<WindowCounts>;
  admit(eventId: string, initiator: string, nowMs: number): Promise<void>;
}

export function deleteWindow(state: StateStore, windowMs: number): DeleteWindow {
  const bucketOf = (ms: number) => `brake-window/${Math.floor(ms / windowMs)}`;
  const pruned = new Set<string>();

  /** Buckets two windows old can hold nothing countable any more; dropped once per process. */
  async function prune(nowMs: number): Promise<void> {
    const stale = bucketOf(nowMs - 2 * windowMs);
    if (pruned.has(stale)) return;
    for (const entry of await state.list(stale)) await state.remove(stale, entry.key);
    pruned.add(stale);
  }

  return {
    async counts(eventId, initiator, nowMs) {
      const rows = await Promise.all([bucketOf(nowMs - windowMs), bucketOf(nowMs)].map((b) => state.list(b)));
      const live: (Admission & { eventId: string })[] = rows
        .flat()
        .map((entry) => ({ eventId: entry.key, ...Admission.parse(JSON.parse(entry.value)) }))
        .filter((a) => a.at > nowMs - windowMs);
      return {
        admitted: live.some((a) => a.eventId === eventId),
        byInitiator: live.filter((a) => a.initiator === initiator).length,
        total: live.length,
      };
    },
    async admit(eventId, initiator, nowMs) {
      const value: Admission = { initiator, at: nowMs };
      await state.set(bucketOf(nowMs), eventId, JSON.stringify(value), new Date(nowMs));
      await prune(nowMs);
    },
  };
}
