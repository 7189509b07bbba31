import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import type { DirectoryUser } from '../../../sandbox/index.js';
import { DataverseClient, DataverseError, requestUrl } from '../../../src/dataverse/client.js';
import { CUSTOM_EVENT_ATTRIBUTE, EVENT_NAMES, METRIC_NAMES } from '../../../src/telemetry/index.js';
import { startSandboxClients, type SandboxClients } from '../graph/sandbox-clients.js';
import { counterValue, inMemorySinks } from '../telemetry/inMemorySinks.js';

let s: SandboxClients;
let alice: DirectoryUser;
let bob: DirectoryUser;
let appUser: DirectoryUser;
// Stand-ins for the global providers useAzureMonitor registers, set before anything records.
const sinks = inMemorySinks();

beforeAll(async () => {
  logs.setGlobalLoggerProvider(sinks.loggerProvider);
  metrics.setGlobalMeterProvider(sinks.meterProvider);
  s = await startSandboxClients();
  alice = s.sandbox.directory.add({ displayName: 'Alice Organizer', canDelete: true });
  bob = s.sandbox.directory.add({ displayName: 'Bob Attendee', canDelete: false });
  appUser = s.sandbox.directory.all().find((u) => u.isApplicationUser)!;
});

afterEach(() => s.sandbox.faults.reset());

afterAll(async () => {
  await Promise.all([s.sandbox.close(), sinks.shutdown()]);
});

async function meeting(): Promise<string> {
  const start = Date.now() + 86_400_000;
  return s.sandbox.dataverse.createAppointment({
    subject: 'Review',
    start,
    end: start + 1_800_000,
    organizer: { logicalName: 'systemuser', id: alice.systemUserId },
    requiredAttendees: [{ logicalName: 'systemuser', id: bob.systemUserId }],
  });
}

describe('deleteAs (CallerObjectId impersonation)', () => {
  it('deletes as a user who holds Delete, and answers already-gone the second time', async () => {
    const id = await meeting();
    expect(await s.dataverse.deleteAs({ entity: 'appointment', id }, alice.id)).toEqual({ status: 'deleted' });
    expect(s.sandbox.dataverse.exists('appointment', id)).toBe(false);
    expect(s.sandbox.deleteLog.entries({ id, status: 204 })).toEqual([expect.objectContaining({ caller: `user:${alice.id}`, via: 'api' })]);
    expect(await s.dataverse.deleteAs({ entity: 'appointment', id }, alice.id)).toEqual({ status: 'already-gone' });
  });

  it('turns 403 0x80040220 for a user without Delete into a refusal of that user, and leaves the record', async () => {
    const id = await meeting();
    const result = await s.dataverse.deleteAs({ entity: 'appointment', id }, bob.id);
    expect(result).toMatchObject({ status: 'refused', refusal: 'user-lacks-privilege', code: '0x80040220' });
    expect(s.sandbox.dataverse.exists('appointment', id)).toBe(true);
  });

  it('tells a Delete depth that does not reach the record (0x80048306) from a missing privilege', async () => {
    const carol = s.sandbox.directory.add({ displayName: 'Carol User Depth', canDelete: true });
    s.sandbox.dataverse.security.set(carol.systemUserId, 'prvDeleteActivity', { depth: 'Basic', via: 'role' });
    const id = await meeting();
    expect(await s.dataverse.deleteAs({ entity: 'appointment', id }, carol.id)).toMatchObject({ status: 'refused', refusal: 'user-lacks-record-access', code: '0x80048306' });
    expect(s.sandbox.dataverse.exists('appointment', id)).toBe(true);
    // Her own appointment is within her User depth.
    const own = await s.sandbox.dataverse.createAppointment({ subject: 'Own', start: Date.now() + 3_600_000, end: Date.now() + 7_200_000, organizer: { logicalName: 'systemuser', id: carol.systemUserId } });
    expect(await s.dataverse.deleteAs({ entity: 'appointment', id: own }, carol.id)).toEqual({ status: 'deleted' });
  });

  describe('when the application user itself is short', () => {
    afterEach(() => {
      s.sandbox.dataverse.security.set(appUser.systemUserId, 'prvDeleteActivity', { depth: 'Global', via: 'role' });
      s.sandbox.dataverse.security.set(appUser.systemUserId, 'prvActOnBehalfOfAnotherUser', { depth: 'Global', via: 'role' });
    });

    it('applies the intersection: a user holding Delete is refused when the application user lacks it, and the refusal says whose it is', async () => {
      s.sandbox.dataverse.security.set(appUser.systemUserId, 'prvDeleteActivity', null);
      const id = await meeting();
      const result = await s.dataverse.deleteAs({ entity: 'appointment', id }, alice.id);
      expect(result).toMatchObject({ status: 'refused', refusal: 'app-lacks-delete', code: '0x80040220' });
      // The message names Alice, not the application user: only RetrievePrincipalAccess tells them apart.
      expect((result as { message: string }).message).toContain(alice.systemUserId);
      expect(s.sandbox.dataverse.exists('appointment', id)).toBe(true);
    });

    it('treats an application user whose Delete depth is User as an operator problem too', async () => {
      s.sandbox.dataverse.security.set(appUser.systemUserId, 'prvDeleteActivity', { depth: 'Basic', via: 'role' });
      const id = await meeting();
      expect(await s.dataverse.deleteAs({ entity: 'appointment', id }, alice.id)).toMatchObject({ status: 'refused', refusal: 'app-lacks-delete', code: '0x80048306' });
    });

    it('reports an application user whose prvActOnBehalfOfAnotherUser comes only through a team as unable to impersonate', async () => {
      s.sandbox.dataverse.security.set(appUser.systemUserId, 'prvActOnBehalfOfAnotherUser', { depth: 'Global', via: 'team' });
      const id = await meeting();
      expect(await s.dataverse.deleteAs({ entity: 'appointment', id }, alice.id)).toMatchObject({ status: 'refused', refusal: 'app-cannot-impersonate', code: '0x80040220' });
      expect(s.sandbox.dataverse.exists('appointment', id)).toBe(true);
    });
  });
});

describe('access checks and users', () => {
  it('reads access rights with RetrievePrincipalAccess', async () => {
    const id = await meeting();
    expect(await s.dataverse.retrievePrincipalAccess(alice.systemUserId, { entity: 'appointment', id })).toContain('DeleteAccess');
    expect(await s.dataverse.retrievePrincipalAccess(bob.systemUserId, { entity: 'appointment', id })).not.toContain('DeleteAccess');
  });

  it('finds its own systemuser with WhoAmI and lists its privileges with RetrieveUserPrivileges', async () => {
    const me = await s.dataverse.whoAmI();
    expect(me).toBe(appUser.systemUserId);
    const privileges = await s.dataverse.retrieveUserPrivileges(me);
    expect(privileges).toEqual(expect.arrayContaining([
      expect.objectContaining({ PrivilegeName: 'prvDeleteActivity', Depth: 'Global' }),
      expect.objectContaining({ PrivilegeName: 'prvActOnBehalfOfAnotherUser' }),
    ]));
    expect((await s.dataverse.retrieveUserPrivileges(bob.systemUserId)).map((p) => p.PrivilegeName)).not.toContain('prvDeleteActivity');
  });

  it('maps Entra object ids and systemuser ids both ways', async () => {
    const byAad = await s.dataverse.findSystemUserByAadId(alice.id);
    expect(byAad?.systemuserid).toBe(alice.systemUserId);
    const bySystemUser = await s.dataverse.getSystemUser(bob.systemUserId);
    expect(bySystemUser?.azureactivedirectoryobjectid).toBe(bob.id);
    expect(await s.dataverse.findSystemUserByAadId('00000000-0000-4000-8000-000000000000')).toBeNull();
  });
});

describe('generic CRUD', () => {
  it('creates, reads, lists, updates and deletes a contact', async () => {
    const id = await s.dataverse.create('contacts', { firstname: 'Ada', lastname: 'Lovelace', emailaddress1: 'ada@example.org' });
    expect(await s.dataverse.get('contacts', id, { select: ['lastname'] })).toMatchObject({ lastname: 'Lovelace' });
    await s.dataverse.update('contacts', id, { lastname: 'King' });
    const rows = await s.dataverse.list<{ contactid: string; lastname: string }>('contacts', { filter: `contactid eq ${id}`, select: ['contactid', 'lastname'] });
    expect(rows).toEqual([expect.objectContaining({ contactid: id, lastname: 'King' })]);
    expect(await s.dataverse.delete('contacts', id)).toEqual({ status: 'deleted' });
    expect(await s.dataverse.get('contacts', id)).toBeNull();
    await expect(s.dataverse.update('contacts', id, { lastname: 'X' })).rejects.toMatchObject({ httpStatus: 404 });
  });
});

describe('paging', () => {
  it('follows the absolute @odata.nextLink as it is, across the sandbox\'s 25-row pages', async () => {
    const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => s.dataverse.create('contacts', { lastname: `Paged ${i}` })));
    const all = (await s.dataverse.list<{ contactid: string }>('contacts', { select: ['contactid'] })).map((r) => r.contactid);
    expect(all).toEqual(expect.arrayContaining(ids));
    expect(new Set(all).size).toBe(all.length);
    const small = await s.dataverse.list<{ contactid: string }>('contacts', { select: ['contactid'], pageSize: 7 });
    expect(small.map((r) => r.contactid).sort()).toEqual([...all].sort());
  });

  it('refuses a page size above 5,000', async () => {
    await expect(s.dataverse.list('contacts', { pageSize: 5001 })).rejects.toMatchObject({ code: 'DS_ERR_CONFIG' });
  });

  it('follows a next link only into its own environment\'s API', () => {
    const root = 'https://org.crm.dynamics.com/api/data/v9.2';
    expect(requestUrl(root, 'contacts?$select=fullname')).toBe(`${root}/contacts?$select=fullname`);
    expect(requestUrl(root, `${root}/contacts?$skiptoken=%3Ccookie%20pagenumber=%222%22%20/%3E`)).toBe(`${root}/contacts?$skiptoken=%3Ccookie%20pagenumber=%222%22%20/%3E`);
    expect(() => requestUrl(root, 'https://elsewhere.example/api/data/v9.2/contacts')).toThrow(/outside its own API/);
  });
});

describe('throttling and faults', () => {
  it('waits for Retry-After on 429 and then succeeds', async () => {
    s.sandbox.faults.inject('dataverse', { kind: 'throttle', retryAfterSeconds: 0.3 });
    const started = Date.now();
    expect((await s.dataverse.getSystemUser(alice.systemUserId))?.systemuserid).toBe(alice.systemUserId);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('reports each 429 as Dataverse throttling, with the user acted as and the Retry-After', async () => {
    const before = counterValue((await sinks.metrics()).get(METRIC_NAMES.throttled), { service: 'dataverse' });
    const eventsBefore = sinks.logRecords().length;
    s.sandbox.faults.inject('dataverse', { kind: 'throttle', retryAfterSeconds: 0.1 }, { times: 2 });
    expect(await s.dataverse.deleteAs({ entity: 'appointment', id: await meeting() }, alice.id)).toEqual({ status: 'deleted' });
    expect(counterValue((await sinks.metrics()).get(METRIC_NAMES.throttled), { service: 'dataverse' }) - before).toBe(2);
    const events = sinks.logRecords().slice(eventsBefore).map((r) => r.attributes);
    expect(events).toEqual([
      expect.objectContaining({ [CUSTOM_EVENT_ATTRIBUTE]: EVENT_NAMES.throttled, service: 'dataverse', mailboxUserId: alice.id, retryAfterSeconds: 0.1 }),
      expect.objectContaining({ [CUSTOM_EVENT_ATTRIBUTE]: EVENT_NAMES.throttled, service: 'dataverse', mailboxUserId: alice.id, retryAfterSeconds: 0.1 }),
    ]);
  });

  it('gives up as throttled when Retry-After is longer than it may wait', async () => {
    const impatient = new DataverseClient({ url: s.sandbox.dataverseUrl, credential: s.credential, maxRetryAfterMs: 1_000 });
    s.sandbox.faults.inject('dataverse', { kind: 'throttle', retryAfterSeconds: 30 });
    const error = await impatient.getSystemUser(alice.systemUserId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataverseError);
    expect(error).toMatchObject({ code: 'DS_ERR_THROTTLED', httpStatus: 429, transient: true });
  });

  it('retries a delete after 503 and a dropped connection with backoff', async () => {
    const patient = new DataverseClient({ url: s.sandbox.dataverseUrl, credential: s.credential, backoff: { baseMs: 20, maxMs: 100 } });
    const id = await meeting();
    s.sandbox.faults.inject('dataverse', { kind: 'serverError', status: 503 });
    s.sandbox.faults.inject('dataverse', { kind: 'drop' });
    expect(await patient.deleteAs({ entity: 'appointment', id }, alice.id)).toEqual({ status: 'deleted' });
    expect(s.sandbox.dataverse.exists('appointment', id)).toBe(false);
  });

  it('does not retry a create whose connection dropped (it may have happened)', async () => {
    s.sandbox.faults.inject('dataverse', { kind: 'drop' });
    await expect(s.dataverse.create('contacts', { lastname: 'Once' })).rejects.toMatchObject({ httpStatus: null });
  });
});

describe('ids in URLs', () => {
  it('guards the ids the client puts into URLs', async () => {
    await expect(s.dataverse.get('contacts', "x') or 1 eq 1")).rejects.toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD' });
  });
});
