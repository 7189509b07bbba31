/**
 * Registration of the webhook, steps and pre-images: the plan on its own (pure), then plan + apply
 * against the tenant sandbox, which validates the rows as Dataverse does and fires the registered steps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../sandbox/index.js';
import {
  applyPlan,
  AUTH_WEBHOOK_KEY,
  countActions,
  ENDPOINT_NAME,
  planRegistration,
  planRemoval,
  readMessageFilters,
  readRegistration,
  SNAPSHOT_COLUMNS,
  TRACKED_TABLES,
  type CurrentRegistration,
  type MessageFilters,
  type Plan,
  type RegistrationTarget,
} from '../../../src/dataverse/registration.js';
import { isDeleteSyncError } from '../../../src/errors.js';
import { startSandboxClients, type SandboxClients } from '../graph/sandbox-clients.js';
import { startReceiver } from '../sandbox/dataverse/harness.js';

const KEY = 'first-function-key-0123456789';
const NOTHING: CurrentRegistration = { endpoint: null, steps: [], images: [] };
const ORG = 'https://contoso.crm.dynamics.com';

function knownFilters(): MessageFilters {
  const messages = { Create: 'c0000000-0000-0000-0000-000000000000', Update: 'u0000000-0000-0000-0000-000000000000', Delete: 'd0000000-0000-0000-0000-000000000000' };
  const filters: Record<string, string> = {};
  for (const [message, id] of Object.entries(messages)) for (const table of TRACKED_TABLES) filters[`${message}:${table}`] = `${id.slice(0, 1)}${table}`;
  return { messages, filters };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isDeleteSyncError(error) ? error.code : 'not coded';
  }
  return undefined;
}

describe('planRegistration (pure)', () => {
  const target: RegistrationTarget = { dataverseUrl: ORG, endpointUrl: 'https://app.example/api/dataverse/webhook', key: KEY };

  it('on an empty org creates the endpoint, a step per message × table and a pre-image on every Delete and Update step', () => {
    const plan = planRegistration(target, NOTHING, knownFilters());
    expect(countActions(plan)).toEqual({ create: 1 + 15 + 10, update: 0, unchanged: 0, delete: 0 });
    const endpoint = plan.items[0];
    expect(endpoint).toMatchObject({ kind: 'endpoint', action: 'create', write: { name: ENDPOINT_NAME, contract: 8, authtype: AUTH_WEBHOOK_KEY, messageformat: 2, url: target.endpointUrl, authvalue: KEY } });
    const steps = plan.items.filter((i) => i.kind === 'step');
    expect(steps.map((s) => s.label).sort()).toEqual(['Create', 'Delete', 'Update'].flatMap((m) => TRACKED_TABLES.map((t) => `${m} of ${t}`)).sort());
    for (const step of steps) expect(step.write).toMatchObject({ stage: 40, mode: 1, asyncautodelete: true });
    expect(steps.find((s) => s.label === 'Update of email')?.write?.filteringattributes).toBe('statecode,ownerid,messageid');
    expect(steps.find((s) => s.label === 'Delete of email')?.write?.filteringattributes).toBeNull();
    const images = plan.items.filter((i) => i.kind === 'image');
    expect(images.map((i) => i.label).sort()).toEqual(['Delete', 'Update'].flatMap((m) => TRACKED_TABLES.map((t) => `PreImage on ${m} of ${t}`)).sort());
    expect(images.find((i) => i.label === 'PreImage on Delete of appointment')?.write).toEqual({
      name: 'PreImage',
      entityalias: 'PreImage',
      imagetype: 0,
      messagepropertyname: 'Target',
      attributes: SNAPSHOT_COLUMNS.appointment.join(','),
    });
  });

  it('the key is not in the stored check value, and no key means none to create the endpoint with', () => {
    const description = String(planRegistration(target, NOTHING, knownFilters()).items[0]?.write?.description);
    expect(description).toMatch(/key-check scrypt:[\w-]{43}$/);
    expect(description).not.toContain(KEY);
    expect(codeOf(() => planRegistration({ ...target, key: undefined }, NOTHING, knownFilters()))).toBe('DS_ERR_CONFIG');
  });

  it('switching an endpoint registered with another authentication (e.g. HttpHeader) to WebhookKey needs the key', () => {
    const endpoint = { serviceendpointid: 'e', name: ENDPOINT_NAME, url: target.endpointUrl, contract: 8, authtype: 5, messageformat: 2, description: null };
    expect(codeOf(() => planRegistration({ ...target, key: undefined }, { ...NOTHING, endpoint }, knownFilters()))).toBe('DS_ERR_CONFIG');
    expect(planRegistration(target, { ...NOTHING, endpoint }, knownFilters()).items[0]).toMatchObject({ action: 'update', changes: ['authtype', 'description', 'authvalue'] });
  });

  it('an org without the message filters is an upstream problem', () => {
    const known = knownFilters();
    delete known.filters['Delete:contact'];
    expect(codeOf(() => planRegistration(target, NOTHING, known))).toBe('DS_ERR_UPSTREAM');
  });

  it('removal of nothing is an empty plan', () => {
    expect(planRemoval(NOTHING)).toEqual({ items: [] });
  });
});

describe('register / remove against the sandbox', () => {
  let s: SandboxClients;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let alice: DirectoryUser;
  let target: RegistrationTarget;

  beforeAll(async () => {
    [s, receiver] = await Promise.all([startSandboxClients(), startReceiver()]);
    alice = s.sandbox.directory.add({ displayName: 'Alice Organizer', canDelete: true });
    target = { dataverseUrl: s.sandbox.dataverseUrl, endpointUrl: receiver.url, key: KEY };
  });

  afterAll(async () => {
    await Promise.all([s.sandbox.close(), receiver.close()]);
  });

  const rows = (table: string) => s.sandbox.dataverse.query(table);
  const registered = () => ({ endpoints: rows('serviceendpoint'), steps: rows('sdkmessageprocessingstep'), images: rows('sdkmessageprocessingstepimage') });

  async function plan(t: RegistrationTarget = target): Promise<Plan> {
    return planRegistration(t, await readRegistration(s.dataverse), await readMessageFilters(s.dataverse));
  }

  async function registerWith(t: RegistrationTarget = target): Promise<Plan> {
    return applyPlan(s.dataverse, await plan(t));
  }

  it('creates the endpoint, 15 steps and 10 pre-images; a second run changes nothing', async () => {
    const first = await registerWith();
    expect(countActions(first)).toEqual({ create: 26, update: 0, unchanged: 0, delete: 0 });
    expect(first.items.every((i) => typeof i.id === 'string')).toBe(true);
    const { endpoints, steps, images } = registered();
    expect(endpoints).toEqual([expect.objectContaining({ name: ENDPOINT_NAME, contract: 8, authtype: 4, messageformat: 2, url: receiver.url, authvalue: KEY })]);
    expect(steps).toHaveLength(15);
    for (const step of steps) expect(step).toMatchObject({ stage: 40, mode: 1, statecode: 0, eventhandler: { logicalName: 'serviceendpoint', id: endpoints[0]?.serviceendpointid } });
    expect(images.map((i) => i.attributes).sort()).toEqual(['Delete', 'Update'].flatMap(() => TRACKED_TABLES.map((t) => SNAPSHOT_COLUMNS[t].join(','))).sort());

    const versions = JSON.stringify(registered());
    const second = await registerWith();
    expect(countActions(second)).toEqual({ create: 0, update: 0, unchanged: 26, delete: 0 });
    expect(JSON.stringify(registered())).toBe(versions);
    // Without a key the registered one stays.
    expect(countActions(await plan({ ...target, key: undefined }))).toMatchObject({ unchanged: 26 });
  });

  it("a user's Delete posts the registered pre-image columns, exactly, with ?code=<key>", async () => {
    const start = Date.now() + 86_400_000;
    const id = await s.sandbox.dataverse.createAppointment({ subject: 'Review', start, end: start + 1_800_000, organizer: { logicalName: 'systemuser', id: alice.systemUserId } });
    const taskId = await s.sandbox.dataverse.createTask({ subject: 'Call back', ownerId: alice.systemUserId });
    await s.sandbox.dataverse.userDeletes(alice.systemUserId, 'appointment', id);
    await s.sandbox.dataverse.userDeletes(alice.systemUserId, 'task', taskId);
    await s.sandbox.dataverse.settle();
    const preImage = (recordId: string) => {
      const delivery = receiver.received.find((r) => r.body.PrimaryEntityId === recordId && r.body.MessageName === 'Delete');
      expect(new URL(delivery?.url ?? '/', 'http://x').searchParams.get('code')).toBe(KEY);
      const images = delivery?.body.PreEntityImages as { key: string; value: { Attributes: { key: string }[] } }[];
      expect(images.map((i) => i.key)).toEqual(['PreImage']);
      return images[0]?.value.Attributes.map((a) => a.key).sort();
    };
    // Columns without a value are left out of an image: a single meeting has no seriesid or originalstartdate.
    expect(preImage(id)).toEqual(SNAPSHOT_COLUMNS.appointment.filter((c) => c !== 'seriesid' && c !== 'originalstartdate').sort());
    expect(preImage(taskId)).toEqual([...SNAPSHOT_COLUMNS.task].sort());
    // The Create steps fired too (the snapshots), without an image.
    const created = receiver.received.find((r) => r.body.PrimaryEntityId === id && r.body.MessageName === 'Create');
    expect(created?.body.PreEntityImages).toEqual([]);
  });

  it('a new endpoint URL or key updates the endpoint only; a dry run of it changes nothing', async () => {
    const moved = { ...target, endpointUrl: `${receiver.url}?route=v2` };
    const before = JSON.stringify(registered());
    const dry = await plan(moved);
    expect(dry.items.filter((i) => i.action !== 'unchanged')).toEqual([expect.objectContaining({ kind: 'endpoint', action: 'update', changes: ['url'] })]);
    expect(JSON.stringify(registered())).toBe(before);

    await registerWith(moved);
    expect(rows('serviceendpoint')[0]).toMatchObject({ url: moved.endpointUrl, authvalue: KEY });
    const rekeyed = await registerWith({ ...target, key: 'second-function-key-9876543210' });
    expect(rekeyed.items.filter((i) => i.action !== 'unchanged')).toEqual([
      expect.objectContaining({ kind: 'endpoint', action: 'update', changes: ['url', 'description', 'authvalue'] }),
    ]);
    expect(rows('serviceendpoint')[0]).toMatchObject({ url: receiver.url, authvalue: 'second-function-key-9876543210' });
    expect(countActions(await plan({ ...target, key: 'second-function-key-9876543210' }))).toMatchObject({ unchanged: 26 });
    await registerWith();
  });

  it('repairs drift: a disabled step, changed filtering attributes, a stray image and a stray step on the endpoint', async () => {
    const current = await readRegistration(s.dataverse);
    const step = (label: string) => current.steps.find((st) => st.name === `delete-sync: ${label}`)?.sdkmessageprocessingstepid as string;
    await s.dataverse.update('sdkmessageprocessingsteps', step('Delete of task'), { statecode: 1, statuscode: 2 });
    await s.dataverse.update('sdkmessageprocessingsteps', step('Update of contact'), { filteringattributes: 'statecode' });
    await s.dataverse.create('sdkmessageprocessingstepimages', {
      name: 'Everything',
      entityalias: 'Everything',
      imagetype: 0,
      messagepropertyname: 'Target',
      'sdkmessageprocessingstepid@odata.bind': `/sdkmessageprocessingsteps(${step('Delete of email')})`,
    });
    const strayStep = await s.dataverse.create('sdkmessageprocessingsteps', {
      name: 'someone else: Delete of email',
      stage: 40,
      mode: 1,
      'eventhandler_serviceendpoint@odata.bind': `/serviceendpoints(${current.endpoint?.serviceendpointid})`,
      'sdkmessageid@odata.bind': `/sdkmessages(${s.sandbox.dataverse.messageIds.Delete})`,
      'sdkmessagefilterid@odata.bind': `/sdkmessagefilters(${current.steps.find((st) => st.sdkmessageprocessingstepid === step('Delete of email'))?._sdkmessagefilterid_value})`,
    });

    const repaired = await registerWith();
    expect(repaired.items.filter((i) => i.action !== 'unchanged').map((i) => [i.action, i.kind, i.label, i.changes])).toEqual([
      ['update', 'step', 'Delete of task', ['statecode']],
      ['delete', 'image', 'Everything on Delete of email', []],
      ['update', 'step', 'Update of contact', ['filteringattributes']],
      ['delete', 'step', 'someone else: Delete of email', []],
    ]);
    expect(s.sandbox.dataverse.get('sdkmessageprocessingstep', step('Delete of task'))).toMatchObject({ statecode: 0, statuscode: 1 });
    expect(s.sandbox.dataverse.exists('sdkmessageprocessingstep', strayStep)).toBe(false);
    expect(countActions(await plan())).toMatchObject({ unchanged: 26 });
  });

  it('remove takes out images, steps and endpoint, in that order; a second remove has nothing to do', async () => {
    const removal = planRemoval(await readRegistration(s.dataverse));
    const dryBefore = JSON.stringify(registered());
    expect(countActions(removal)).toEqual({ create: 0, update: 0, unchanged: 0, delete: 26 });
    expect(JSON.stringify(registered())).toBe(dryBefore);
    expect(removal.items.at(-1)).toMatchObject({ kind: 'endpoint', label: ENDPOINT_NAME });
    const kinds = removal.items.map((i) => i.kind);
    expect(kinds.lastIndexOf('image')).toBeLessThan(kinds.indexOf('endpoint'));

    await applyPlan(s.dataverse, removal);
    expect(registered()).toEqual({ endpoints: [], steps: [], images: [] });
    expect(planRemoval(await readRegistration(s.dataverse))).toEqual({ items: [] });
  });
});
