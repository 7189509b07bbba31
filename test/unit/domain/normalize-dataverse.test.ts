import { describe, expect, it } from 'vitest';
import { DomainEvent } from '../../../src/domain/event.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { codedError } from '../contracts/coded-error.js';
import { fixtureJson, fixtureNames, fixtureText } from '../contracts/fixture-files.js';
import { asEntity, optionSet, partyList, reconstructedDelete, reference, removeColumn, setColumn, sizeExceeded, withoutPreImage, xrmDate } from './dataverse-bodies.js';

const RECEIVED = new Date('2025-01-02T03:04:05.000Z');
const APPOINTMENT_ID = '00000000-0000-0000-0000-0000000a0001';

function normalize(body: unknown, headers: Record<string, string | undefined> = {}) {
  return normalizeDataverseWebhook(body, headers, RECEIVED);
}


describe('normalizeDataverseWebhook: the reconstructed appointment Delete', () => {
  const event = normalize(fixtureText('dataverse', 'delete-webhook-appointment.reconstructed.json'));

  it('is a CRM delete of an appointment with a dedupe key from the operation', () => {
    expect(DomainEvent.parse(event)).toEqual(event);
    expect(event).toMatchObject({
      id: `crm:00000000-0000-0000-0000-0000000000f1:Delete:appointment:${APPOINTMENT_ID}`,
      origin: 'crm',
      change: 'deleted',
      entity: 'appointment',
      receivedAt: RECEIVED.toISOString(),
    });
    expect(event.crm).toMatchObject({
      ref: { entity: 'appointment', id: APPOINTMENT_ID },
      messageName: 'Delete',
      initiatingUserAadObjectId: '00000000-0000-0000-0000-0000000000e1',
      preImageMissing: false,
      sizeExceeded: false,
    });
  });

  it('reads the snapshot from the pre-image: state, UTC start, owner, organizer party, globalobjectid', () => {
    expect(event.crm?.snapshot).toEqual({
      ref: { entity: 'appointment', id: APPOINTMENT_ID },
      statecode: 3,
      scheduledStart: '2025-01-04T14:13:20.000Z',
      owner: { entity: 'systemuser', id: '00000000-0000-0000-0000-0000000000a1' },
      organizer: { role: 'organizer', type: 'systemuser', id: '00000000-0000-0000-0000-0000000000a1', address: null },
      requiredAttendees: [],
      optionalAttendees: [],
      globalObjectId: '040000008200E00074C5B7101A82E00800000000...',
      messageId: null,
      takenAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('accepts the same body as a parsed object and as a Buffer', () => {
    const text = fixtureText('dataverse', 'delete-webhook-appointment.reconstructed.json');
    expect(normalize(JSON.parse(text))).toEqual(event);
    expect(normalize(Buffer.from(text))).toEqual(event);
  });
});

describe('normalizeDataverseWebhook: party lists', () => {
  const body = setColumn(
    reconstructedDelete(),
    'requiredattendees',
    partyList([
      { mask: 5, party: { logicalName: 'systemuser', id: 'AAAAAAAA-0000-0000-0000-000000000001' } },
      { mask: 5, party: { logicalName: 'contact', id: '00000000-0000-0000-0000-0000000000c9' } },
      { mask: 5, party: null, address: 'someone@example.org' },
    ]),
  );
  setColumn(body, 'optionalattendees', partyList([{ mask: 6, party: { logicalName: 'systemuser', id: '00000000-0000-0000-0000-000000000002' } }]));

  it('keeps external contacts and unresolved addresses, with lower-case ids', () => {
    const snapshot = normalize(body).crm?.snapshot;
    expect(snapshot?.requiredAttendees).toEqual([
      { role: 'required', type: 'systemuser', id: 'aaaaaaaa-0000-0000-0000-000000000001', address: null },
      { role: 'required', type: 'contact', id: '00000000-0000-0000-0000-0000000000c9', address: null },
      { role: 'required', type: 'unresolved', id: null, address: 'someone@example.org' },
    ]);
    expect(snapshot?.optionalAttendees).toEqual([{ role: 'optional', type: 'systemuser', id: '00000000-0000-0000-0000-000000000002', address: null }]);
  });

  it('reads sender (1) and to (2) masks from the captured custom activity pre-image', () => {
    const custom = fixtureJson('dataverse', 'update-webhook-customactivity-preimage-activityparty.json') as Record<string, unknown>;
    const event = normalize(custom);
    expect(event.entity).toBe('other');
    expect(event.crm?.snapshot?.statecode).toBe(3); // Target's statecode wins over the pre-image's 0
  });

  it('names the field of a malformed party', () => {
    const parties = partyList([{ mask: 5, party: { logicalName: 'systemuser', id: '00000000-0000-0000-0000-000000000001' } }]);
    const [party] = parties.Entities as { Attributes: { key: string; value: unknown }[] }[];
    const mask = party?.Attributes.find((attribute) => attribute.key === 'participationtypemask');
    if (mask !== undefined) mask.value = 'Required';
    const error = codedError(() => normalize(setColumn(reconstructedDelete(), 'requiredattendees', parties)));
    expect(error.code).toBe('DS_ERR_INVALID_PAYLOAD');
    expect(error.field).toMatch(/^PreEntityImages\[0\]\.value\.Attributes\[10\]\.value\.Entities\[0\]\.Attributes\[\d+\]\.value$/);
    expect(error.message).toContain('participationtypemask');
  });
});

describe('normalizeDataverseWebhook: boundaries', () => {
  it('a Delete without pre-image: no snapshot, preImageMissing', () => {
    const event = normalize(withoutPreImage(reconstructedDelete()));
    expect(event.crm?.snapshot).toBeNull();
    expect(event.crm?.preImageMissing).toBe(true);
    expect(event.crm?.ref).toEqual({ entity: 'appointment', id: APPOINTMENT_ID });
  });

  it('a size-exceeded body without InputParameters or images: the record from PrimaryEntityName/Id', () => {
    const event = normalize(sizeExceeded(reconstructedDelete()), { 'x-ms-dynamics-msg-size-exceeded': 'true' });
    expect(event.crm).toMatchObject({ ref: { entity: 'appointment', id: APPOINTMENT_ID }, snapshot: null, preImageMissing: true, sizeExceeded: true });
    expect(event.id).toBe(`crm:00000000-0000-0000-0000-0000000000f1:Delete:appointment:${APPOINTMENT_ID}`);
  });

  it('the same body without the size header is invalid: Target is required', () => {
    const error = codedError(() => normalize(sizeExceeded(reconstructedDelete())));
    expect(error).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'InputParameters' });
  });

  it.each([
    ['task', 'task'],
    ['email', 'email'],
    ['contact', 'contact'],
    ['phonecall', 'other'],
    ['new_customactivity', 'other'],
  ])('a Delete of %s normalises to entity %s', (logicalName, kind) => {
    const event = normalize(asEntity(reconstructedDelete(), logicalName));
    expect(event.entity).toBe(kind);
    expect(event.crm?.ref.entity).toBe(logicalName);
    expect(event.id).toContain(`:Delete:${logicalName}:`);
  });

  it('reads dates with an offset as UTC milliseconds, and email messageid', () => {
    const body = asEntity(reconstructedDelete(), 'email');
    setColumn(body, 'messageid', '<abc@example.org>');
    body.OperationCreatedOn = '/Date(1735689600000+0300)/';
    const event = normalize(body);
    expect(event.crm?.snapshot?.messageId).toBe('<abc@example.org>');
    expect(event.crm?.snapshot?.takenAt).toBe('2025-01-01T00:00:00.000Z');
  });

  it('takes the first pre-image whatever its alias', () => {
    const body = reconstructedDelete();
    (body.PreEntityImages as { key: string }[])[0]!.key = 'AnyAlias';
    expect(normalize(body).crm?.snapshot?.statecode).toBe(3);
  });

  it('a null start and a missing statecode stay null', () => {
    const body = removeColumn(setColumn(reconstructedDelete(), 'scheduledstart', null), 'statecode');
    expect(normalize(body).crm?.snapshot).toMatchObject({ scheduledStart: null, statecode: null });
  });

  it('accepts Guid:#System / DateTime:#System wrapped scalars', () => {
    const body = setColumn(reconstructedDelete(), 'scheduledstart', { __type: 'DateTime:#System', __value: xrmDate(new Date('2030-01-01T00:00:00Z')) });
    body.PrimaryEntityId = { __type: 'Guid:#System', __value: APPOINTMENT_ID };
    setColumn(body, 'ownerid', reference('team', '00000000-0000-0000-0000-0000000000b1'));
    setColumn(body, 'statecode', optionSet(0));
    expect(normalize(body).crm?.snapshot).toMatchObject({ scheduledStart: '2030-01-01T00:00:00.000Z', owner: { entity: 'team' }, statecode: 0 });
  });

  it('maps the all-zero Entra id to null (no identity to act as)', () => {
    const event = normalize(fixtureJson('dataverse', 'update-webhook-customactivity-preimage-activityparty.json'));
    expect(event.crm?.initiatingUserAadObjectId).toBeNull();
  });
});

describe('normalizeDataverseWebhook: every Dataverse fixture', () => {
  it.each(fixtureNames('dataverse'))('%s normalises to a valid DomainEvent', (name) => {
    const event = normalize(fixtureText('dataverse', name));
    expect(DomainEvent.safeParse(event).success).toBe(true);
    expect(event.origin).toBe('crm');
  });
});

describe('normalizeDataverseWebhook: malformed input is a coded error naming the field', () => {
  it.each<[string, unknown, string, string]>([
    ['not JSON', '{"MessageName":', 'DS_ERR_BAD_JSON', '$'],
    ['empty', '', 'DS_ERR_BAD_JSON', '$'],
    ['an array', '[]', 'DS_ERR_INVALID_PAYLOAD', '$'],
    ['null', null, 'DS_ERR_INVALID_PAYLOAD', '$'],
  ])('%s', (_label, body, code, field) => {
    expect(codedError(() => normalize(body))).toMatchObject({ code, field });
  });

  it('an unsupported message', () => {
    const body = reconstructedDelete();
    body.MessageName = 'Assign';
    expect(codedError(() => normalize(body))).toMatchObject({ code: 'DS_ERR_UNSUPPORTED_MESSAGE', field: 'MessageName' });
  });

  it('a missing OperationId', () => {
    const body = reconstructedDelete();
    delete body.OperationId;
    expect(codedError(() => normalize(body))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'OperationId' });
  });

  it('a Target with a foreign __type', () => {
    const body = reconstructedDelete();
    const target = (body.InputParameters as { value: Record<string, unknown> }[])[0]!.value;
    delete target.Id;
    expect(codedError(() => normalize(body))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'InputParameters[0].value.Id' });
  });

  it('a date column that is not /Date(ms)/', () => {
    const body = setColumn(reconstructedDelete(), 'scheduledstart', '2025-01-04T14:13:20Z');
    const error = codedError(() => normalize(body));
    expect(error.code).toBe('DS_ERR_INVALID_PAYLOAD');
    expect(error.field).toMatch(/^PreEntityImages\[0\]\.value\.Attributes\[4\]\.value$/);
    expect(error.message).toContain('scheduledstart');
  });

  it('a statecode that is not an OptionSetValue', () => {
    const body = setColumn(reconstructedDelete(), 'statecode', 'Scheduled');
    expect(codedError(() => normalize(body))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'PreEntityImages[0].value.Attributes[2].value' });
  });

  it('a pre-image without Attributes', () => {
    const body = reconstructedDelete();
    delete ((body.PreEntityImages as { value: Record<string, unknown> }[])[0]!.value).Attributes;
    expect(codedError(() => normalize(body))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'PreEntityImages[0].value.Attributes' });
  });
});
