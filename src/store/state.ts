/** A small key-value table (namespace, key) → text, for delta links, cursors and similar progress marks. */
import { z } from 'zod';
import { keyPart } from './keys.js';
import type { TypedTable } from './table.js';

export const StateEntry = z.object({ key: z.string(), value: z.string(), updatedAt: z.string() });
export type StateEntry = z.infer<typeof StateEntry>;

export interface StateStore {
  get(namespace: string, key: string): Promise<string | null>;
  set(namespace: string, key: string, value: string, at?: Date): Promise<void>;
  remove(namespace: string, key: string): Promise<void>;
  list(namespace: string): Promise<StateEntry[]>;
}

export function createStateStore(table: TypedTable<typeof StateEntry>): StateStore {
  return {
    get: async (namespace, key) => (await table.get(keyPart(namespace), keyPart(key)))?.value ?? null,
    set: (namespace, key, value, at = new Date()) =>
      table.upsert(keyPart(namespace), keyPart(key), { key, value, updatedAt: at.toISOString() }),
    remove: (namespace, key) => table.delete(keyPart(namespace), keyPart(key)),
    list: (namespace) => table.listPartition(keyPart(namespace)),
  };
}
