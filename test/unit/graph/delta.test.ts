/** Delta catch-up against the sandbox and Azurite: baselines, deletes enqueued once, lost sync state, scopes. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser, TenantSandbox } from '../../../sandbox/index.js';
import { catchUpScope, DELTA_NAMESPACE, deltaScopes, deltaStateKey, type DeltaDeps, type DeltaScope } from '../../../src/graph/delta.js';
import { createLogger } from '../../../src/log.js';
import { enqueue } from '../../../src/pipeline/enqueue.js';
import { startTestAzurite, type TestAzurite } from '../../helpers/azurite.js';
import { peekQueue, testStore } from '../../helpers/store.js';
import { startSandboxClients } from './sandbox-clients.js';

let sandbox: TenantSandbox;
let azurite: TestAzurite;
let deps: DeltaDeps;
let queueName: string;
let user: DirectoryUser;
const changed: string[] = [];

beforeAll(async () => {
  const [clients, started] = await Promise.all([startSandboxClients(), startTestAzurite()]);
  sandbox = clients.sandbox;
  azurite = started;
  const { config, store } = testStore(azurite.connectionString);
  queueName = config.queue.name;
  deps = {
    graph: clients.graph,
    store,
    log: createLogger({ level: 'error' }),
    now: () => new Date(),
    enqueue: (items) => enqueue(store, items, new Date()),
    onItem: async (_scope, item) => void changed.push(item.id),
  };
  user = sandbox.directory.add({ displayName: 'Dora Delta' });
});
afterAll(async () => {
  await sandbox?.close();
  await azurite?.dispose();
});

let contactsFolder: string;
const contacts = (): DeltaScope => ({ userId: user.id, itemKind: 'contact', containerId: contactsFolder });

describe('catch-up with delta', () => {
  it('sets a baseline first, then turns @removed into one delete event and hands changes to onItem', async () => {
    const kept = sandbox.graph.createContact(user.id, { displayName: 'Kept' });
    const gone = sandbox.graph.createContact(user.id, { displayName: 'Gone' });
    contactsFolder = String(kept.parentFolderId);
    expect(await catchUpScope(contacts(), deps)).toMatchObject({ baseline: true, removed: 0, enqueued: 0 });
    expect(changed).toEqual([]);

    sandbox.graph.userDeletesItem(user.id, 'contact', gone.id as string);
    sandbox.graph.userUpdatesItem(user.id, 'contact', kept.id as string, { displayName: 'Kept, renamed' });
    expect(await catchUpScope(contacts(), deps)).toMatchObject({ baseline: false, removed: 1, enqueued: 1, changed: 1 });
    expect(changed).toEqual([kept.id]);
    const queued = (await peekQueue(azurite.connectionString, queueName)) as { kind: string; event: { id: string; change: string; outlook: { itemId: string } } }[];
    expect(queued).toEqual([
      expect.objectContaining({ kind: 'change', event: expect.objectContaining({ id: `outlook-deleted:${user.id.toLowerCase()}:contact:${gone.id as string}`, change: 'deleted' }) }),
    ]);
    expect(await catchUpScope(contacts(), deps)).toMatchObject({ removed: 0, enqueued: 0 });
  });

  it('starts a new baseline when Graph no longer accepts the stored delta link', async () => {
    const key = deltaStateKey(contacts());
    await deps.store.state.set(DELTA_NAMESPACE, key, JSON.stringify({ link: `${sandbox.graphUrl}/v1.0/users/${user.id}/contactFolders/${contactsFolder}/contacts/delta?$deltatoken=garbage`, windowEnd: null }));
    expect(await catchUpScope(contacts(), deps)).toMatchObject({ baseline: true });
    expect(await deps.store.state.get(DELTA_NAMESPACE, key)).not.toContain('garbage');
  });

  it('replaces a calendar window with less than a year ahead after the round', async () => {
    const events: DeltaScope = { userId: user.id, itemKind: 'event', containerId: null };
    await catchUpScope(events, deps);
    const key = deltaStateKey(events);
    const stored = JSON.parse((await deps.store.state.get(DELTA_NAMESPACE, key))!) as { link: string; windowEnd: string };
    const soon = new Date(Date.now() + 30 * 86_400_000).toISOString();
    await deps.store.state.set(DELTA_NAMESPACE, key, JSON.stringify({ ...stored, windowEnd: soon }));
    await catchUpScope(events, deps);
    const renewed = JSON.parse((await deps.store.state.get(DELTA_NAMESPACE, key))!) as { windowEnd: string };
    expect(Date.parse(renewed.windowEnd)).toBeGreaterThan(Date.now() + 700 * 86_400_000);
  });

  it('has one contacts scope per folder (the default one and the folders in it), none while a mailbox has neither', async () => {
    const empty = sandbox.directory.add({ displayName: 'Ena Empty' });
    expect(await deltaScopes(deps.graph, empty.id, 'contact')).toEqual([]);
    const work = sandbox.graph.createContactFolder(empty.id, 'Work');
    const inWork = sandbox.graph.createContact(empty.id, { givenName: null, surname: null }, work.id);
    const scopes = (await deltaScopes(deps.graph, empty.id, 'contact')).map((s) => s.containerId);
    expect(scopes).toHaveLength(2);
    expect(scopes).toContain(work.id);
    const defaultFolder = scopes.find((id) => id !== work.id) as string;
    // The default folder's round sees a contact created there, the folder's round the one in it.
    const baseline = async (containerId: string) => catchUpScope({ userId: empty.id, itemKind: 'contact', containerId }, deps);
    await baseline(defaultFolder);
    await baseline(work.id);
    const there = sandbox.graph.createContact(empty.id, { displayName: 'Default' });
    expect(there.parentFolderId).toBe(defaultFolder);
    sandbox.graph.userDeletesItem(empty.id, 'contact', inWork.id as string);
    expect(await baseline(defaultFolder)).toMatchObject({ removed: 0, changed: 1 });
    expect(await baseline(work.id)).toMatchObject({ removed: 1, enqueued: 1 });
  });

  it('has one scope per mail folder and per To Do list', async () => {
    const folders = await deltaScopes(deps.graph, user.id, 'message');
    expect(folders.length).toBeGreaterThan(1);
    expect(folders.every((s) => s.containerId !== null)).toBe(true);
    sandbox.graph.createTodoList(user.id, 'Second list');
    expect((await deltaScopes(deps.graph, user.id, 'todoTask')).map((s) => s.containerId)).toHaveLength(2);
  });
});
