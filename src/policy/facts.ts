/**
 * Facts from a normalised event plus what was looked up for it. The processor looks things up in the
 * store; `delete-sync explain` passes what the body carries (and a --facts file). Pure.
 */
import { z } from 'zod';
import type { DomainEvent } from '../domain/event.js';
import { Facts } from './types.js';

/** What the event cannot carry: the linked record, its stored snapshot, who deleted, the links. */
export const LookedUp = Facts.pick({ crmRef: true, record: true, actor: true, links: true }).partial().strict();
export type LookedUp = z.infer<typeof LookedUp>;

export function factsFor(event: DomainEvent, lookedUp: LookedUp = {}): Facts {
  const common = { origin: event.origin, change: event.change, entity: event.entity, links: lookedUp.links ?? [] };
  if (event.crm !== undefined) {
    // The pre-image (or Target) is newer than any stored snapshot; the store only fills a gap.
    return { ...common, crmRef: event.crm.ref, record: event.crm.snapshot ?? lookedUp.record ?? null, actor: lookedUp.actor ?? null };
  }
  return { ...common, crmRef: lookedUp.crmRef ?? null, record: lookedUp.record ?? null, actor: lookedUp.actor ?? null };
}
