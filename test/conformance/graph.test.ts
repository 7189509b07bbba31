/**
 * The Graph half of the conformance check. The checker against the pinned Graph v1.0 metadata extract
 * (test/conformance/metadata/graph-v1.0.json) finds paths, members and types Graph does not have; the
 * e2e suite's worlds record every call the sandbox answers through it and fail on any violation
 * (test/helpers/e2e-world.ts). Here: the checker itself, and one pass of the service's Graph work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantSandbox } from '../../sandbox/index.js';
import { fanOut, graphBatchTransport } from '../../src/graph/batch.js';
import { createContact, deleteOp, findEventsByICalUId } from '../../src/graph/items.js';
import { createSubscriptionManager } from '../../src/graph/subscriptions.js';
import { listSyncedUsers } from '../../src/graph/synced-users.js';
import { pollTodo } from '../../src/graph/todo-poller.js';
import { backfillLinks } from '../../src/links/backfill.js';
import { createLinkLearner } from '../../src/links/learn.js';
import { LINK_APPLICATION_NAME } from '../../src/links/markers.js';
import { createLogger } from '../../src/log.js';
import { enqueue } from '../../src/pipeline/enqueue.js';
import { startTestAzurite, type TestAzurite } from '../helpers/azurite.js';
import { testStore } from '../helpers/store.js';
import { startNotificationEndpoint, type NotificationEndpoint } from '../unit/graph/notification-endpoint.js';
import { startSandboxClients, type SandboxClients } from '../unit/graph/sandbox-clients.js';
import { graphConformance } from './graph-calls.js';
import { GraphMetadata } from './graph-metadata.js';

const metadata = new GraphMetadata();
const call = (method: string, url: string, extra: { body?: unknown; status?: number; responseBody?: unknown } = {}) => {
  const [path = '', query = ''] = url.split('?');
  return metadata.check({ method, path, query: new URLSearchParams(query), body: extra.body, status: extra.status ?? 200, responseBody: extra.responseBody });
};

describe('the Graph metadata check', () => {
  it('names its source and commit', () => {
    expect(metadata.metadata.source).toEqual(expect.objectContaining({ repository: 'microsoftgraph/msgraph-metadata', commit: 'f54f11b60956ea7b185ca0447b2b80805836ec7b' }));
  });

  it('resolves the paths the service uses, and refuses ones Graph does not have', () => {
    for (const ok of [
      '/users/u/events/e/cancel',
      '/users/u/calendarView/delta?startDateTime=2031-01-01T00:00:00Z&endDateTime=2032-01-01T00:00:00Z',
      '/users/u/contactFolders/f/contacts/delta',
      '/users/u/mailFolders/inbox/messages/delta',
      '/users/u/todo/lists/l/tasks/delta?$expand=linkedResources',
      '/users/u/todo/lists/l/tasks/t/linkedResources',
      "/users/u/contacts?$select=id,parentFolderId&$expand=singleValueExtendedProperties($filter=id eq 'x')",
      '/groups/g/members/microsoft.graph.user?$select=id,userPrincipalName&$top=100',
      '/subscriptions/s/reauthorize',
    ]) {
      expect(call(ok.includes('cancel') || ok.includes('reauthorize') ? 'POST' : 'GET', ok), ok).toEqual([]);
    }
    expect(call('GET', '/users/u/todo/lists/l/tasks/t?$expand=singleValueExtendedProperties')).toEqual([expect.stringMatching(/not a navigation property of todoTask/)]);
    // A user property on the directoryObject collection needs the documented cast to user.
    expect(call('GET', '/groups/g/members?$select=id,userPrincipalName')).toEqual([expect.stringMatching(/'userPrincipalName', not a member of directoryObject/)]);
    expect(call('GET', '/users/u/tasks')).toEqual([expect.stringMatching(/no navigation property 'tasks'/)]);
    expect(call('GET', '/users/u/contacts?$select=crmid')).toEqual([expect.stringMatching(/'crmid', not a member of contact/)]);
    expect(call('POST', '/users/u/todo/lists/l/tasks/t/cancel')).toEqual([expect.stringMatching(/no navigation property 'cancel'/)]);
  });

  it('checks bodies and responses against the type, its base types and the derived type @odata.type names', () => {
    expect(call('POST', '/users/u/contacts', { body: { givenName: null, surname: 'X', emailAddresses: [{ address: 'a@b.c' }] }, status: 201 })).toEqual([]);
    expect(call('POST', '/users/u/todo/lists/l/tasks', { body: { title: 'x', singleValueExtendedProperties: [] } })).toEqual([expect.stringMatching(/todoTask has no property 'singleValueExtendedProperties'/)]);
    expect(call('PATCH', '/users/u/events/e', { body: { start: { dateTime: 1 } } })).toEqual([expect.stringMatching(/is not Edm.String/)]);
    expect(call('GET', '/users/u/events', { responseBody: { value: [{ id: 'e', isCancelled: 'no' }] } })).toEqual([expect.stringMatching(/isCancelled: "no" is not Edm.Boolean/)]);
    expect(call('GET', '/groups/g/members', { responseBody: { value: [{ '@odata.type': '#microsoft.graph.user', id: 'u', userPrincipalName: 'a@b.c' }] } })).toEqual([]);
    expect(call('GET', '/users/u/todo/lists/l/tasks/t', { responseBody: { id: 't', status: 'finished' } })).toEqual([expect.stringMatching(/'finished' is not a taskStatus member/)]);
    expect(call('POST', '/users/u/translateExchangeIds', { body: { inputIds: ['x'], targetIdType: 'restImmutableEntryId', nope: 1 }, responseBody: { value: [{ sourceId: 'x', targetId: 'y' }] } })).toEqual([
      expect.stringMatching(/has no parameter 'nope'/),
    ]);
  });
});

describe('the service’s Graph work against the sandbox', () => {
  let clients: SandboxClients;
  let sandbox: TenantSandbox;
  let azurite: TestAzurite;
  let receiver: NotificationEndpoint;
  const conformance = graphConformance(metadata);

  beforeAll(async () => {
    [clients, azurite] = await Promise.all([startSandboxClients(), startTestAzurite()]);
    sandbox = clients.sandbox;
    sandbox.graph.record((e) => conformance.record(e));
    receiver = await startNotificationEndpoint();
  });
  afterAll(async () => {
    await receiver?.close();
    await sandbox?.close();
    await azurite?.dispose();
  });

  it('sends and is answered only what Graph v1.0 has', async () => {
    const { graph, dataverse } = clients;
    const { store } = testStore(azurite.connectionString);
    const log = createLogger({ level: 'error' });
    const user = sandbox.directory.add({ displayName: 'Cora Conformance' });
    const group = sandbox.graph.addGroup('Synced', [user.id]);
    const { url } = receiver;
    const deps = { graph, store, log, now: () => new Date(), enqueue: (items: Parameters<typeof enqueue>[1]) => enqueue(store, items, new Date()) };

    const event = sandbox.graph.createEvent(user.id, { subject: 'x', start: { dateTime: '2031-01-01T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2031-01-01T11:00:00', timeZone: 'UTC' }, categories: ['Tracked to Dynamics 365'] });
    sandbox.graph.createContact(user.id, { givenName: 'Ann', surname: null });
    const list = sandbox.graph.defaultTodoList(user.id);
    const task = sandbox.graph.createTask(user.id, { title: 'x' }, list.id);
    await listSyncedUsers(graph, { groupId: group.id, users: [user.userPrincipalName] });
    await createSubscriptionManager({ ...deps, notificationUrl: `${url}/n`, lifecycleNotificationUrl: `${url}/l`, tenantId: sandbox.tenantId }).reconcile([user.id]);
    await pollTodo([user.id], deps);
    await graph.api(`/users/${user.id}/todo/lists/${list.id}/tasks/${String(task.id)}/linkedResources`).post({ applicationName: LINK_APPLICATION_NAME, externalId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' });
    await pollTodo([user.id], deps);
    const learner = createLinkLearner({ graph, dataverse, store, log, now: () => new Date() });
    await backfillLinks({ graph, store, log, learner }, { userIds: [user.id] });
    await findEventsByICalUId(graph, user.id, String(event.iCalUId));
    const restored = await createContact(graph, user.id, { givenName: null, surname: 'Back', emailAddresses: [{ address: 'back@fabrikam.test' }] });
    await fanOut(
      graphBatchTransport(graph),
      [
        deleteOp('e', { userId: user.id, itemKind: 'event', itemId: String(event.id), listId: null }),
        deleteOp('c', { userId: user.id, itemKind: 'contact', itemId: restored.id, listId: null }),
        deleteOp('t', { userId: user.id, itemKind: 'todoTask', itemId: String(task.id), listId: list.id }),
      ],
      { deadline: Date.now() + 20_000 },
    );
    expect(conformance.checked).toBeGreaterThan(20);
    expect(conformance.violations).toEqual([]);
  });
});
