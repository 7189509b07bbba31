/**
 * Dedupe keys for inputs (the DomainEvent id: Dataverse operation + message + record; Graph subscription +
 * item + etag + change). A key is claimed with insert-if-absent (a 409 means seen before) and marked
 * `enqueued` only after the queue accepted the message, so an input whose enqueue failed is not mistaken
 * for a duplicate when the sender retries.
 */
import { z } from 'zod';
import { hashedKeys } from './keys.js';
import type { TypedTable } from './table.js';

export const DedupeEntry = z.object({
  /** The input key, kept for operators (truncated: keys are hashed into the row key). */
  key: z.string(),
  enqueued: z.boolean(),
  firstSeenAt: z.string(),
});
export type DedupeEntry = z.infer<typeof DedupeEntry>;

export interface DedupeStore {
  /**
   * The row to mark once the input is on the queue — first sight, or an earlier attempt whose enqueue
   * failed — or null for an input already enqueued.
   */
  claim(key: string, at: Date): Promise<DedupeEntry | null>;
  /** Records that the input's message is on the queue: one write of the claimed row, nothing read. */
  markEnqueued(key: string, claimed: DedupeEntry): Promise<void>;
}

export function createDedupeStore(table: TypedTable<typeof DedupeEntry>): DedupeStore {
  return {
    async claim(key, at) {
      const entry: DedupeEntry = { key: key.slice(0, 512), enqueued: false, firstSeenAt: at.toISOString() };
      const rowKeys = hashedKeys(key);
      if (await table.insert(...rowKeys, entry)) return entry;
      const existing = await table.get(...rowKeys);
      if (existing === null) return entry;
      return existing.enqueued ? null : existing;
    },
    // The claim already holds the row (with its first-seen time), so the mark replaces it without a read.
    markEnqueued: (key, claimed) => table.upsert(...hashedKeys(key), { ...claimed, enqueued: true }),
  };
}
