/**
 * The link index learned from every source: Graph created notifications (CRM-id stamp, internetMessageId),
 * a CRM Update (meeting found by iCalUId in the parties' mailboxes), the exchangesyncidmappings import
 * (entry ids translated by Graph), and the admin API. Plus To Do deletes found by polling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEvent } from '../../../src/pipeline/processor.js';
import { CRM_ID_PROPERTY_ID } from '../../../src/links/crm-id-property.js';
import { TEST_ADMIN_KEY } from '../../helpers/store.js';
import { crmAppointmentFor, crmAppointmentUpdate, outlookMeeting, startHarness, type Harness } from './harness.js';

let h: Harness;
let existingContact: { itemId: string; crmId: string };
beforeAll(async () => {
  h = await startHarness(['Lena Linker', 'Max Member']);
  const [, max] = h.users;
  // Tracked before the mailbox joined the synced set.
  const crmId = await h.sandbox.dataverse.createContact({ lastname: 'Existing', ownerId: max!.systemUserId });
  const contact = h.sandbox.graph.createContact(max!.id, { displayName: 'Existing', singleValueExtendedProperties: [{ id: CRM_ID_PROPERTY_ID, value: crmId }] });
  existingContact = { itemId: contact.id as string, crmId };
  await h.sync().checkSubscriptions();
});
afterAll(async () => h?.close());

describe('a mailbox new to the synced set', () => {
  it('is subscribed and its existing tracked items are linked by the same run', async () => {
    const [, max] = h.users;
    expect(h.sandbox.graph.listSubscriptions().filter((s) => s.mailboxId === max!.id)).toHaveLength(3);
    expect(await h.store.links.getByItem(max!.id, existingContact.itemId)).toMatchObject({
      crm: { entity: 'contact', id: existingContact.crmId },
      source: 'backfill',
    });
  });
});

describe('links learned from Graph notifications', () => {
  it('links a contact by the CRM-id stamp and an e-mail by internetMessageId', async () => {
    const [lena] = h.users;
    const crmContact = await h.sandbox.dataverse.createContact({ lastname: 'Stamped', ownerId: lena!.systemUserId });
    const contact = h.sandbox.graph.createContact(lena!.id, {
      displayName: 'Stamped Contact',
      singleValueExtendedProperties: [{ id: CRM_ID_PROPERTY_ID, value: `{${crmContact.toUpperCase()}}` }],
    });
    const messageId = '<pricing-4711@contoso.test>';
    const crmEmail = await h.sandbox.dataverse.createEmail({
      subject: 'Pricing',
      ownerId: lena!.systemUserId,
      messageid: messageId,
      from: { logicalName: 'systemuser', id: lena!.systemUserId },
      to: [{ address: 'buyer@fabrikam.test' }],
    });
    const message = h.sandbox.graph.createMessage(lena!.id, { subject: 'Pricing', internetMessageId: messageId });
    const unrelated = h.sandbox.graph.createContact(lena!.id, { displayName: 'Nobody in CRM' });
    await h.drain();

    expect(await h.store.links.getByItem(lena!.id, contact.id as string)).toMatchObject({
      crm: { entity: 'contact', id: crmContact },
      itemKind: 'contact',
      source: 'notification',
      crmUserId: lena!.systemUserId.toLowerCase(),
    });
    expect(await h.store.links.getByItem(lena!.id, message.id as string)).toMatchObject({ crm: { entity: 'email', id: crmEmail }, itemKind: 'message' });
    expect(await h.store.links.getByItem(lena!.id, unrelated.id as string)).toBeNull();
    expect(await h.store.links.listByRecord({ entity: 'contact', id: crmContact })).toHaveLength(1);
  });
});

describe('links learned from a CRM Update', () => {
  it('finds the meeting by iCalUId in the organizer’s and attendees’ mailboxes', async () => {
    const [lena, max] = h.users;
    // The meeting exists in Outlook before CRM knows it (so the notifications link nothing yet).
    const { iCalUId, start } = outlookMeeting(h, lena!, max!, 'Roadmap', 2);
    await h.drain();
    // Captured as base64 (Exchange ActiveSync's form): the iCalUId is its hex.
    const globalObjectId = Buffer.from(iCalUId, 'hex').toString('base64');
    const appointmentId = await crmAppointmentFor(h, { start, subject: 'Roadmap', organizer: lena!, attendee: max!, globalObjectId, statecode: 0 });
    const event = crmAppointmentUpdate({ id: appointmentId, organizer: lena!.systemUserId, attendee: max!.systemUserId, start, globalObjectId, statecode: 0, at: h.now() });
    await processEvent(event, h.processing);
    const links = await h.store.links.listByRecord({ entity: 'appointment', id: appointmentId });
    expect(links.map((l) => [l.userId, l.role]).sort()).toEqual([
      [lena!.id, 'organizer'],
      [max!.id, 'attendee'],
    ].sort());
    expect(links.every((l) => l.source === 'webhook')).toBe(true);
    expect(await h.store.snapshots.get({ entity: 'appointment', id: appointmentId })).toMatchObject({ statecode: 0 });
  });
});

describe('links imported from exchangesyncidmappings', () => {
  it('refuses with one coded error, linking nothing, while exchangeentryid has no documented format', async () => {
    const [, max] = h.users;
    const contact = h.sandbox.graph.createContact(max!.id, { displayName: 'Synced By SSS' });
    await h.drain();
    const crmContact = await h.sandbox.dataverse.createContact({ lastname: 'Synced', ownerId: max!.systemUserId });
    await h.sandbox.dataverse.linkExchangeItem(max!.systemUserId, { logicalName: 'contact', id: crmContact }, Buffer.from(contact.id as string).toString('base64url'));

    const refusal = await h.sync().importMappings().catch((e: unknown) => e);
    expect(refusal).toMatchObject({ code: 'DS_ERR_UNSUPPORTED_LINK_SOURCE', message: expect.stringContaining('1 tracked rows (1 contact)') });
    expect(await h.store.links.getByItem(max!.id, contact.id as string)).toBeNull();
  });
});

describe('links from the admin API', () => {
  const link = (userId: string, itemId: string) => ({
    crm: { entity: 'task', id: '5f3c2b1a-0000-4000-8000-000000000001' },
    userId,
    itemKind: 'todoTask',
    itemId,
    listId: 'list-1',
    role: 'owner',
  });

  it('PUT stores a link, DELETE removes it, both only with the admin key', async () => {
    const [lena] = h.users;
    const put = (key: string, body: unknown) =>
      h.server.inject({ method: 'PUT', url: '/api/links', headers: { 'content-type': 'application/json', 'x-admin-key': key }, payload: JSON.stringify(body) });
    expect((await put('wrong-key-0123456789', link(lena!.id, 'task-a'))).statusCode).toBe(401);
    const stored = await put(TEST_ADMIN_KEY, link(lena!.id, 'task-a'));
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toMatchObject({ result: 'linked', link: { source: 'api', role: 'owner', listId: 'list-1' } });
    expect((await put(TEST_ADMIN_KEY, link(lena!.id, 'task-a'))).json()).toMatchObject({ result: 'unchanged' });
    const bad = await put(TEST_ADMIN_KEY, { ...link(lena!.id, 'task-b'), listId: undefined });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'listId' });

    const remove = (itemId: string) =>
      h.server.inject({ method: 'DELETE', url: `/api/links?userId=${lena!.id}&itemId=${itemId}`, headers: { 'x-admin-key': TEST_ADMIN_KEY } });
    expect((await remove('task-a')).statusCode).toBe(204);
    expect((await remove('task-a')).statusCode).toBe(404);
    expect(await h.store.links.getByItem(lena!.id, 'task-a')).toBeNull();
  });
});

describe('To Do polling', () => {
  it('finds a task deleted in To Do on the next poll and processes it to a decision', async () => {
    const [lena, max] = h.users;
    const baseline = await h.sync().pollTodo();
    expect(baseline.map((r) => [r.lists, r.baselines, r.error])).toEqual([
      [1, 1, null],
      [1, 1, null],
    ]);
    const list = h.sandbox.graph.defaultTodoList(lena!.id);
    const task = h.sandbox.graph.createTask(lena!.id, { title: 'Send the offer' });
    const crmTask = await h.sandbox.dataverse.createTask({ subject: 'Send the offer', ownerId: lena!.systemUserId });
    const put = await h.server.inject({
      method: 'PUT',
      url: '/api/links',
      headers: { 'content-type': 'application/json', 'x-admin-key': TEST_ADMIN_KEY },
      payload: JSON.stringify({ crm: { entity: 'task', id: crmTask }, userId: lena!.id, itemKind: 'todoTask', itemId: task.id, listId: list.id, role: 'owner', crmUserId: lena!.systemUserId }),
    });
    expect(put.statusCode).toBe(200);
    expect((await h.sync().pollTodo()).map((r) => r.removed)).toEqual([0, 0]);

    expect(h.sandbox.graph.userDeletesItem(lena!.id, 'todoTask', task.id as string)).toBe(true);
    const polled = await h.sync().pollTodo();
    expect(polled.find((r) => r.userId === lena!.id)).toMatchObject({ removed: 1, enqueued: 1, error: null });
    expect(polled.find((r) => r.userId === max!.id)).toMatchObject({ removed: 0 });
    await h.drain();
    const decision = await h.store.decisions.getByEvent(`outlook-deleted:${lena!.id.toLowerCase()}:todoTask:${task.id as string}`);
    expect(decision?.input?.outlook).toMatchObject({ itemKind: 'todoTask', itemId: task.id });
    expect(decision?.facts?.crmRef).toMatchObject({ entity: 'task', id: crmTask });
    // The delta link moved on: the same delete is not found twice.
    expect((await h.sync().pollTodo()).map((r) => r.removed)).toEqual([0, 0]);
  });
});
