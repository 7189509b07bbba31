import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../../sandbox/index.js';
import { FIXTURES_URL } from '../../../helpers/fixtures.js';
import { useSandbox, type Answer } from './client.js';

const fixture = JSON.parse(readFileSync(new URL('graph/delta-calendarview-removed.json', FIXTURES_URL), 'utf8'));

const env = useSandbox();
let dana: DirectoryUser;

beforeAll(async () => {
  dana = env.sandbox.directory.add({ displayName: 'Dana Delta' });
});

const relative = (link: string) => {
  const url = new URL(link);
  return `${url.pathname.replace(/^\/v1\.0/, '')}${url.search}`;
};

/** Follows nextLinks to the end of one round; returns all items and the deltaLink. */
async function round(path: string, headers: Record<string, string> = {}): Promise<{ items: Record<string, unknown>[]; deltaLink: string; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let next: string | undefined = path;
  let pages = 0;
  for (;;) {
    const answer: Answer = await env.client.graph('GET', next, undefined, headers);
    expect(answer.status).toBe(200);
    items.push(...answer.body.value);
    pages += 1;
    if (answer.body['@odata.deltaLink']) return { items, deltaLink: relative(answer.body['@odata.deltaLink']), pages };
    next = relative(answer.body['@odata.nextLink']);
  }
}

const at = (day: number) => ({ start: { dateTime: `2032-01-${String(day).padStart(2, '0')}T09:00:00`, timeZone: 'UTC' }, end: { dateTime: `2032-01-${String(day).padStart(2, '0')}T10:00:00`, timeZone: 'UTC' } });

describe('delta queries', () => {
  it('calendarView delta pages the window, then reports changes and deletions as @removed in the fixture shape', async () => {
    const inside = Array.from({ length: 5 }, (_, i) => env.sandbox.graph.createEvent(dana.id, { subject: `in ${i}`, ...at(i + 1) }));
    env.sandbox.graph.createEvent(dana.id, { subject: 'outside', start: { dateTime: '2033-06-01T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2033-06-01T10:00:00', timeZone: 'UTC' } });
    const first = await round(`/users/${dana.id}/calendarView/delta?startDateTime=2032-01-01T00:00:00Z&endDateTime=2032-02-01T00:00:00Z`, { prefer: 'odata.maxpagesize=2' });
    expect(first.pages).toBe(3);
    expect(first.items.map((e) => e.id).sort()).toEqual(inside.map((e) => e.id).sort());

    env.sandbox.graph.userDeletesItem(dana.id, 'event', inside[0]!.id as string);
    env.sandbox.graph.userUpdatesItem(dana.id, 'event', inside[1]!.id as string, { subject: 'moved on' });
    const second = await round(first.deltaLink);
    const removed = second.items.find((e) => e.id === inside[0]!.id);
    expect(Object.keys(removed!).sort()).toEqual(Object.keys(fixture.value[0]).sort());
    expect(removed).toMatchObject({ '@odata.type': '#microsoft.graph.event', '@removed': { reason: 'deleted' } });
    expect(second.items.find((e) => e.id === inside[1]!.id)).toMatchObject({ subject: 'moved on' });
    expect(second.items).toHaveLength(2);

    const third = await round(second.deltaLink);
    expect(third.items).toEqual([]);
  });

  it('calendarView delta needs a window on the first call and refuses a forged token', async () => {
    expect((await env.client.graph('GET', `/users/${dana.id}/calendarView/delta`)).status).toBe(400);
    const forged = await env.client.graph('GET', `/users/${dana.id}/calendarView/delta?$deltatoken=abc`);
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('ErrorInvalidSyncStateData');
  });

  it('keeps the first round\'s $expand=linkedResources in the delta link and lists a task again when a linked resource is added', async () => {
    const list = env.sandbox.graph.createTodoList(dana.id, 'Linked');
    const first = await round(`/users/${dana.id}/todo/lists/${list.id}/tasks/delta?$expand=linkedResources`);
    const task = env.sandbox.graph.createTask(dana.id, { title: 'Linked later' }, list.id);
    const added = await env.client.graph('POST', `/users/${dana.id}/todo/lists/${list.id}/tasks/${task.id}/linkedResources`, { applicationName: 'App', externalId: 'x-1', webUrl: 'https://crm.example/x-1' });
    expect(added.status).toBe(201);
    const second = await round(first.deltaLink);
    expect(second.items).toEqual([expect.objectContaining({ id: task.id, linkedResources: [expect.objectContaining({ applicationName: 'App', externalId: 'x-1' })] })]);
    expect((await env.client.graph('GET', `/users/${dana.id}/todo/lists/${list.id}/tasks?$expand=singleValueExtendedProperties`)).status).toBe(400);
  });

  it('To Do task delta reports deleted tasks as @removed', async () => {
    const list = env.sandbox.graph.defaultTodoList(dana.id);
    const task = env.sandbox.graph.createTask(dana.id, { title: 'Call back' });
    const first = await round(`/users/${dana.id}/todo/lists/${list.id}/tasks/delta`);
    expect(first.items.map((t) => t.id)).toEqual([task.id]);
    const byApi = await env.client.graph('DELETE', `/users/${dana.id}/todo/lists/${list.id}/tasks/${task.id}`);
    expect(byApi.status).toBe(204);
    const second = await round(first.deltaLink);
    expect(second.items).toEqual([{ '@odata.type': '#microsoft.graph.todoTask', id: task.id, '@removed': { reason: 'deleted' } }]);
  });

  it('contact and message deltas see changes made while notifications are lost', async () => {
    const folder = String(env.sandbox.graph.createContact(dana.id, { givenName: null, surname: null }).parentFolderId);
    const contacts = await round(`/users/${dana.id}/contactFolders/${folder}/contacts/delta`);
    const inbox = await round(`/users/${dana.id}/mailFolders/inbox/messages/delta`);
    env.sandbox.graph.pauseNotifications();
    const contact = env.sandbox.graph.createContact(dana.id, { givenName: 'Erin', surname: 'Example', emailAddresses: [{ address: 'erin@fabrikam.test' }] });
    const message = env.sandbox.graph.createMessage(dana.id, { subject: 'Hello', internetMessageId: '<hello@fabrikam.test>' });
    env.sandbox.graph.resumeNotifications();
    expect((await round(contacts.deltaLink)).items.map((c) => c.id)).toEqual([contact.id]);
    // "contact: delta" is documented per folder only; the mailbox-wide form is not served.
    expect((await env.client.graph('GET', `/users/${dana.id}/contacts/delta`)).status).toBe(400);
    const messages = await round(inbox.deltaLink);
    expect(messages.items).toEqual([expect.objectContaining({ id: message.id, internetMessageId: '<hello@fabrikam.test>' })]);
  });
});
