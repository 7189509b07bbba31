/**
 * Compact CRM record snapshots (pk entity, rk id): the fallback when a Delete arrives without a pre-image.
 * Dataverse async steps arrive late and out of order, so a snapshot is never replaced by one taken
 * earlier (takenAt): the check and the write are one optimistic step (ETag), so two writers cannot both win.
 */
import { CrmSnapshot, type CrmRef } from '../domain/event.js';
import { takenBefore } from '../domain/snapshot.js';
import { DeleteSyncError } from '../errors.js';
import { keyPart } from './keys.js';
import type { TypedTable } from './table.js';

export type SnapshotWrite = 'written' | 'kept-newer';

export interface SnapshotStore {
  get(ref: CrmRef): Promise<CrmSnapshot | null>;
  /** Writes the snapshot unless the stored one was taken later ('kept-newer'). */
  put(snapshot: CrmSnapshot): Promise<SnapshotWrite>;
}

/** Attempts before giving up on a row that keeps changing under us (the message is then retried). */
const ATTEMPTS = 5;


export function createSnapshotStore(table: TypedTable<typeof CrmSnapshot>): SnapshotStore {
  return {
    get: (ref) => table.get(keyPart(ref.entity), keyPart(ref.id)),
    async put(snapshot) {
      const keys = [keyPart(snapshot.ref.entity), keyPart(snapshot.ref.id)] as const;
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const stored = await table.getVersioned(...keys);
        if (stored !== null && takenBefore(snapshot, stored.value)) return 'kept-newer';
        const written = stored === null ? await table.insert(...keys, snapshot) : await table.replaceIfUnchanged(...keys, snapshot, stored.etag);
        if (written) return 'written';
      }
      throw new DeleteSyncError('DS_ERR_STORAGE_UNAVAILABLE', `snapshot ${snapshot.ref.entity}/${snapshot.ref.id} kept changing while it was written`);
    },
  };
}
