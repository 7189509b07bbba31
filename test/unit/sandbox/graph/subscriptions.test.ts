import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../../sandbox/index.js';
import { FIXTURES_URL } from '../../../helpers/fixtures.js';
import { useSandbox } from './client.js';

const fixtures = new URL('graph/', FIXTURES_URL);
const deletedFixture = JSON.parse(readFileSync(new URL('notification-event-deleted.reconstructed.json', fixtures), 'utf8'));
const lifecycleFixture = JSON.parse(readFileSync(new URL('lifecycle-missed.json', fixtures), 'utf8'));
const createdFixture = JSON.parse(readFileSync(new URL('subscription-create-response-messages.json', fixtures), 'utf8'));

/** A tiny receiver: echoes validation tokens (as the service must), records notifications, answers with `status`. */
class Receiver {
  readonly received: { path: string; body: any }[] = [];
  readonly tokens: string[] = [];
  status = 202;
  /** How long notification answers take. */
  delayMs = 0;
  echo: 'correct' | 'raw' = 'correct';
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const token = url.searchParams.get('validationToken');
      if (token !== null) {
        this.tokens.push(token);
        const raw = /validationToken=([^&]*)/.exec(req.url ?? '')?.[1] ?? '';
        res.writeHead(200, { 'content-type': 'text/plain' }).end(this.echo === 'correct' ? token : raw);
        return;
      }
      let text = '';
      req.on('data', (chunk) => (text += chunk));
      req.on('end', () => {
        this.received.push({ path: url.pathname, body: JSON.parse(text) });
        setTimeout(() => res.writeHead(this.status).end(), this.delayMs);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  items(path = '/notify'): any[] {
    return this.received.filter((r) => r.path === path).flatMap((r) => r.body.value);
  }
}

let now = Date.parse('2031-05-01T08:00:00Z');
const env = useSandbox({ clock: () => now });
let receiver: Receiver;
let gina: DirectoryUser;
let hal: DirectoryUser;

beforeAll(async () => {
  receiver = new Receiver();
  await receiver.start();
  gina = env.sandbox.directory.add({ displayName: 'Gina Organizer' });
  hal = env.sandbox.directory.add({ displayName: 'Hal Attendee' });
  Object.assign(env.sandbox.graph.notificationSettings, { duplicateRate: 0, maxDelayMs: 5, backoffMs: 10, timeoutMs: 500 });
});

afterEach(async () => {
  await env.sandbox.graph.notificationsIdle();
  receiver.received.length = 0;
  receiver.status = 202;
  receiver.delayMs = 0;
  receiver.echo = 'correct';
});

afterAll(async () => {
  await receiver.stop();
});

const inMinutes = (minutes: number) => new Date(now + minutes * 60_000).toISOString();

function subscribe(resource: string, extra: Record<string, unknown> = {}) {
  return env.client.graph(
    'POST',
    '/subscriptions',
    { changeType: 'created,updated,deleted', notificationUrl: `${receiver.url}/notify`, lifecycleNotificationUrl: `${receiver.url}/lifecycle`, resource, expirationDateTime: inMinutes(10_000), clientState: 'secret-state', ...extra },
    { prefer: 'IdType="ImmutableId"' },
  );
}

describe('subscriptions', () => {
  it('validates both URLs with an encoded token the receiver must decode, and answers like Graph', async () => {
    const created = await subscribe(`/users/${gina.id}/events`);
    expect(created.status).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(Object.keys(createdFixture).sort());
    expect(receiver.tokens.slice(-2)).toHaveLength(2);
    expect(receiver.tokens.at(-1)).toMatch(/ .*\+.*%/);
    receiver.echo = 'raw';
    const refused = await subscribe(`/users/${gina.id}/events`);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('ValidationError');
  });

  it('refuses lifetimes over 10,080 minutes, missing clientState, bad change types and app-only To Do', async () => {
    expect((await subscribe(`/users/${gina.id}/events`, { expirationDateTime: inMinutes(10_081) })).status).toBe(400);
    expect((await subscribe(`/users/${gina.id}/events`, { clientState: undefined })).status).toBe(400);
    expect((await subscribe(`/users/${gina.id}/events`, { changeType: 'created,moved' })).status).toBe(400);
    expect((await subscribe(`/users/${gina.id}/todo/lists/${env.sandbox.graph.defaultTodoList(gina.id).id}/tasks`)).status).toBe(403);
  });

  it("delivers created/updated/deleted notifications in Graph's shape, including to attendees' mailboxes", async () => {
    const ginaSub = (await subscribe(`/users/${gina.id}/events`)).body;
    const halSub = (await subscribe(`users/${hal.userPrincipalName}/events`, { changeType: 'updated' })).body;
    const event = env.sandbox.graph.createEvent(gina.id, { subject: 'Notify', start: { dateTime: '2031-06-01T09:00:00', timeZone: 'UTC' }, end: { dateTime: '2031-06-01T10:00:00', timeZone: 'UTC' }, attendees: [{ emailAddress: { address: hal.mail } }] });
    expect(env.sandbox.graph.userDeletesItem(gina.id, 'event', event.id as string)).toBe(true);
    await env.sandbox.graph.notificationsIdle();
    const items = receiver.items();
    const forGina = items.filter((i) => i.subscriptionId === ginaSub.id);
    expect(forGina.map((i) => i.changeType).sort()).toEqual(['created', 'deleted']);
    const deleted = forGina.find((i) => i.changeType === 'deleted');
    expect(Object.keys(deleted).sort()).toEqual(Object.keys(deletedFixture.value[0]).sort());
    expect(deleted).toMatchObject({ clientState: 'secret-state', tenantId: env.sandbox.tenantId, resource: `Users/${gina.id}/Events/${event.id}`, resourceData: { '@odata.type': '#Microsoft.Graph.Event', id: event.id } });
    const forHal = items.filter((i) => i.subscriptionId === halSub.id);
    expect(forHal.map((i) => i.changeType)).toEqual(['updated']);
  });

  it('sends duplicates when asked, retries failed deliveries with backoff, and records each attempt', async () => {
    const sub = (await subscribe(`/users/${hal.id}/contacts`)).body;
    env.sandbox.graph.notificationSettings.duplicateRate = 1;
    env.sandbox.graph.createContact(hal.id, { displayName: 'Twice' });
    await env.sandbox.graph.notificationsIdle();
    expect(receiver.items().filter((i) => i.subscriptionId === sub.id)).toHaveLength(2);
    env.sandbox.graph.notificationSettings.duplicateRate = 0;
    receiver.status = 500;
    env.sandbox.graph.createContact(hal.id, { displayName: 'Unlucky' });
    await env.sandbox.graph.notificationsIdle();
    const attempts = env.sandbox.graph.deliveries.filter((d) => d.subscriptionId === sub.id && d.status === 500);
    expect(attempts.map((d) => d.attempt)).toEqual([1, 2, 3, 4]);
    expect(attempts.at(-1)!.outcome).toBe('gaveUp');
  });

  it('loses notifications while paused, and sends lifecycle events on demand', async () => {
    const sub = (await subscribe(`/users/${gina.id}/messages`)).body;
    env.sandbox.graph.pauseNotifications();
    env.sandbox.graph.createMessage(gina.id, { subject: 'Lost' });
    env.sandbox.graph.resumeNotifications();
    env.sandbox.graph.fireLifecycle(sub.id, 'missed');
    await env.sandbox.graph.notificationsIdle();
    expect(receiver.items().filter((i) => i.subscriptionId === sub.id)).toEqual([]);
    expect(env.sandbox.graph.deliveries.find((d) => d.subscriptionId === sub.id && d.outcome === 'lost')).toBeDefined();
    const lifecycle = receiver.items('/lifecycle');
    expect(Object.keys(lifecycle[0]).sort()).toEqual(Object.keys(lifecycleFixture.value[0]).sort());
    expect(lifecycle[0]).toMatchObject({ subscriptionId: sub.id, lifecycleEvent: 'missed', clientState: 'secret-state' });

    env.sandbox.graph.fireLifecycle(sub.id, 'reauthorizationRequired');
    env.sandbox.graph.createMessage(gina.id, { subject: 'Held back' });
    expect((await env.client.graph('POST', `/subscriptions/${sub.id}/reauthorize`)).status).toBe(204);
    env.sandbox.graph.createMessage(gina.id, { subject: 'Flows again' });
    await env.sandbox.graph.notificationsIdle();
    expect(receiver.items().filter((i) => i.subscriptionId === sub.id)).toHaveLength(1);

    env.sandbox.graph.fireLifecycle(sub.id, 'subscriptionRemoved');
    expect((await env.client.graph('GET', `/subscriptions/${sub.id}`)).status).toBe(404);
  });

  it('expires subscriptions by the sandbox clock; PATCH renews within the limit', async () => {
    const sub = (await subscribe(`/users/${hal.id}/events`, { expirationDateTime: inMinutes(60) })).body;
    const renewed = await env.client.graph('PATCH', `/subscriptions/${sub.id}`, { expirationDateTime: inMinutes(120) });
    expect(renewed.status).toBe(200);
    expect(Date.parse(renewed.body.expirationDateTime)).toBe(now + 120 * 60_000);
    expect((await env.client.graph('PATCH', `/subscriptions/${sub.id}`, { expirationDateTime: inMinutes(20_000) })).status).toBe(400);
    expect((await env.client.graph('GET', '/subscriptions')).body.value.map((s: { id: string }) => s.id)).toContain(sub.id);
    now += 121 * 60_000;
    expect((await env.client.graph('GET', `/subscriptions/${sub.id}`)).status).toBe(404);
    const other = (await subscribe(`/users/${hal.id}/events`)).body;
    expect((await env.client.graph('DELETE', `/subscriptions/${other.id}`)).status).toBe(204);
    expect((await env.client.graph('GET', `/subscriptions/${other.id}`)).status).toBe(404);
  });

  it('penalises an endpoint whose answers are often slow: after enough slow answers its notifications are dropped', async () => {
    env.sandbox.graph.notificationSettings.slowMs = 20;
    receiver.delayMs = 40;
    const sub = (await subscribe(`/users/${gina.id}/contacts`, { notificationUrl: `${receiver.url}/slow` })).body;
    for (let i = 0; i < 10; i++) env.sandbox.graph.createContact(gina.id, { displayName: `Slow ${i}` });
    await env.sandbox.graph.notificationsIdle();
    expect(receiver.items('/slow')).toHaveLength(10);
    env.sandbox.graph.createContact(gina.id, { displayName: 'Dropped' });
    await env.sandbox.graph.notificationsIdle();
    expect(receiver.items('/slow')).toHaveLength(10);
    expect(env.sandbox.graph.deliveries.filter((d) => d.subscriptionId === sub.id && d.outcome === 'lost')).toEqual([expect.objectContaining({ error: 'endpoint too slow' })]);
  });
});

describe('delivery timing', () => {
  it('sends several notifications for one URL in one POST after the configured latency', async () => {
    const settings = env.sandbox.graph.notificationSettings;
    const saved = { ...settings };
    Object.assign(settings, { latencyMs: 150, batchWindowMs: 50, maxBatch: 10 });
    try {
      expect((await subscribe(`/users/${hal.id}/contacts`, { notificationUrl: `${receiver.url}/batched` })).status).toBe(201);
      const sent = Date.now();
      for (let i = 0; i < 3; i++) env.sandbox.graph.createContact(hal.id, { displayName: `Batch ${i}` });
      await env.sandbox.graph.notificationsIdle();
      const posts = receiver.received.filter((r) => r.path === '/batched');
      expect(posts.map((p) => p.body.value.length)).toEqual([3]);
      expect(Date.now() - sent).toBeGreaterThanOrEqual(150);
      expect(env.sandbox.graph.deliveries.slice(-3).map((d) => d.batchSize)).toEqual([3, 3, 3]);
    } finally {
      Object.assign(settings, saved);
    }
  });
});
