import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES_URL } from '../../../helpers/fixtures.js';
import { registerStep, startHarness, startReceiver, type Harness } from './harness.js';

const fixture = (name: string): any => JSON.parse(readFileSync(new URL(`dataverse/${name}`, FIXTURES_URL), 'utf8'));
const deleteFixture = fixture('delete-webhook-appointment.reconstructed.json');
const updateFixture = fixture('update-webhook-customactivity-preimage-activityparty.json');

const PRE_IMAGE_COLUMNS = 'activityid,subject,statecode,statuscode,scheduledstart,scheduledend,globalobjectid,ownerid,organizer,requiredattendees';

let h: Harness;
let receivers: { close(): Promise<void> }[] = [];
beforeAll(async () => {
  h = await startHarness({ webhooks: { retryDelayMs: 5, timeoutMs: 300 } });
});
afterEach(async () => {
  await h.server.state.settle();
  for (const step of h.server.state.query('sdkmessageprocessingstep')) await h.api('DELETE', `sdkmessageprocessingsteps(${step.sdkmessageprocessingstepid})`);
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});
afterAll(async () => {
  await h.close();
});

async function receiver(answer?: (n: number) => number | null) {
  const r = await startReceiver(answer);
  receivers.push(r);
  return r;
}

async function meeting(subject = 'Quarterly review'): Promise<string> {
  const start = Date.UTC(2031, 5, 1, 14);
  return h.server.state.createAppointment({
    subject,
    start,
    end: start + 3_600_000,
    organizer: { logicalName: 'systemuser', id: h.alice.systemUserId },
    requiredAttendees: [{ logicalName: 'systemuser', id: h.bob.systemUserId }, { address: 'guest@outside.test' }],
  });
}

const keys = (o: object): string[] => Object.keys(o).sort();
const attr = (entity: any, key: string): any => entity.Attributes.find((a: any) => a.key === key)?.value;

describe('Dataverse sandbox: registered webhook steps', () => {
  it('rejects registrations the platform rejects (post-image on Delete, async outside PostOperation)', async () => {
    const r = await receiver();
    const { stepId } = await registerStep(h, { url: r.url, key: 'k', message: 'Delete', entity: 'appointment', mode: 1 });
    const postImage = await h.api('POST', 'sdkmessageprocessingstepimages', {
      body: { entityalias: 'Post', imagetype: 1, messagepropertyname: 'Target', 'sdkmessageprocessingstepid@odata.bind': `/sdkmessageprocessingsteps(${stepId})` },
    });
    expect(postImage.status).toBe(400);
    const step = h.server.state.get('sdkmessageprocessingstep', stepId);
    const preOperationAsync = await h.api('POST', 'sdkmessageprocessingsteps', {
      body: {
        name: 'bad',
        stage: 20,
        mode: 1,
        'eventhandler_serviceendpoint@odata.bind': `/serviceendpoints(${(step?.eventhandler as { id: string }).id})`,
        'sdkmessageid@odata.bind': `/sdkmessages(${(step?.sdkmessageid as { id: string }).id})`,
      },
    });
    expect(preOperationAsync.status).toBe(400);
  });

  it('posts a Delete with the Target reference and only the registered pre-image columns, in the captured wire shape', async () => {
    const r = await receiver();
    await registerStep(h, { url: r.url, key: 'function-key-1', message: 'Delete', entity: 'appointment', mode: 1, preImageAttributes: PRE_IMAGE_COLUMNS });
    const id = await meeting();
    await h.server.state.userDeletes(h.alice.systemUserId, 'appointment', id);
    expect(r.received).toHaveLength(0); // asynchronous: after the delete has committed
    await h.server.state.settle();

    expect(r.received).toHaveLength(1);
    const { url, headers, body } = r.received[0] as { url: string; headers: Record<string, string>; body: any };
    expect(new URL(url, 'http://x').searchParams.get('code')).toBe('function-key-1');
    expect(headers).toMatchObject({
      'content-type': 'application/json',
      'x-ms-dynamics-entity-name': 'appointment',
      'x-ms-dynamics-request-name': 'Delete',
      'x-ms-dynamics-organization': new URL(h.server.url).host,
      'x-ms-correlation-request-id': body.CorrelationId,
    });
    expect(headers['x-ms-dynamics-msg-size-exceeded']).toBeUndefined();

    expect(keys(body)).toEqual(keys(deleteFixture));
    expect(body).toMatchObject({ MessageName: 'Delete', Mode: 1, Stage: 40, PrimaryEntityName: 'appointment', PrimaryEntityId: id, UserId: h.alice.systemUserId, PostEntityImages: [] });
    expect(body.OperationCreatedOn).toMatch(/^\/Date\(\d+\)\/$/);
    const target = body.InputParameters[0];
    expect(target.key).toBe('Target');
    expect(keys(target.value)).toEqual(keys(deleteFixture.InputParameters[0].value));
    expect(target.value).toMatchObject({ __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts', Id: id, LogicalName: 'appointment' });

    const image = body.PreEntityImages[0];
    expect(image.key).toBe('PreImage');
    expect(keys(image.value)).toEqual(keys(deleteFixture.PreEntityImages[0].value));
    expect(image.value.Attributes.map((a: any) => a.key).sort()).toEqual(PRE_IMAGE_COLUMNS.split(',').sort());
    expect(attr(image.value, 'statecode')).toEqual({ __type: 'OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 3 });
    expect(attr(image.value, 'scheduledstart')).toBe(`/Date(${Date.UTC(2031, 5, 1, 14)})/`);
    expect(attr(image.value, 'ownerid')).toMatchObject({ __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts', Id: h.alice.systemUserId, LogicalName: 'systemuser' });

    const organizer = attr(image.value, 'organizer');
    const fixtureOrganizer = attr(deleteFixture.PreEntityImages[0].value, 'organizer');
    expect(keys(organizer)).toEqual(keys(fixtureOrganizer));
    expect(organizer.__type).toBe(fixtureOrganizer.__type);
    expect(keys(organizer.Entities[0])).toEqual(keys(fixtureOrganizer.Entities[0]));
    expect(attr(organizer.Entities[0], 'partyid')).toMatchObject({ Id: h.alice.systemUserId, LogicalName: 'systemuser', Name: 'Alice Organizer' });
    const attendees = attr(image.value, 'requiredattendees').Entities as any[];
    expect(attendees.map((e) => attr(e, 'participationtypemask').Value)).toEqual([5, 5]);
    expect(attendees.map((e) => attr(e, 'addressused'))).toContain('guest@outside.test');

    expect(h.server.state.deliveries({ recordId: id })).toEqual([expect.objectContaining({ outcome: 'delivered', mode: 1, message: 'Delete' })]);
  });

  it('posts Updates with pre-image and the platform AsynchronousStepPrimaryName image, only for the filtering attributes', async () => {
    const r = await receiver();
    await registerStep(h, { url: r.url, key: 'k', message: 'Update', entity: 'appointment', mode: 1, preImageAttributes: 'subject,statecode', alias: 'Image', filteringattributes: 'statecode,scheduledstart' });
    const id = await meeting();
    await h.server.state.userUpdates(h.alice.systemUserId, 'appointment', id, { location: 'Room 2' });
    await h.server.state.setState(h.alice.systemUserId, 'appointment', id, 1);
    await h.server.state.settle();
    expect(r.received).toHaveLength(1);
    const body = r.received[0]?.body;
    expect(keys(body)).toEqual(keys({ ...updateFixture, InitiatingUserAgent: '' }));
    const target = body.InputParameters[0].value;
    expect(target.__type).toBe('Entity:http://schemas.microsoft.com/xrm/2011/Contracts');
    expect(attr(target, 'statecode')).toMatchObject({ Value: 1 });
    expect(attr(target, 'statuscode')).toMatchObject({ Value: 3 });
    expect(body.PreEntityImages.map((i: any) => i.key)).toEqual(['Image']);
    expect(attr(body.PreEntityImages[0].value, 'statecode')).toMatchObject({ Value: 3 });
    expect(body.PostEntityImages.map((i: any) => i.key)).toEqual(['AsynchronousStepPrimaryName']);
  });

  it('sends HttpHeader and HttpQueryString endpoint settings instead of a code', async () => {
    const r = await receiver();
    await registerStep(h, { url: r.url, key: '<settings><setting name="x-api-key" value="header-secret" /></settings>', authtype: 5, message: 'Create', entity: 'task', mode: 0 });
    await registerStep(h, { url: r.url, key: '<settings><setting name="sig" value="query-secret" /></settings>', authtype: 6, message: 'Create', entity: 'task', mode: 0 });
    await h.server.state.createTask({ subject: 'Auth', ownerId: h.alice.systemUserId });
    const [byHeader, byQuery] = r.received;
    expect(byHeader?.headers['x-api-key']).toBe('header-secret');
    expect(new URL(byHeader?.url ?? '', 'http://x').searchParams.has('code')).toBe(false);
    expect(new URL(byQuery?.url ?? '', 'http://x').searchParams.get('sig')).toBe('query-secret');
    expect(byQuery?.body).toMatchObject({ MessageName: 'Create', Mode: 0, OutputParameters: [{ key: 'id' }] });
  });

  it('drops parameters, images and parent context above 256 KB and says so in a header', async () => {
    const r = await receiver();
    await registerStep(h, { url: r.url, key: 'k', message: 'Delete', entity: 'appointment', mode: 1, preImageAttributes: 'subject,description' });
    const id = await meeting();
    await h.server.state.userUpdates(h.alice.systemUserId, 'appointment', id, { description: 'x'.repeat(300 * 1024) });
    await h.server.state.userDeletes(h.alice.systemUserId, 'appointment', id);
    await h.server.state.settle();
    const { headers, body } = r.received[0] as { headers: Record<string, string>; body: any };
    expect(headers['x-ms-dynamics-msg-size-exceeded']).toBeDefined();
    for (const removed of ['InputParameters', 'PreEntityImages', 'PostEntityImages', 'ParentContext']) expect(body).not.toHaveProperty(removed);
    expect(body).toMatchObject({ MessageName: 'Delete', PrimaryEntityId: id });
  });

  it('retries an asynchronous delivery once on 503 and not at all on 500; failures become failed System Jobs', async () => {
    const flaky = await receiver((n) => (n === 1 ? 503 : 202));
    await registerStep(h, { url: flaky.url, key: 'k', message: 'Delete', entity: 'task', mode: 1 });
    const first = await h.server.state.createTask({ subject: 'Retry me', ownerId: h.alice.systemUserId });
    await h.server.state.userDeletes(h.alice.systemUserId, 'task', first);
    await h.server.state.settle();
    expect(flaky.received).toHaveLength(2);
    expect(h.server.state.deliveries({ recordId: first })[0]).toMatchObject({ outcome: 'delivered', attempts: [{ status: 503 }, { status: 202 }] });
    for (const step of h.server.state.query('sdkmessageprocessingstep')) await h.api('DELETE', `sdkmessageprocessingsteps(${step.sdkmessageprocessingstepid})`);

    const down = await receiver(() => 503);
    const broken = await receiver(() => 500);
    await registerStep(h, { url: down.url, key: 'k', message: 'Delete', entity: 'task', mode: 1 });
    await registerStep(h, { url: broken.url, key: 'k', message: 'Delete', entity: 'task', mode: 1 });
    const second = await h.server.state.createTask({ subject: 'Fail me', ownerId: h.alice.systemUserId });
    await h.server.state.userDeletes(h.alice.systemUserId, 'task', second);
    await h.server.state.settle();
    expect(down.received).toHaveLength(2);
    expect(broken.received).toHaveLength(1);
    const failed = h.server.state.systemJobs({ failed: true });
    expect(failed).toHaveLength(2);
    const jobs = await h.api('GET', 'asyncoperations?$select=statuscode,message&$filter=statuscode eq 31');
    expect(jobs.body.value.map((j: any) => j.message).sort()).toEqual([expect.stringContaining('(500)'), expect.stringContaining('(503)')]);
  });

  it('gives up on an endpoint that does not answer within the timeout, without retrying', async () => {
    const silent = await receiver(() => null);
    await registerStep(h, { url: silent.url, key: 'k', message: 'Delete', entity: 'task', mode: 1 });
    const id = await h.server.state.createTask({ subject: 'Silent', ownerId: h.alice.systemUserId });
    await h.server.state.userDeletes(h.alice.systemUserId, 'task', id);
    await h.server.state.settle();
    expect(silent.received).toHaveLength(1);
    expect(h.server.state.deliveries({ recordId: id })[0]).toMatchObject({ outcome: 'failed', attempts: [{ error: 'timed out' }] });
  });

  it('fails and rolls back the operation when a synchronous step fails', async () => {
    const r = await receiver(() => 500);
    await registerStep(h, { url: r.url, key: 'k', message: 'Delete', entity: 'contact', mode: 0, preImageAttributes: 'fullname,ownerid' });
    const id = await h.server.state.createContact({ lastname: 'Kept', ownerId: h.alice.systemUserId });
    const response = await h.api('DELETE', `contacts(${id})`, { headers: { CallerObjectId: h.alice.id } });
    expect(response.status).toBe(400);
    expect(h.server.state.exists('contact', id)).toBe(true);
    expect(r.received[0]?.body).toMatchObject({ Mode: 0, IsInTransaction: true, InitiatingUserId: h.app.systemUserId, UserId: h.alice.systemUserId });
  });
});
