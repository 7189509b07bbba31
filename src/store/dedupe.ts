/**
 * Dedupe keys for inputs (the DomainEvent id: Dataverse operation + message + record; Graph subscription +
 * item + etag + change; one key per deleted mailbox item), taken at processing time. Receivers only
 * enqueue, so one input can be on the queue more than once (a redelivery, a delete seen by notification
 * and by delta): the first queue message to claim the key (insert-if-absent) handles it, its own
 * redeliveries too (the message id stays the same); any other message holding the input drops it.
 */
import { z } from 'zod';
import { hashedKeys } from './keys.js';
import type { TypedTable } from './table.js';

export const DedupeEntry = z.object({
  /** The input key, kept for operators (truncated: keys are hashed into the row key). */
  key: z.string(),
  /** The queue message that handles the input. Rows of the receive-time dedupe before it name none. */
  messageId: z.string().optional(),
  firstSeenAt: z.string(),
});
export type DedupeEntry = z.infer<typeof DedupeEntry>;

export interface DedupeStore {
  /**
   * True when the message `messageId` is the one to handle the input: first sight, a redelivery of that
   * same message, or a row of the earlier receive-time dedupe (whose one message the processor's own
   * record check covers). False for an input another message took.
   */
  claim(key: string, messageId: string, at: Date): Promise<boolean>;
  /** Gives the key up (its message went to the poison queue), so an operator's replay, a new message, can take it. */
  release(key: string): Promise<void>;
}

export function createDedupeStore(table: TypedTable<typeof DedupeEntry>): DedupeStore {
  return {
    async claim(key, messageId, at) {
      const entry: DedupeEntry = { key: key.slice(0, 512), messageId, firstSeenAt: at.toISOString() };
      const rowKeys = hashedKeys(key);
      if (await table.insert(...rowKeys, entry)) return true;
      const existing = await table.get(...rowKeys);
      return existing === null || existing.messageId === undefined || existing.messageId === messageId;
    },
    release: (key) => table.delete(...hashedKeys(key)),
  };
}
