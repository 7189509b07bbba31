/**
 * The processor reading a CRM record whose Create/Update body could not carry it, through the real
 * snapshot reader against the tenant sandbox, and the later Delete deciding from what was stored.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../sandbox/index.js';
import { readSnapshot } from '../../../src/dataverse/snapshot-reader.js';
import type { DomainEvent } from '../../../src/domain/event.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { processEvent, type ProcessorDeps } from '../../../src/pipeline/processor.js';
import { silentLogger } from '../../../src/log.js';
import type { Store } from '../../../src/store/index.js';
import { useTestAzurite } from '../../helpers/azurite.js';
import { useSandboxClients } from '../../helpers/sandbox-clients.js';
import { testStore } from '../../helpers/store.js';
import { reconstructedDelete, sizeExceeded, withoutPreImage, xrmDate } from '../domain/dataverse-bodies.js';

const testAzurite = useTestAzurite();
const tenant = useSandboxClients({ olga: 'Olga Organizer', alice: 'Alice Attendee' }, ['olga', 'alice']);
let store: Store;
beforeEach(() => {
  ({ store } = testStore(testAzurite().connectionString));
});

const deps = (): ProcessorDeps => ({ store, log: silentLogger, now: () => new Date(), dryRun: false, readSnapshot: (ref) => readSnapshot(tenant().dataverse, ref) });
const SIZE_EXCEEDED = { 'x-ms-dynamics-msg-size-exceeded': 'true' };
/** Any request reaching Dataverse now fails: proof that none is made. */
const refuseReads = () => tenant().sandbox.faults.inject('dataverse', { kind: 'serverError', status: 400 }, { times: 5 });

async function futureMeeting(): Promise<string> {
  const start = Date.now() + 5 * 86_400_000;
  const systemUser = (u: DirectoryUser) => ({ logicalName: 'systemuser', id: u.systemUserId });
  return tenant().sandbox.dataverse.createAppointment({ subject: 'Town hall', start, end: start + 3_600_000, organizer: systemUser(tenant().users.olga), requiredAttendees: [systemUser(tenant().users.alice)] });
}

/** A webhook body for `id` in the shape of the reconstructed capture, under a new operation. */
function body(message: 'Create' | 'Update' | 'Delete', id: string): Record<string, unknown> {
  const json = reconstructedDelete();
  const target = (json.InputParameters as { value: Record<string, unknown> }[])[0]!.value;
  target.Id = id;
  Object.assign(json, { MessageName: message, PrimaryEntityId: id, OperationId: randomUUID() });
  return json;
}

function event(json: Record<string, unknown>, headers: Record<string, string> = {}): DomainEvent {
  return normalizeDataverseWebhook(JSON.stringify(json), headers, new Date());
}

/** An Update whose Target carries only the new start and whose step has no pre-image. */
function startMovedWithoutPreImage(id: string): DomainEvent {
  const json = withoutPreImage(body('Update', id));
  const attributes = [{ key: 'scheduledstart', value: xrmDate(new Date(Date.now() + 6 * 86_400_000)) }];
  (json.InputParameters as { value: unknown }[])[0]!.value = { __type: 'Entity:http://schemas.microsoft.com/xrm/2011/Contracts', LogicalName: 'appointment', Id: id, Attributes: attributes };
  return event(json);
}

describe('a Create or Update the body could not carry', () => {
  it('size-exceeded Create: the record is read and stored, and the size-exceeded Delete decides from it', async () => {
    const id = await futureMeeting();
    const ref = { entity: 'appointment', id };
    const created = await processEvent(event(sizeExceeded(body('Create', id)), SIZE_EXCEEDED), deps());

    const read = await readSnapshot(tenant().dataverse, ref);
    expect(read?.organizer?.id).toBe(tenant().users.olga.systemUserId.toLowerCase());
    expect(created.facts?.record).toEqual(read);
    expect(await store.snapshots.get(ref)).toEqual(read);

    await tenant().sandbox.dataverse.userDeletes(tenant().users.olga.systemUserId, 'appointment', id);
    refuseReads();
    const deleted = await processEvent(event(sizeExceeded(body('Delete', id)), SIZE_EXCEEDED), deps());
    expect(deleted.input?.crm).toMatchObject({ sizeExceeded: true, preImageMissing: true });
    expect(deleted.facts?.record).toEqual(read);
    expect(deleted.ruleId).toBe('crm.appointment.active.future');
  });

  it('size-exceeded Update: the record is read over a stored snapshot it makes stale', async () => {
    const id = await futureMeeting();
    const ref = { entity: 'appointment', id };
    await processEvent(event(sizeExceeded(body('Create', id)), SIZE_EXCEEDED), deps());
    await tenant().sandbox.dataverse.setState(tenant().users.olga.systemUserId, 'appointment', id, 1);

    await processEvent(event(sizeExceeded(body('Update', id)), SIZE_EXCEEDED), deps());
    expect((await store.snapshots.get(ref))?.statecode).toBe(1);
  });

  it('Update without parties and nothing stored: the parties are read', async () => {
    const id = await futureMeeting();
    const updated = await processEvent(startMovedWithoutPreImage(id), deps());
    const stored = await store.snapshots.get({ entity: 'appointment', id });
    expect(stored).toEqual(await readSnapshot(tenant().dataverse, { entity: 'appointment', id }));
    expect(stored?.requiredAttendees.map((p) => p.id)).toEqual([tenant().users.alice.systemUserId.toLowerCase()]);
    expect(updated.facts?.record).toEqual(stored);
  });

  it('a body that carries the record, or a stored snapshot with its parties, needs no read', async () => {
    const id = await futureMeeting();
    await processEvent(event(sizeExceeded(body('Create', id)), SIZE_EXCEEDED), deps());
    const stored = await store.snapshots.get({ entity: 'appointment', id });

    refuseReads();
    const update = startMovedWithoutPreImage(id);
    await processEvent(update, deps());
    expect(await store.snapshots.get({ entity: 'appointment', id })).toEqual({ ...stored, scheduledStart: update.crm!.snapshot!.scheduledStart, takenAt: update.crm!.snapshot!.takenAt });
    const carried = event(body('Create', randomUUID()));
    expect((await processEvent(carried, deps())).facts?.record).toEqual(carried.crm!.snapshot);
  });

  it('a Delete is never read: with nothing stored it is skipped as unknown state', async () => {
    const id = await futureMeeting();
    await tenant().sandbox.dataverse.userDeletes(tenant().users.olga.systemUserId, 'appointment', id);
    refuseReads();
    const deleted = await processEvent(event(sizeExceeded(body('Delete', id)), SIZE_EXCEEDED), deps());
    expect(deleted.facts?.record).toBeNull();
    expect(deleted.ruleId).toBe('crm.unknown-state');
  });
});
