/**
 * The Graph application permissions in docs/operator-guide.md § 1.1 are exactly what the service needs:
 * with that list, every kind of Graph work the service does succeeds against the sandbox (which checks
 * the roles each endpoint documents from the token's `roles` claim); with any one of them left out, the
 * work the guide says needs it fails. Each run signs in as its own app registration, so its tokens carry
 * exactly that run's roles.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser, TenantSandbox } from '../../../sandbox/index.js';
import { createCredential } from '../../../src/graph/auth.js';
import { fanOut, graphBatchTransport } from '../../../src/graph/batch.js';
import { createGraphClient } from '../../../src/graph/client.js';
import { createContact, deleteOp } from '../../../src/graph/items.js';
import { createSubscriptionManager } from '../../../src/graph/subscriptions.js';
import { listSyncedUsers } from '../../../src/graph/synced-users.js';
import { pollTodo } from '../../../src/graph/todo-poller.js';
import { createLogger } from '../../../src/log.js';
import { enqueue } from '../../../src/pipeline/enqueue.js';
import { startTestAzurite, type TestAzurite } from '../../helpers/azurite.js';
import { testStore } from '../../helpers/store.js';
import { startNotificationEndpoint, type NotificationEndpoint } from './notification-endpoint.js';
import { startSandboxClients } from './sandbox-clients.js';

/** The roles the guide's table lists (first column). */
function documentedRoles(): string[] {
  const guide = readFileSync(new URL('../../../docs/operator-guide.md', import.meta.url), 'utf8');
  const section = guide.slice(guide.indexOf('### 1.1 Microsoft Graph application permissions'), guide.indexOf('### 1.2'));
  return [...section.matchAll(/^\| `([A-Za-z.]+)` \|/gm)].map((m) => m[1] as string);
}

/** What needs each role, as the guide's "Fails without it" column says. */
const needs: Record<string, string> = {
  'Calendars.Read': 'subscribe:event',
  'Calendars.ReadWrite': 'delete:event',
  'Contacts.Read': 'subscribe:contact',
  'Contacts.ReadWrite': 'delete:contact',
  'Mail.Read': 'subscribe:message',
  'Tasks.ReadWrite.All': 'todo:poll',
  'GroupMember.Read.All': 'users:group',
  'User.Read.All': 'users:upn',
};

let sandbox: TenantSandbox;
let azurite: TestAzurite;
let receiver: NotificationEndpoint;
let receiverUrl: string;
let user: DirectoryUser;
let groupId: string;

beforeAll(async () => {
  const [clients, started] = await Promise.all([startSandboxClients(), startTestAzurite()]);
  sandbox = clients.sandbox;
  azurite = started;
  receiver = await startNotificationEndpoint();
  receiverUrl = receiver.url;
  user = sandbox.directory.add({ displayName: 'Pia Permissions' });
  groupId = sandbox.graph.addGroup('Synced', [user.id]).id;
});
afterAll(async () => {
  await receiver?.close();
  await sandbox?.close();
  await azurite?.dispose();
});

/** Runs each kind of Graph work once as a new app with `roles`; returns what failed. */
async function failuresWith(roles: string[]): Promise<string[]> {
  const app = sandbox.registerClient(roles);
  const credential = createCredential({ kind: 'client-secret', tenantId: sandbox.tenantId, clientId: app.clientId, clientSecret: app.clientSecret, authorityHost: sandbox.loginUrl, ca: sandbox.ca });
  const graph = createGraphClient({ credential, baseUrl: sandbox.graphUrl });
  const { store } = testStore(azurite.connectionString);
  const log = createLogger({ level: 'error' });
  const deltaDeps = { graph, store, log, now: () => new Date(), enqueue: (items: Parameters<typeof enqueue>[1]) => enqueue(store, items, new Date()) };
  const failed: string[] = [];
  const attempt = async (name: string, work: () => Promise<boolean>) => {
    try {
      if (!(await work())) failed.push(name);
    } catch {
      failed.push(name);
    }
  };

  sandbox.graph.createContact(user.id, { displayName: 'Somebody' });
  const manager = createSubscriptionManager({ ...deltaDeps, notificationUrl: `${receiverUrl}/n`, lifecycleNotificationUrl: `${receiverUrl}/l`, tenantId: sandbox.tenantId });
  const outcomes = await manager.reconcile([user.id]);
  for (const o of outcomes) if (o.action !== 'created') failed.push(`subscribe:${o.itemKind}`);
  for (const sub of sandbox.graph.listSubscriptions().filter((s) => s.applicationId === app.clientId)) sandbox.graph.subscriptions.remove(sub.id);

  await attempt('todo:poll', async () => (await pollTodo([user.id], deltaDeps)).every((r) => r.error === null));
  await attempt('users:group', async () => (await listSyncedUsers(graph, { groupId, users: [] })).users.some((u) => u.userPrincipalName === user.userPrincipalName));
  await attempt('users:upn', async () => (await listSyncedUsers(graph, { groupId: undefined, users: [user.userPrincipalName] })).users.length === 1);
  await attempt('restore:contact', async () => (await createContact(graph, user.id, { givenName: null, surname: 'Back' })).id.length > 0);

  const event = sandbox.graph.createEvent(user.id, { subject: 'x', start: { dateTime: '2031-01-01T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2031-01-01T11:00:00', timeZone: 'UTC' } });
  const contact = sandbox.graph.createContact(user.id, { displayName: 'Copy' });
  const list = sandbox.graph.defaultTodoList(user.id);
  const task = sandbox.graph.createTask(user.id, { title: 'x' }, list.id);
  const ops = [
    deleteOp('delete:event', { userId: user.id, itemKind: 'event', itemId: String(event.id), listId: null }),
    deleteOp('delete:contact', { userId: user.id, itemKind: 'contact', itemId: String(contact.id), listId: null }),
    deleteOp('delete:task', { userId: user.id, itemKind: 'todoTask', itemId: String(task.id), listId: list.id }),
  ];
  for (const outcome of await fanOut(graphBatchTransport(graph), ops, { deadline: Date.now() + 20_000 })) if (outcome.status !== 'done') failed.push(outcome.key);
  return failed.sort();
}

describe('the documented Graph application permissions', () => {
  it('list one role per need the guide names', () => {
    expect(documentedRoles().sort()).toEqual(Object.keys(needs).sort());
  });

  it('are sufficient: with exactly them, every kind of Graph work succeeds', async () => {
    expect(await failuresWith(documentedRoles())).toEqual([]);
  });

  it('are minimal: without any one of them, the work the guide names fails', async () => {
    for (const role of documentedRoles()) {
      const failed = await failuresWith(documentedRoles().filter((r) => r !== role));
      expect(failed, `without ${role}`).toContain(needs[role]);
    }
  });

  it('do not open event subscriptions with Calendars.ReadWrite alone, nor message ones with Mail.ReadBasic', async () => {
    const failed = await failuresWith(documentedRoles().filter((r) => r !== 'Calendars.Read' && r !== 'Mail.Read').concat('Mail.ReadBasic'));
    expect(failed).toEqual(expect.arrayContaining(['subscribe:event', 'subscribe:message']));
    expect(failed).not.toContain('delete:event');
  });
});

describe('a 403 on subscribe', () => {
  it('is retried on each run until the grace has passed, then the mailbox is blocked; a role granted meanwhile ends it', async () => {
    const app = sandbox.registerClient(documentedRoles().filter((r) => r !== 'Calendars.Read'));
    const credential = createCredential({ kind: 'client-secret', tenantId: sandbox.tenantId, clientId: app.clientId, clientSecret: app.clientSecret, authorityHost: sandbox.loginUrl, ca: sandbox.ca });
    const graph = createGraphClient({ credential, baseUrl: sandbox.graphUrl });
    const { store } = testStore(azurite.connectionString);
    let now = Date.now();
    const deps = {
      graph,
      store,
      log: createLogger({ level: 'error' }),
      now: () => new Date(now),
      enqueue: (items: Parameters<typeof enqueue>[1]) => enqueue(store, items, new Date()),
      notificationUrl: `${receiverUrl}/n`,
      lifecycleNotificationUrl: `${receiverUrl}/l`,
      tenantId: sandbox.tenantId,
      forbiddenGraceMs: 10 * 60_000,
    };
    const events = async () => (await createSubscriptionManager(deps).reconcile([user.id])).find((o) => o.itemKind === 'event')!;
    expect(await events()).toMatchObject({ action: 'failed', detail: expect.stringMatching(/403/) });
    now += 9 * 60_000;
    expect((await events()).action).toBe('failed');
    now += 2 * 60_000;
    expect((await events()).action).toBe('blocked');
    expect((await events()).action).toBe('blocked');

    // Granted now: a new sign-in carries the role; an operator retries the blocked mailbox.
    app.graphRoles = documentedRoles();
    const granted = createGraphClient({ credential: createCredential({ kind: 'client-secret', tenantId: sandbox.tenantId, clientId: app.clientId, clientSecret: app.clientSecret, authorityHost: sandbox.loginUrl, ca: sandbox.ca }), baseUrl: sandbox.graphUrl });
    const retried = await createSubscriptionManager({ ...deps, graph: granted }).reconcile([user.id], { retryBlocked: true });
    expect(retried.find((o) => o.itemKind === 'event')!.action).toBe('created');
  });
});
