/**
 * Backfill of links for items that already exist: interrupted after a few items, resumed from the stored
 * cursor without reading an item twice, and a rerun after completion is a fresh pass that writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_NAMESPACE, pendingBackfillUsers, type BackfillProgress } from '../../../src/links/backfill.js';
import { CRM_ID_PROPERTY_ID } from '../../../src/links/crm-id-property.js';
import { meetingAt, startHarness, type Harness } from './harness.js';

let h: Harness;
const appointments: string[] = [];
const contacts: string[] = [];
let total = 0;

beforeAll(async () => {
  h = await startHarness(['Bea Backfill']);
  const [bea] = h.users;
  for (let i = 0; i < 7; i++) {
    const meeting = h.sandbox.graph.createEvent(bea!.id, { subject: `Meeting ${i}`, ...meetingAt(h.now(), i + 1) });
    const start = Date.parse(`${(meeting.start as { dateTime: string }).dateTime}Z`);
    appointments.push(
      await h.sandbox.dataverse.createAppointment({
        subject: `Meeting ${i}`,
        start,
        end: start + 3_600_000,
        organizer: { logicalName: 'systemuser', id: bea!.systemUserId },
        globalobjectid: meeting.iCalUId as string,
      }),
    );
  }
  for (let i = 0; i < 3; i++) {
    const id = await h.sandbox.dataverse.createContact({ lastname: `Contact ${i}`, ownerId: bea!.systemUserId });
    contacts.push(id);
    h.sandbox.graph.createContact(bea!.id, { displayName: `Contact ${i}`, singleValueExtendedProperties: [{ id: CRM_ID_PROPERTY_ID, value: id }] });
  }
  h.sandbox.graph.createContact(bea!.id, { displayName: 'Private contact' });
  h.sandbox.graph.createMessage(bea!.id, { subject: 'Newsletter', internetMessageId: '<news@example.test>' });
  total = ['event', 'contact', 'message'].reduce((n, kind) => n + h.sandbox.graph.items(bea!.id, kind as 'event').length, 0);
});
afterAll(async () => h?.close());

describe('backfill', () => {
  it('stops after N items and resumes from the stored cursor without reading an item twice', async () => {
    const progress: BackfillProgress[] = [];
    const first = await h.sync().backfill({ maxItems: 4, onProgress: (p) => progress.push(p) });
    expect(first).toMatchObject({ processed: 4, linked: 4, complete: false, resumed: false });
    expect(progress.at(-1)).toMatchObject({ processed: 4, linked: 4, scopesDone: 0, scopesTotal: 3 });
    expect(await pendingBackfillUsers(h.store)).toEqual([h.users[0]!.id.toLowerCase()]);

    const second = await h.sync().backfill({});
    expect(second).toMatchObject({ resumed: true, complete: true, scopesDone: 3 });
    expect(first.processed + second.processed).toBe(total);
    expect(first.linked + second.linked).toBe(10);
    expect(second.unchanged).toBe(0);
    expect(first.unmatched + second.unmatched).toBe(total - 10);
    for (const id of appointments) {
      expect(await h.store.links.listByRecord({ entity: 'appointment', id })).toMatchObject([{ role: 'organizer', source: 'backfill' }]);
    }
    for (const id of contacts) expect(await h.store.links.listByRecord({ entity: 'contact', id })).toHaveLength(1);
    expect(await h.store.state.list(BACKFILL_NAMESPACE)).toEqual([]);
    expect(await pendingBackfillUsers(h.store)).toEqual([]);
  });

  it('a rerun after completion is a fresh pass that finds every link already there', async () => {
    const again = await h.sync().backfill({});
    expect(again).toMatchObject({ processed: total, linked: 0, unchanged: 10, resumed: false, complete: true });
  });
});
