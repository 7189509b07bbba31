/**
 * Links from the marks a real tenant supports, against the sandbox and Azurite: a contact's CRM-id stamp
 * and a To Do task's linkedResource link only when CRM has the record they name; the "Tracked to
 * Dynamics 365" category links nothing; a mark written with writeMarker is what the service then learns.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser, TenantSandbox } from '../../../sandbox/index.js';
import { createLogger } from '../../../src/log.js';
import { CRM_ID_PROPERTY_ID } from '../../../src/links/crm-id-property.js';
import { createLinkLearner, type LinkLearner } from '../../../src/links/learn.js';
import { crmRefFromLinkedResources, LINK_APPLICATION_NAME, writeMarker } from '../../../src/links/markers.js';
import { GraphItem, matchItems } from '../../../src/links/match.js';
import type { DataverseClient } from '../../../src/dataverse/client.js';
import type { Store } from '../../../src/store/index.js';
import { startTestAzurite, type TestAzurite } from '../../helpers/azurite.js';
import { testStore } from '../../helpers/store.js';
import { startSandboxClients } from '../graph/sandbox-clients.js';

const GUID = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER = '1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const ours = (externalId: string) => ({ applicationName: LINK_APPLICATION_NAME, externalId });

describe('a task’s linked resources', () => {
  it('name the CRM task only through this service’s own, with a GUID, and only one record', () => {
    expect(crmRefFromLinkedResources([ours(`{${GUID.toUpperCase()}}`)])).toEqual({ entity: 'task', id: GUID });
    expect(crmRefFromLinkedResources([{ applicationName: 'crm outlook delete sync ', externalId: GUID }, ours(GUID)])).toEqual({ entity: 'task', id: GUID });
    expect(crmRefFromLinkedResources([{ applicationName: 'Planner', externalId: GUID }])).toBeNull();
    expect(crmRefFromLinkedResources([ours('task:42')])).toBeNull();
    expect(crmRefFromLinkedResources([ours(GUID), ours(OTHER)])).toBeNull();
    expect(crmRefFromLinkedResources(undefined)).toBeNull();
  });
});

let sandbox: TenantSandbox;
let dataverse: DataverseClient;
let azurite: TestAzurite;
let store: Store;
let learner: LinkLearner;
let graph: Client;
let user: DirectoryUser;

beforeAll(async () => {
  const [clients, started] = await Promise.all([startSandboxClients(), startTestAzurite()]);
  sandbox = clients.sandbox;
  dataverse = clients.dataverse;
  azurite = started;
  store = testStore(azurite.connectionString).store;
  graph = clients.graph;
  learner = createLinkLearner({ graph: clients.graph, dataverse, store, log: createLogger({ level: 'error' }), now: () => new Date() });
  user = sandbox.directory.add({ displayName: 'Mara Marks' });
});
afterAll(async () => {
  await sandbox?.close();
  await azurite?.dispose();
});

const item = (value: Record<string, unknown>) => GraphItem.parse(value);

describe('matching by mark', () => {
  it('links a stamped contact only when CRM has the contact the stamp names', async () => {
    const crmId = await sandbox.dataverse.createContact({ lastname: 'Real', ownerId: user.systemUserId });
    const stamp = (value: string) => [{ id: CRM_ID_PROPERTY_ID, value }];
    const matches = await matchItems(dataverse, 'contact', [
      item({ id: 'c-real', singleValueExtendedProperties: stamp(crmId) }),
      item({ id: 'c-forged', singleValueExtendedProperties: stamp(OTHER) }),
    ]);
    expect(matches).toEqual([{ itemId: 'c-real', crm: { entity: 'contact', id: crmId.toLowerCase() }, role: 'other' }]);
  });

  it('links a To Do task by this service’s linkedResource only when CRM has the task', async () => {
    const crmId = await sandbox.dataverse.createTask({ subject: 'Call back', ownerId: user.systemUserId, statecode: 0 });
    const matches = await matchItems(dataverse, 'todoTask', [
      item({ id: 't-real', linkedResources: [ours(crmId)] }),
      item({ id: 't-forged', linkedResources: [ours(OTHER)] }),
      item({ id: 't-other-app', linkedResources: [{ applicationName: 'Planner', externalId: crmId }] }),
    ]);
    expect(matches.map((m) => [m.itemId, m.crm.id])).toEqual([['t-real', crmId.toLowerCase()]]);
  });

  it('never links by the "Tracked to Dynamics 365" category alone', async () => {
    const categories = ['Tracked to Dynamics 365'];
    for (const kind of ['event', 'message', 'contact', 'todoTask'] as const) {
      expect(await matchItems(dataverse, kind, [item({ id: `${kind}-tracked`, categories })])).toEqual([]);
    }
  });
});

describe('writing a mark', () => {
  it('puts this service\'s linkedResource on a task once and the stamp on a contact, from which the link is then learned', async () => {
    const list = sandbox.graph.defaultTodoList(user.id);
    const task = sandbox.graph.createTask(user.id, { title: 'Tracked' }, list.id);
    const taskId = await sandbox.dataverse.createTask({ subject: 'Tracked', ownerId: user.systemUserId, statecode: 0 });
    const taskRef = { userId: user.id, itemKind: 'todoTask' as const, itemId: String(task.id), listId: list.id };
    const link = { displayName: 'Tracked', webUrl: null };
    expect(await writeMarker(graph, taskRef, { entity: 'task', id: taskId }, link)).toBe('written');
    expect(await writeMarker(graph, taskRef, { entity: 'task', id: taskId }, link)).toBe('present');
    expect(sandbox.graph.store.get(String(task.id))?.linkedResources).toEqual([expect.objectContaining({ applicationName: LINK_APPLICATION_NAME, externalId: taskId.toLowerCase() })]);

    const contact = sandbox.graph.createContact(user.id, { givenName: null, surname: null });
    const contactId = await sandbox.dataverse.createContact({ lastname: 'Tracked', ownerId: user.systemUserId });
    await writeMarker(graph, { userId: user.id, itemKind: 'contact', itemId: String(contact.id), listId: null }, { entity: 'contact', id: contactId }, link);
    const stamped = sandbox.graph.item(user.id, 'contact', String(contact.id));
    expect(stamped?.singleValueExtendedProperties).toEqual([{ id: CRM_ID_PROPERTY_ID, value: contactId.toLowerCase() }]);

    const taskItem = { ...sandbox.graph.item(user.id, 'todoTask', String(task.id)), linkedResources: sandbox.graph.store.get(String(task.id))?.linkedResources };
    expect(await learner.learnItems(user.id, 'todoTask', [item(taskItem)], { listId: list.id, source: 'delta' })).toMatchObject({ linked: 1 });
    expect(await learner.learnItems(user.id, 'contact', [item(stamped ?? {})], { listId: null, source: 'notification' })).toMatchObject({ linked: 1 });
    expect(await store.links.getByItem(user.id, String(task.id))).toMatchObject({ crm: { entity: 'task', id: taskId.toLowerCase() }, listId: list.id });
    expect(await store.links.getByItem(user.id, String(contact.id))).toMatchObject({ crm: { entity: 'contact', id: contactId.toLowerCase() } });
  });
});
