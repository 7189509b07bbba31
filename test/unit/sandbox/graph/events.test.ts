import { beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../../sandbox/index.js';
import type { EventInput } from '../../../../sandbox/graph/schemas.js';
import { useSandbox } from './client.js';

const env = useSandbox();
let alice: DirectoryUser;
let bob: DirectoryUser;
let carol: DirectoryUser;

beforeAll(async () => {
  alice = env.sandbox.directory.add({ displayName: 'Alice Organizer' });
  bob = env.sandbox.directory.add({ displayName: 'Bob Attendee' });
  carol = env.sandbox.directory.add({ displayName: 'Carol Attendee' });
});

const stamp = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name crmid";

function meeting(subject: string): EventInput & { attendees: NonNullable<EventInput['attendees']> } {
  return {
    subject,
    start: { dateTime: '2031-03-01T09:00:00', timeZone: 'UTC' },
    end: { dateTime: '2031-03-01T10:00:00', timeZone: 'UTC' },
    attendees: [{ emailAddress: { address: bob.mail } }, { emailAddress: { address: carol.mail }, type: 'optional' as const }, { emailAddress: { address: 'guest@fabrikam.test' } }],
  };
}

describe('Graph events', () => {
  it('puts a copy of a new meeting in each internal attendee mailbox with the same iCalUId and its own id', async () => {
    const created = await env.client.graph('POST', `/users/${alice.id}/events`, meeting('Quarterly review'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ isOrganizer: true, isCancelled: false, start: { dateTime: '2031-03-01T09:00:00.0000000', timeZone: 'UTC' } });
    const copies = env.sandbox.graph.meetingCopies(created.body.iCalUId);
    expect(copies.map((c) => c.userId).sort()).toEqual([alice.id, bob.id, carol.id].sort());
    expect(new Set(copies.map((c) => c.event.id)).size).toBe(3);
    const bobs = await env.client.graph('GET', `/users/${bob.userPrincipalName}/events?$filter=iCalUId eq '${created.body.iCalUId}'`);
    expect(bobs.body.value).toHaveLength(1);
    expect(bobs.body.value[0]).toMatchObject({ isOrganizer: false, organizer: { emailAddress: { address: alice.mail } } });
  });

  it("deleting the organizer's copy marks attendees' copies canceled; an attendee's delete touches only their copy", async () => {
    const first = env.sandbox.graph.createEvent(alice.id, meeting('To be deleted'));
    const deleted = await env.client.graph('DELETE', `/users/${alice.id}/events/${first.id}`);
    expect(deleted.status).toBe(204);
    const after = env.sandbox.graph.meetingCopies(first.iCalUId as string);
    expect(after.map((c) => c.userId).sort()).toEqual([bob.id, carol.id].sort());
    expect(after.every((c) => c.event.isCancelled === true && String(c.event.subject).startsWith('Canceled: '))).toBe(true);

    const second = env.sandbox.graph.createEvent(alice.id, meeting('Attendee leaves'));
    const bobsCopy = env.sandbox.graph.meetingCopies(second.iCalUId as string).find((c) => c.userId === bob.id)!.event;
    expect(env.sandbox.graph.userDeletesItem(bob.id, 'event', bobsCopy.id as string)).toBe(true);
    const rest = env.sandbox.graph.meetingCopies(second.iCalUId as string);
    expect(rest).toHaveLength(2);
    expect(rest.every((c) => c.event.isCancelled === false)).toBe(true);
    expect(env.sandbox.deleteLog.entries({ id: bobsCopy.id as string })).toEqual([expect.objectContaining({ via: 'user', caller: `user:${bob.id}`, status: 204 })]);
  });

  it('answers 404 ErrorItemNotFound for a missing item and logs the attempt', async () => {
    const event = env.sandbox.graph.createEvent(alice.id, meeting('Gone twice'));
    await env.client.graph('DELETE', `/users/${alice.id}/events/${event.id}`);
    const again = await env.client.graph('DELETE', `/users/${alice.id}/events/${event.id}`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('ErrorItemNotFound');
    expect(env.sandbox.deleteLog.entries({ id: event.id as string }).map((r) => r.status)).toEqual([204, 404]);
    expect(env.sandbox.deleteLog.deletedTwice()).toEqual([]);
  });

  it('lets only the organizer cancel (attendee gets 400); cancel removes the organizer copy and cancels the others', async () => {
    const event = env.sandbox.graph.createEvent(alice.id, meeting('Cancel me'));
    const bobsCopy = env.sandbox.graph.meetingCopies(event.iCalUId as string).find((c) => c.userId === bob.id)!.event;
    const refused = await env.client.graph('POST', `/users/${bob.id}/events/${bobsCopy.id}/cancel`, { comment: 'no' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('You need to be an organizer to cancel a meeting.');
    const accepted = await env.client.graph('POST', `/users/${alice.id}/events/${event.id}/cancel`, { comment: 'Sorry' });
    expect(accepted.status).toBe(202);
    const left = env.sandbox.graph.meetingCopies(event.iCalUId as string);
    expect(left.map((c) => c.userId).sort()).toEqual([bob.id, carol.id].sort());
    expect(left.every((c) => c.event.isCancelled)).toBe(true);
  });

  it('stores extended properties, returns them only when expanded, and finds items by them', async () => {
    const created = await env.client.graph('POST', `/users/${alice.id}/events`, { ...meeting('Tracked'), attendees: [], singleValueExtendedProperties: [{ id: stamp, value: 'crm-123' }] });
    const plain = await env.client.graph('GET', `/users/${alice.id}/events/${created.body.id}`);
    expect(plain.body.singleValueExtendedProperties).toBeUndefined();
    const expanded = await env.client.graph('GET', `/users/${alice.id}/events/${created.body.id}?$expand=singleValueExtendedProperties($filter=id eq '${stamp}')`);
    expect(expanded.body.singleValueExtendedProperties).toEqual([{ id: stamp, value: 'crm-123' }]);
    const found = await env.client.graph('GET', `/users/${alice.id}/events?$filter=singleValueExtendedProperties/Any(ep: ep/id eq '${stamp}' and ep/value eq 'crm-123')`);
    expect(found.body.value.map((e: { id: string }) => e.id)).toEqual([created.body.id]);
  });

  it('rejects unknown properties and stale ETags like Graph, and changes the ETag on update', async () => {
    const unknown = await env.client.graph('POST', `/users/${alice.id}/events`, { ...meeting('x'), colour: 'red' });
    expect(unknown.status).toBe(400);
    const event = env.sandbox.graph.createEvent(alice.id, { ...meeting('ETag'), attendees: [] });
    const patched = await env.client.graph('PATCH', `/users/${alice.id}/events/${event.id}`, { subject: 'ETag 2' }, { 'if-match': event['@odata.etag'] as string });
    expect(patched.status).toBe(200);
    expect(patched.body['@odata.etag']).not.toBe(event['@odata.etag']);
    const stale = await env.client.graph('DELETE', `/users/${alice.id}/events/${event.id}`, undefined, { 'if-match': event['@odata.etag'] as string });
    expect(stale.status).toBe(412);
  });

  it('serves users by id or UPN, group members with paging, and /me is refused for app-only tokens', async () => {
    expect((await env.client.graph('GET', `/users/${bob.userPrincipalName}`)).body.id).toBe(bob.id);
    const group = env.sandbox.graph.addGroup('Sales', [alice.id, bob.id, carol.id]);
    const page1 = await env.client.graph('GET', `/groups/${group.id}/members?$top=2`);
    expect(page1.body.value).toHaveLength(2);
    const next = new URL(page1.body['@odata.nextLink']);
    const page2 = await env.client.graph('GET', `${next.pathname.replace(/^\/v1\.0/, '')}${next.search}`);
    expect(page2.body.value).toHaveLength(1);
    expect(page2.body['@odata.nextLink']).toBeUndefined();
    expect((await env.client.graph('GET', '/me/events')).status).toBe(400);
  });

  it('translates ids between REST and EWS forms', async () => {
    const event = env.sandbox.graph.createEvent(alice.id, { ...meeting('Ids'), attendees: [] });
    const ews = await env.client.graph('POST', `/users/${alice.id}/translateExchangeIds`, { inputIds: [event.id], sourceIdType: 'restId', targetIdType: 'ewsId' });
    const back = await env.client.graph('POST', `/users/${alice.id}/translateExchangeIds`, { inputIds: [ews.body.value[0].targetId], sourceIdType: 'ewsId', targetIdType: 'restImmutableEntryId' });
    expect(back.body.value[0].targetId).toBe(event.id);
  });
});
