/**
 * Deletes the brake holds back: one row per held decision in the state table, with the event it came
 * from, so an operator's release can run it through the processor exactly as the queue would have.
 */
import { z } from 'zod';
import { DomainEvent } from '../domain/event.js';
import type { StateStore } from '../store/state.js';

/** Which limit stopped it: the initiating user's, or the service-wide one. */
export const BrakeLimit = z.enum(['per-user', 'total']);

export const HeldDelete = z.object({
  eventId: z.string(),
  heldAt: z.string(),
  /** Lower-cased Entra object id (or CRM systemuser id) of whoever made the original delete. */
  initiator: z.string(),
  limit: BrakeLimit,
  ruleId: z.string(),
  recordKey: z.string(),
  targetCount: z.number().int().nonnegative(),
  event: DomainEvent,
});

export type BrakeLimit = z.infer<typeof BrakeLimit>;
export type HeldDelete = z.infer<typeof HeldDelete>;

const HELD = 'brake-held';

export interface HeldDeletes {
  put(held: HeldDelete): Promise<void>;
  get(eventId: string): Promise<HeldDelete | null>;
  list(): Promise<HeldDelete[]>;
  remove(eventId: string): Promise<void>;
}

export function heldDeletes(state: StateStore): HeldDeletes {
  const decode = (value: string) => HeldDelete.parse(JSON.parse(value));
  return {
    put: (held) => state.set(HELD, held.eventId, JSON.stringify(HeldDelete.parse(held)), new Date(held.heldAt)),
    get: async (eventId) => {
      const value = await state.get(HELD, eventId);
      return value === null ? null : decode(value);
    },
    list: async () => (await state.list(HELD)).map((entry) => decode(entry.value)).sort((a, b) => a.heldAt.localeCompare(b.heldAt)),
    remove: (eventId) => state.remove(HELD, eventId),
  };
}
