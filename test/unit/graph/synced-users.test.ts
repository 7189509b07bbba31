/** Synced mailboxes from an Entra group (paged) and SYNC_USERS, read through Graph from the sandbox. */
import type { Client } from '@microsoft/microsoft-graph-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser, TenantSandbox } from '../../../sandbox/index.js';
import { listSyncedUsers } from '../../../src/graph/synced-users.js';
import { startSandboxClients } from './sandbox-clients.js';

let sandbox: TenantSandbox;
let graph: Client;
let members: DirectoryUser[];
let outsider: DirectoryUser;

beforeAll(async () => {
  ({ sandbox, graph } = await startSandboxClients());
  members = Array.from({ length: 130 }, (_, i) => sandbox.directory.add({ displayName: `Member ${i}` }));
  outsider = sandbox.directory.add({ displayName: 'Outside Person' });
});
afterAll(async () => sandbox?.close());

describe('listSyncedUsers', () => {
  it('reads every page of the group and adds listed users once, by id or UPN', async () => {
    const group = sandbox.graph.addGroup('CRM synced', members.map((m) => m.id));
    const result = await listSyncedUsers(graph, {
      groupId: group.id,
      users: [outsider.userPrincipalName.toLowerCase(), members[0]!.userPrincipalName.toLowerCase(), members[1]!.id, 'nobody@contoso.test'],
    });
    expect(result.users).toHaveLength(131);
    expect(new Set(result.users.map((u) => u.id))).toEqual(new Set([...members, outsider].map((m) => m.id)));
    expect(result.users.find((u) => u.id === outsider.id)?.userPrincipalName).toBe(outsider.userPrincipalName);
    expect(result.unknown).toEqual(['nobody@contoso.test']);
  });

  it('sees membership as it is now', async () => {
    const group = sandbox.graph.addGroup('Changing', [members[2]!.id]);
    expect((await listSyncedUsers(graph, { groupId: group.id, users: [] })).users.map((u) => u.id)).toEqual([members[2]!.id]);
    group.memberIds.push(members[3]!.id);
    expect((await listSyncedUsers(graph, { groupId: group.id, users: [] })).users.map((u) => u.id)).toEqual([members[2]!.id, members[3]!.id]);
  });

  it('refuses to run with no mailbox configured', async () => {
    await expect(listSyncedUsers(graph, { groupId: undefined, users: [] })).rejects.toMatchObject({ code: 'DS_ERR_CONFIG', field: 'SYNC_GROUP_ID' });
  });
});
