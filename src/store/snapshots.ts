/** Compact CRM record snapshots (pk entity, rk id): the fallback when a Delete arrives without a pre-image. */
import { CrmSnapshot, type CrmRef } from '../domain/event.js';
import { keyPart } from './keys.js';
import type { TypedTable } from './table.js';

export interface SnapshotStore {
  get(ref: CrmRef): Promise<CrmSnapshot | null>;
  put(snapshot: CrmSnapshot): Promise<void>;
}

export function createSnapshotStore(table: TypedTable<typeof CrmSnapshot>): SnapshotStore {
  return {
    get: (ref) => table.get(keyPart(ref.entity), keyPart(ref.id)),
    put: (snapshot) => table.upsert(keyPart(snapshot.ref.entity), keyPart(snapshot.ref.id), snapshot),
  };
}
