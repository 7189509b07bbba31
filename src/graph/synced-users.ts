/**
 * Which mailboxes are synced: the members of an Entra group (SYNC_GROUP_ID, read through Graph page by
 * page) plus an explicit list (SYNC_USERS, object ids or UPNs). Read afresh on every timer run, so a
 * membership change is picked up on the next run. Every entry is resolved to its Entra object id: the
 * id notifications, links and subscriptions use.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { DeleteSyncError } from '../errors.js';
import { graphStatus } from './errors.js';

export interface SyncedUsersSource {
  groupId: string | undefined;
  /** Object ids or UPNs. */
  users: readonly string[];
}

export const SyncedUser = z.object({ id: z.string().min(1), userPrincipalName: z.string().nullable() });
export type SyncedUser = z.infer<typeof SyncedUser>;

const MemberPage = z.looseObject({
  value: z.array(z.looseObject({ '@odata.type': z.string().optional(), id: z.string(), userPrincipalName: z.string().nullish() })),
  '@odata.nextLink': z.string().optional(),
});

const USER_TYPE = '#microsoft.graph.user';

/**
 * Direct user members of the group (nested groups and devices are not mailboxes and are skipped), read
 * through the documented OData cast `members/microsoft.graph.user` ("List group members"): the user
 * properties selected belong to user, not to the directoryObject the plain collection holds.
 */
async function groupMembers(client: Client, groupId: string): Promise<SyncedUser[]> {
  const users: SyncedUser[] = [];
  let url: string | undefined = `/groups/${encodeURIComponent(groupId)}/members/microsoft.graph.user?$select=id,userPrincipalName&$top=100`;
  while (url !== undefined) {
    const page = MemberPage.parse(await client.api(url).get());
    for (const m of page.value) {
      if (m['@odata.type'] === undefined || m['@odata.type'].toLowerCase() === USER_TYPE) {
        users.push({ id: m.id, userPrincipalName: m.userPrincipalName ?? null });
      }
    }
    url = page['@odata.nextLink'];
  }
  return users;
}

/** The user an object id or UPN names; null when there is none. */
export async function resolveUser(client: Client, idOrUpn: string): Promise<SyncedUser | null> {
  try {
    const user = SyncedUser.parse(
      (await client.api(`/users/${encodeURIComponent(idOrUpn)}`).select(['id', 'userPrincipalName']).get()) as unknown,
    );
    return { id: user.id, userPrincipalName: user.userPrincipalName };
  } catch (error) {
    if (graphStatus(error) === 404) return null;
    throw error;
  }
}

export interface SyncedUsersResult {
  users: SyncedUser[];
  /** Configured entries that named no user (reported, not fatal). */
  unknown: string[];
}

export async function listSyncedUsers(client: Client, source: SyncedUsersSource): Promise<SyncedUsersResult> {
  if (source.groupId === undefined && source.users.length === 0) {
    throw new DeleteSyncError('DS_ERR_CONFIG', 'Set SYNC_GROUP_ID or SYNC_USERS: no mailbox is synced', { field: 'SYNC_GROUP_ID' });
  }
  const byId = new Map<string, SyncedUser>();
  if (source.groupId !== undefined) for (const u of await groupMembers(client, source.groupId)) byId.set(u.id.toLowerCase(), u);
  const unknown: string[] = [];
  for (const entry of source.users) {
    const known = [...byId.values()].some((u) => u.id.toLowerCase() === entry || u.userPrincipalName?.toLowerCase() === entry);
    if (known) continue;
    const user = await resolveUser(client, entry);
    if (user === null) unknown.push(entry);
    else byId.set(user.id.toLowerCase(), user);
  }
  return { users: [...byId.values()], unknown };
}
