/**
 * Graph refusing for longer than one execution may wait: the deletes stay pending, the queue message is
 * delivered again, and after the last attempt it goes to the poison queue with a record saying so.
 * Nothing is deleted meanwhile.
 */
import { describe, expect, it } from 'vitest';
import { trackedMeeting } from '../../demo/tracked.js';
import { crmRecordKey } from '../../src/store/decisions.js';
import { useWorld } from '../helpers/e2e-world.js';

const world = useWorld({ env: { MAX_DEQUEUE_COUNT: '2' } });

describe('Graph throttling past the execution budget', () => {
  it('retries the message, then poisons it with a record; no mailbox item is touched', async () => {
    const w = world();
    const { olga, alice } = w.users;
    const meeting = await trackedMeeting(w, 'Throttled review', { organizer: olga, attendees: [alice], startInDays: 2 });
    const graphDeletes = () => w.sb.deleteLog.entries({ side: 'graph', via: 'api' }).length;
    const before = graphDeletes();

    // Every Graph call answered 429 with a Retry-After far beyond the execution budget.
    w.sb.faults.set('graph', { throttleRate: 1, retryAfterSeconds: 3600 });
    try {
      await w.sb.dataverse.userDeletes(olga.systemUserId, 'appointment', meeting.ref.id);
      await w.quiesce(30_000);
    } finally {
      w.sb.faults.set('graph', { throttleRate: 0, retryAfterSeconds: 0 });
    }

    expect(await w.poisoned()).toBe(1);
    expect(graphDeletes()).toBe(before);
    for (const copy of Object.values(meeting.copies)) expect(w.sb.graph.item(copy.user.id, 'event', copy.itemId)).toBeDefined();
    const records = await w.store.decisions.listByRecord(crmRecordKey(meeting.ref), 20);
    const crmDelete = records.filter((r) => r.input?.origin === 'crm' && r.input.change === 'deleted');
    expect(crmDelete.map((r) => r.status)).toContain('poisoned');
  });
});
