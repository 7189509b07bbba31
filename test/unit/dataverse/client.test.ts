import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import type { DirectoryUser } from '../../../sandbox/index.js';
import { DataverseClient, DataverseError } from '../../../src/dataverse/client.js';
import { CUSTOM_EVENT_ATTRIBUTE, EVENT_NAMES, METRIC_NAMES } from '../../../src/telemetry/index.js';
import { startSandboxClients, type SandboxClients } from '../graph/sandbox-clients.js';
import { counterValue, inMemorySinks } from '../telemetry/inMemorySinks.js';

let s: SandboxClients;
let alice: DirectoryUser;
let bob: DirectoryUser;
// Stand-ins for the global providers useAzureMonitor registers, set before anything records.
const sinks = inMemorySinks();

beforeAll(async () => {
  logs.setGlobalLoggerProvider(sinks.loggerProvider);
  metrics.setGlobalMeterProvider(sinks.meterProvider);
  s = await startSandboxClients();
  alice = s.sandbox.directory.add({ displayName: 'Alice Organizer', canDelete: true });
  bob = s.sandbox.directory.add({ displayName: 'Bob Attendee', canDelete: false });
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

  it('turns 403 0x80040220 for a user without Delete into a typed result and leaves the record', async () => {
    const id = await meeting();
    const result = await s.dataverse.deleteAs({ entity: 'appointment', id }, bob.id);
    expect(result).toMatchObject({ status: 'no-delete-privilege', code: '0x80040220' });
    expect(s.sandbox.dataverse.exists('appointment', id)).toBe(true);
  });
});

describe('access checks and users', () => {
  it('reads access rights with RetrievePrincipalAccess', async () => {
    const id = await meeting();
    expect(await s.dataverse.retrievePrincipalAccess(alice.systemUserId, { entity: 'appointment', id })).toContain('DeleteAccess');
    expect(await s.dataverse.retrievePrincipalAccess(bob.systemUserId, { entity: 'appointment', id })).not.toContain('DeleteAccess');
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
