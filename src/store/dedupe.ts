/**
 * Dedupe keys for inputs (the DomainEvent id: Dataverse operation + message + record; Graph subscription +
 * item + etag + change). A key is claimed with insert-if-absent (a 409 means seen before) and marked
 * `enqueued` only after the queue accepted the message, so an input whose enqueue failed is not mistaken
 * for a duplicate when the sender retries.
 */
import { z } from 'zod';
import { sha256Hex } from './keys.js';
import type { TypedTable } from './table.js';

export const DedupeEntry = z.object({
  /** The input key, kept for operators (truncated: keys are hashed into the row key). */
  key: z.string(),
  enqueued: z.boolean(),
  firstSeenAt: z.string(),
});
export type DedupeEntry = z.infer<typeof DedupeEntry>;

export interface DedupeStore {
  /** True when this input still needs enqueueing: first sight, or an earlier attempt whose enqueue failed. */
  claim(key: string, at: Date): Promise<boolean>;
  /** Records that the input's message is on the queue. */
  markEnqueued(key: string, at: Date): Promise<void>;
}

function keys(key: string): [string, string] {
  const hash = sha256Hex(key);
  // A short hash prefix spreads keys over partitions; the full hash is the row key.
  return [hash.slice(0, 3), hash];
}

export function createDedupeStore(table: TypedTable<typeof DedupeEntry>): DedupeStore {
  return {
    async claim(key, at) {
      const entry: DedupeEntry = { key: key.slice(0, 512), enqueued: false, firstSeenAt: at.toISOString() };
      if (await table.insert(...keys(key), entry)) return true;
      const existing = await table.get(...keys(key));
      return existing === null || !existing.enqueued;
    },
    async markEnqueued(key, at) {
      const existing = await table.get(...keys(key));
      await table.upsert(...keys(key), {
        key: key.slice(0, 512),
        enqueued: true,
        firstSeenAt: existing?.firstSeenAt ?? at.toISOString(),
      });
    },
  };
}
