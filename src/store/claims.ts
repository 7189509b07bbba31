/**
 * Claim check for inputs too large for a queue message (a meeting with thousands of attendees): the
 * input is written here before its message is enqueued, the message carries the claim id, and the row
 * is removed once the message is processed. A claim that is gone therefore means "already processed".
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { hashedKeys } from './keys.js';
import { ItemMessage } from './messages.js';
import type { TypedTable } from './table.js';

export const Claim = z.object({ item: ItemMessage, storedAt: z.string() });
export type Claim = z.infer<typeof Claim>;

export interface ClaimStore {
  /** Stores the input; answers the claim id for the queue message. */
  put(item: ItemMessage, at: Date): Promise<string>;
  get(claimId: string): Promise<ItemMessage | null>;
  remove(claimId: string): Promise<void>;
}

export function createClaimStore(table: TypedTable<typeof Claim>): ClaimStore {
  return {
    async put(item, at) {
      const claimId = randomUUID();
      await table.upsert(...hashedKeys(claimId), { item, storedAt: at.toISOString() });
      return claimId;
    },
    get: async (claimId) => (await table.get(...hashedKeys(claimId)))?.item ?? null,
    remove: (claimId) => table.delete(...hashedKeys(claimId)),
  };
}
