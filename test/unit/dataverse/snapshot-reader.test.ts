import { describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../sandbox/index.js';
import { readSnapshot } from '../../../src/dataverse/snapshot-reader.js';
import { useSandboxClients } from '../../helpers/sandbox-clients.js';

const sandbox = useSandboxClients({ alice: 'Alice Organizer', bob: 'Bob Attendee' }, ['alice']);

const user = (u: DirectoryUser) => ({ logicalName: 'systemuser', id: u.systemUserId });
const party = (role: string, type: string, id: string | null, address: string | null = null) => ({ role, type, id, address });

describe('readSnapshot', () => {
  it('reads an appointment: state, start, owner, Outlook id and every party, in the webhook normaliser’s shape', async () => {
    const s = sandbox();
    const { alice, bob } = s.users;
    const start = Date.UTC(2031, 4, 6, 9, 30);
    const contact = await s.sandbox.dataverse.createContact({ firstname: 'Carla', lastname: 'Guest', emailaddress1: 'carla@fabrikam.test', ownerId: alice.systemUserId });
    const id = await s.sandbox.dataverse.createAppointment({
      subject: 'All hands',
      start,
      end: start + 3_600_000,
      organizer: user(alice),
      requiredAttendees: [user(bob), { address: 'outside@contoso.test' }],
      optionalAttendees: [{ logicalName: 'contact', id: contact }],
      globalobjectid: 'ical-uid-all-hands',
    });

    // An upper-case id (as some captures spell them) reads the same record and comes back lower-case.
    const snapshot = await readSnapshot(s.dataverse, { entity: 'appointment', id: id.toUpperCase() });

    // The Web API writes dates to the second.
    const modifiedOn = new Date(Math.floor((s.sandbox.dataverse.get('appointment', id)!.modifiedon as number) / 1000) * 1000).toISOString();
    expect(snapshot).toEqual({
      ref: { entity: 'appointment', id: id.toLowerCase() },
      statecode: 3,
      scheduledStart: '2031-05-06T09:30:00.000Z',
      owner: { entity: 'systemuser', id: alice.systemUserId.toLowerCase() },
      organizer: party('organizer', 'systemuser', alice.systemUserId.toLowerCase(), alice.mail),
      requiredAttendees: expect.arrayContaining([party('required', 'systemuser', bob.systemUserId.toLowerCase(), bob.mail), party('required', 'unresolved', null, 'outside@contoso.test')]),
      optionalAttendees: [party('optional', 'contact', contact.toLowerCase())],
      globalObjectId: 'ical-uid-all-hands',
      messageId: null,
      takenAt: modifiedOn,
    });
    expect(snapshot?.requiredAttendees).toHaveLength(2);
  });

  it('reads an e-mail’s messageid and owner; e-mail snapshots carry no parties', async () => {
    const s = sandbox();
    const { alice, bob } = s.users;
    const id = await s.sandbox.dataverse.createEmail({ subject: 'Offer', ownerId: bob.systemUserId, messageid: '<offer@contoso.test>', statecode: 1, from: user(bob), to: [user(alice)] });
    const snapshot = await readSnapshot(s.dataverse, { entity: 'email', id });
    expect(snapshot).toMatchObject({
      ref: { entity: 'email', id },
      statecode: 1,
      scheduledStart: null,
      owner: { entity: 'systemuser', id: bob.systemUserId.toLowerCase() },
      organizer: null,
      requiredAttendees: [],
      optionalAttendees: [],
      messageId: '<offer@contoso.test>',
    });
  });

  it('answers null for a record that no longer exists', async () => {
    const s = sandbox();
    const { alice } = s.users;
    const id = await s.sandbox.dataverse.createTask({ subject: 'Call back', ownerId: alice.systemUserId });
    await s.sandbox.dataverse.userDeletes(alice.systemUserId, 'task', id);
    expect(await readSnapshot(s.dataverse, { entity: 'task', id })).toBeNull();
  });

  it('answers null without a request for a table the service does not track', async () => {
    const s = sandbox();
    const { alice } = s.users;
    // A request would meet the injected fault and throw.
    s.sandbox.faults.inject('dataverse', { kind: 'serverError', status: 400 });
    expect(await readSnapshot(s.dataverse, { entity: 'systemuser', id: alice.systemUserId })).toBeNull();
  });

  it('throws a Dataverse failure instead of answering as if the record were gone', async () => {
    const s = sandbox();
    const { alice } = s.users;
    const id = await s.sandbox.dataverse.createTask({ subject: 'Follow up', ownerId: alice.systemUserId });
    s.sandbox.faults.inject('dataverse', { kind: 'serverError', status: 400 });
    await expect(readSnapshot(s.dataverse, { entity: 'task', id })).rejects.toMatchObject({ code: 'DS_ERR_UPSTREAM', httpStatus: 400 });
    expect(await readSnapshot(s.dataverse, { entity: 'task', id })).toMatchObject({ ref: { entity: 'task', id }, statecode: 0 });
  });
});
