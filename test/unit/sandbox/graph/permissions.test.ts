/**
 * The sandbox answers as Graph does for the roles in the token: basic read roles get no bodies and no
 * extended properties, a group read without a user read role lists members by id only, a missing role
 * is a 403, and a role granted later reaches only tokens issued after it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../../sandbox/index.js';
import { testClient, useSandbox, type TestClient } from './client.js';

const env = useSandbox();
let ivy: DirectoryUser;
const clients: TestClient[] = [];
const as = (roles: string[]) => {
  const client = testClient(env.sandbox, env.sandbox.registerClient(roles));
  clients.push(client);
  return client;
};

beforeAll(() => {
  ivy = env.sandbox.directory.add({ displayName: 'Ivy Inbox' });
});
afterAll(async () => {
  for (const c of clients) await c.close();
});

const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'));

describe('application roles', () => {
  it('puts the granted roles in the token’s roles claim, and none when nothing is granted', async () => {
    expect(decode(await as(['Mail.Read', 'Calendars.Read']).token()).roles).toEqual(['Mail.Read', 'Calendars.Read']);
    expect(decode(await as([]).token())).not.toHaveProperty('roles');
  });

  it('gives Mail.ReadBasic messages without body or extended properties, and refuses to expand them', async () => {
    env.sandbox.graph.createMessage(ivy.id, { subject: 'Basic', body: { contentType: 'text', content: 'secret' }, singleValueExtendedProperties: [{ id: 'String {00000000-0000-0000-0000-000000000001} Name x', value: 'v' }] });
    const basic = as(['Mail.ReadBasic']);
    const listed = await basic.graph('GET', `/users/${ivy.id}/messages`);
    expect(listed.status).toBe(200);
    expect(listed.body.value[0]).toMatchObject({ subject: 'Basic' });
    expect(listed.body.value[0]).not.toHaveProperty('body');
    expect((await basic.graph('GET', `/users/${ivy.id}/messages?$expand=singleValueExtendedProperties`)).status).toBe(403);
    const full = await as(['Mail.Read']).graph('GET', `/users/${ivy.id}/messages?$expand=singleValueExtendedProperties`);
    expect(full.body.value[0]).toMatchObject({ body: { content: 'secret' }, singleValueExtendedProperties: [expect.objectContaining({ value: 'v' })] });
  });

  it('refuses writes to a read role and reads to no role, with Graph’s codes', async () => {
    const event = env.sandbox.graph.createEvent(ivy.id, { subject: 'x', start: { dateTime: '2031-01-01T10:00:00', timeZone: 'UTC' }, end: { dateTime: '2031-01-01T11:00:00', timeZone: 'UTC' } });
    const reader = as(['Calendars.Read']);
    expect((await reader.graph('GET', `/users/${ivy.id}/events/${event.id}`)).status).toBe(200);
    const refused = await reader.graph('DELETE', `/users/${ivy.id}/events/${event.id}`);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'ErrorAccessDenied']);
    const directory = await as([]).graph('GET', `/users/${ivy.id}`);
    expect([directory.status, directory.body.error.code]).toEqual([403, 'Authorization_RequestDenied']);
  });

  it('lists group members by @odata.type and id only without a role to read users', async () => {
    const group = env.sandbox.graph.addGroup('Readers', [ivy.id]);
    const members = await as(['GroupMember.Read.All']).graph('GET', `/groups/${group.id}/members/microsoft.graph.user?$select=id,userPrincipalName`);
    expect(members.body.value).toEqual([expect.objectContaining({ '@odata.type': '#microsoft.graph.user', id: ivy.id, userPrincipalName: null })]);
  });

  it('applies a role granted later only to tokens issued after the grant', async () => {
    const registration = env.sandbox.registerClient([]);
    const before = testClient(env.sandbox, registration);
    clients.push(before);
    expect((await before.graph('GET', `/users/${ivy.id}/contactFolders`)).status).toBe(403);
    registration.graphRoles = ['Contacts.Read'];
    expect((await before.graph('GET', `/users/${ivy.id}/contactFolders`)).status).toBe(403);
    const after = testClient(env.sandbox, registration);
    clients.push(after);
    expect((await after.graph('GET', `/users/${ivy.id}/contactFolders`)).status).toBe(200);
  });
});
