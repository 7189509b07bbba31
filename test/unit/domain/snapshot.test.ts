import { describe, expect, it } from 'vitest';
import type { CrmSnapshot } from '../../../src/domain/event.js';
import { mergeNewest, takenBefore } from '../../../src/domain/snapshot.js';

const snap = (takenAt: string | null, over: Partial<CrmSnapshot> = {}): CrmSnapshot => ({
  ref: { entity: 'appointment', id: 'a-1' },
  statecode: 0,
  scheduledStart: '2026-02-01T10:00:00.000Z',
  owner: { entity: 'systemuser', id: 'u-1' },
  organizer: null,
  requiredAttendees: [],
  optionalAttendees: [],
  globalObjectId: null,
  messageId: null,
  takenAt,
  ...over,
});

describe('snapshots arriving out of order', () => {
  it('takenBefore compares takenAt; unknown is never before', () => {
    expect(takenBefore(snap('2026-01-01T09:00:00Z'), snap('2026-01-01T10:00:00Z'))).toBe(true);
    expect(takenBefore(snap('2026-01-01T10:00:00Z'), snap('2026-01-01T10:00:00Z'))).toBe(false);
    expect(takenBefore(snap(null), snap('2026-01-01T10:00:00Z'))).toBe(false);
    expect(takenBefore(snap('2026-01-01T09:00:00Z'), snap(null))).toBe(false);
  });

  it('a late, older update does not override what a newer one stored; it only fills gaps', () => {
    const stored = snap('2026-01-01T10:00:00.000Z', { statecode: 1, owner: { entity: 'systemuser', id: 'u-2' }, globalObjectId: null });
    const late = snap('2026-01-01T09:00:00.000Z', { statecode: 0, globalObjectId: 'ABC' });
    expect(mergeNewest(stored, late)).toMatchObject({ statecode: 1, owner: { id: 'u-2' }, globalObjectId: 'ABC', takenAt: '2026-01-01T10:00:00.000Z' });
    // In order, the incoming one wins as before.
    expect(mergeNewest(late, stored)).toMatchObject({ statecode: 1, owner: { id: 'u-2' } });
  });
});
