/**
 * A meeting too large for Dataverse's webhooks: with a few hundred attendees every Create, Update and
 * Delete body passes 256 KB, so Dataverse strips its Target and images. The service reads the record
 * through the Web API when its Create arrives, so the stripped Delete still finds the meeting's last
 * state and every attendee's copy is deleted — no ghost meeting left in the calendars.
 */
import { describe, expect, it } from 'vitest';
import { trackedMeeting } from '../../demo/tracked.js';
import { crmRecordKey } from '../../src/store/decisions.js';
import { useWorld } from '../helpers/e2e-world.js';

const world = useWorld();

/** About 700 bytes of webhook body each: 400 take the Create and the Delete past 256 KB. */
const GUESTS = Array.from({ length: 400 }, (_, i) => `guest${i}@partners.example`);

describe('a meeting whose webhooks are all size-exceeded', () => {
  it('a CRM delete of the future meeting still deletes every attendee’s copy', async () => {
    const w = world();
    const { olga, alice, bob } = w.users;
    const meeting = await trackedMeeting(w, 'Partner summit', { organizer: olga, attendees: [alice, bob], guests: GUESTS, startInDays: 6 });
    const [create] = w.sb.dataverse.deliveries({ message: 'Create', recordId: meeting.ref.id });
    expect(create?.sizeExceeded).toBe(true);
    const stored = await w.store.snapshots.get(meeting.ref);
    expect(stored?.organizer?.id).toBe(olga.systemUserId.toLowerCase());
    expect(stored?.requiredAttendees).toHaveLength(GUESTS.length + 2);

    await w.sb.dataverse.userDeletes(olga.systemUserId, 'appointment', meeting.ref.id);
    await w.quiesce();

    const [deleteWebhook] = w.sb.dataverse.deliveries({ message: 'Delete', recordId: meeting.ref.id });
    expect(deleteWebhook?.sizeExceeded).toBe(true);
    for (const copy of Object.values(meeting.copies)) expect(w.sb.graph.item(copy.user.id, 'event', copy.itemId)).toBeUndefined();
    const [decision] = (await w.store.decisions.listByRecord(crmRecordKey(meeting.ref), 10)).filter((d) => d.input?.change === 'deleted');
    expect(decision?.input?.crm).toMatchObject({ sizeExceeded: true, preImageMissing: true });
    expect([decision?.ruleId, decision?.status]).toEqual(['crm.appointment.active.future', 'executed']);
    expect(decision?.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done']);
    expect(w.sb.deleteLog.deletedTwice()).toEqual([]);
    expect(await w.poisoned()).toBe(0);
  });
});
