/**
 * A meeting with 2,000 attendees, each a CRM user with a mailbox: its Create and Delete webhooks pass
 * 256 KB (Dataverse strips them), its snapshot holds 2,000 parties, its decision record is larger than
 * one table entity, and its delete fans out to 2,001 mailboxes. The Delete must be accepted (202),
 * decided and executed once, and every copy deleted — nothing lost to a message or row size limit.
 */
import { describe, expect, it } from 'vitest';
import type { Link } from '../../src/domain/link.js';
import { mapLimit } from '../../src/net/map-limit.js';
import { crmRecordKey } from '../../src/store/decisions.js';
import { useWorld } from '../helpers/e2e-world.js';

const world = useWorld();
const ATTENDEES = 2000;

describe('a 2,000-attendee meeting', () => {
  it('deleted in CRM: the webhook is accepted, one decision is executed, every attendee’s copy is deleted', { timeout: 480_000 }, async () => {
    const w = world();
    const { olga } = w.users;
    const attendees = Array.from({ length: ATTENDEES }, (_, i) => w.sb.directory.add({ displayName: `Attendee ${i}` }));
    const start = Date.now() + 5 * 86_400_000;
    const slot = (ms: number) => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });
    const event = w.sb.graph.createEvent(olga.id, {
      subject: 'All hands',
      start: slot(start),
      end: slot(start + 3_600_000),
      attendees: attendees.map((a) => ({ emailAddress: { address: a.mail, name: a.displayName }, type: 'required' as const })),
    });
    const iCalUId = String(event.iCalUId);
    const copies = w.sb.graph.meetingCopies(iCalUId);
    expect(copies).toHaveLength(ATTENDEES + 1);
    const id = await w.sb.dataverse.createAppointment({
      subject: 'All hands',
      start,
      end: start + 3_600_000,
      statecode: 3,
      organizer: { logicalName: 'systemuser', id: olga.systemUserId },
      requiredAttendees: attendees.map((a) => ({ logicalName: 'systemuser', id: a.systemUserId })),
      // No globalobjectid: the Create is not to search 2,001 mailboxes for the meeting one after another
      // (link learning's business); the copies are linked below as the link import leaves them.
    });
    const ref = { entity: 'appointment', id };
    // Creating 2,001 copies in the in-process sandbox holds the event loop for seconds: let the storage
    // sockets Azurite closed meanwhile be seen as closed before the store reuses them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The links as the link import leaves them: one per mailbox copy.
    const users = new Map([olga, ...attendees].map((u) => [u.id, u]));
    const now = new Date().toISOString();
    await mapLimit(copies, 32, (copy) => {
      const user = users.get(copy.userId)!;
      const link: Link = { crm: ref, userId: user.id, crmUserId: user.systemUserId, itemKind: 'event', itemId: String(copy.event.id), role: user === olga ? 'organizer' : 'attendee', listId: null, source: 'import', updatedAt: now };
      return w.store.links.put(link);
    });
    await w.quiesce(60_000);
    expect((await w.store.snapshots.get(ref))?.requiredAttendees).toHaveLength(ATTENDEES);

    await w.sb.dataverse.userDeletes(olga.systemUserId, 'appointment', id);
    await w.quiesce(400_000);

    const [delivery] = w.sb.dataverse.deliveries({ message: 'Delete', recordId: id });
    expect(delivery?.sizeExceeded).toBe(true);
    expect(delivery?.attempts.map((a) => a.status)).toEqual([202]);
    const decisions = (await w.store.decisions.listByRecord(crmRecordKey(ref), 10)).filter((d) => d.input?.change === 'deleted');
    expect(decisions).toHaveLength(1);
    const [decision] = decisions;
    expect([decision?.ruleId, decision?.status, decision?.targets.length]).toEqual(['crm.appointment.active.future', 'executed', ATTENDEES + 1]);
    // Every copy gone: deleted now, or already gone (404) when the organizer's cancellation got there first.
    expect(decision?.outcomes.filter((o) => o.status !== 'done' && o.status !== 'already-gone')).toEqual([]);
    expect(decision?.outcomes).toHaveLength(ATTENDEES + 1);
    expect(w.sb.graph.meetingCopies(iCalUId)).toEqual([]);
    expect(w.sb.deleteLog.deletedTwice()).toEqual([]);
    expect(await w.poisoned()).toBe(0);
  });
});
