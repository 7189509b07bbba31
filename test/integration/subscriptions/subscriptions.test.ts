/**
 * The subscription manager against the sandbox: created per mailbox with both URLs and its own
 * clientState, the 4,230-minute fallback, renewal before expiry under a fast clock, recreation after
 * expiry and after `subscriptionRemoved`, and catch-up after `missed` that still finds a delete made while
 * notifications were lost — processed to a decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../src/domain/event.js';
import { DELTA_NAMESPACE } from '../../../src/graph/delta.js';
import { FALLBACK_LIFETIME_MINUTES, MAX_LIFETIME_MINUTES, type SubscriptionOutcome } from '../../../src/graph/subscriptions.js';
import { processEvent } from '../../../src/pipeline/processor.js';
import { peekQueue } from '../../helpers/store.js';
import { crmAppointmentFor, crmAppointmentUpdate, meetingAt, outlookMeeting, startHarness, type Harness } from './harness.js';

const DAY = 86_400_000;
const MINUTE = 60_000;

describe('subscriptions kept alive', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(['Olga Organizer', 'Abe Attendee']);
  });
  afterAll(async () => h?.close());

  const live = () => h.sandbox.graph.listSubscriptions();

  it('creates events, contacts and messages subscriptions per mailbox with both URLs and a clientState each', async () => {
    const folder = String(h.sandbox.graph.createContact(h.users[0]!.id, { displayName: 'Somebody' }).parentFolderId);
    const outcomes = await h.sync().checkSubscriptions();
    expect(outcomes.map((o) => o.action)).toEqual(Array(6).fill('created'));
    const subs = live();
    expect(subs.map((s) => s.resource).sort()).toEqual(
      h.users.flatMap((u) => ['contacts', 'events', 'messages'].map((c) => `users/${u.id}/${c}`)).sort(),
    );
    const base = h.config.sync.publicBaseUrl;
    for (const sub of subs) {
      expect(sub.notificationUrl).toBe(`${base}/api/graph/notifications`);
      expect(sub.lifecycleNotificationUrl).toBe(`${base}/api/graph/lifecycle`);
      expect(sub.changeTypes).toEqual(['created', 'updated', 'deleted']);
      expect(sub.expiresAt).toBe(h.now() + MAX_LIFETIME_MINUTES * MINUTE);
      expect((await h.store.subscriptions.get(sub.id))?.clientState).toBe(sub.clientState);
    }
    expect(new Set(subs.map((s) => s.clientState)).size).toBe(6);
    // Each subscribed scope has its delta baseline (messages: one per mail folder).
    const baselines = (await h.store.state.list(DELTA_NAMESPACE)).map((e) => e.key);
    for (const u of h.users) {
      expect(baselines).toContain(`${u.id}|event|`);
      expect(baselines.some((k) => k.startsWith(`${u.id}|message|`))).toBe(true);
    }
    // Contacts: one per contact folder; a mailbox with no contact and no folder has none yet.
    expect(baselines).toContain(`${h.users[0]!.id}|contact|${folder}`);
    expect(baselines.some((k) => k.startsWith(`${h.users[1]!.id}|contact|`))).toBe(false);
    expect((await h.sync().checkSubscriptions()).map((o) => o.action)).toEqual(Array(6).fill('kept'));
  });

  it('renews at half the lifetime, so the subscriptions outlive their first expiry', async () => {
    const ids = live().map((s) => s.id).sort();
    h.advance(3 * DAY);
    expect((await h.sync().checkSubscriptions()).every((o) => o.action === 'kept')).toBe(true);
    h.advance(1 * DAY);
    const outcomes = await h.sync().checkSubscriptions();
    expect(outcomes.map((o) => o.action)).toEqual(Array(6).fill('renewed'));
    for (const sub of live()) expect(sub.expiresAt).toBe(h.now() + MAX_LIFETIME_MINUTES * MINUTE);
    h.advance(4 * DAY); // 8 days after creation: without the renewal all six would be gone
    expect(live().map((s) => s.id).sort()).toEqual(ids);
    const rows = await h.sync().subscriptions();
    expect(rows.map((r) => r.health)).toEqual(Array(6).fill('renew-due'));
  });

  it('recreates subscriptions that expired between runs and catches up the deletes made meanwhile', async () => {
    const [olga] = h.users;
    await h.sync().checkSubscriptions();
    const event = h.sandbox.graph.createEvent(olga!.id, { subject: 'Quarterly review', ...meetingAt(h.now(), 30) });
    await h.drain();
    const before = live().map((s) => s.id);
    h.advance(8 * DAY);
    expect(live()).toEqual([]);
    h.sandbox.graph.userDeletesItem(olga!.id, 'event', event.id as string);
    const outcomes = await h.sync().checkSubscriptions();
    expect(outcomes.map((o) => o.action)).toEqual(Array(6).fill('recreated'));
    expect(live().some((s) => before.includes(s.id))).toBe(false);
    const queued = (await peekQueue(h.connectionString, h.config.queue.name)) as { event: DomainEvent }[];
    expect(queued.map((m) => m.event.id)).toContain(`outlook-deleted:${olga!.id.toLowerCase()}:event:${event.id as string}`);
    await h.drain();
  });

  it('recreates a subscription after subscriptionRemoved', async () => {
    const [olga] = h.users;
    const removed = live().find((s) => s.resource === `users/${olga!.id}/events`)!;
    h.sandbox.graph.fireLifecycle(removed.id, 'subscriptionRemoved');
    await h.drain();
    expect(await h.store.subscriptions.get(removed.id)).toBeNull();
    const replacement = live().find((s) => s.resource === `users/${olga!.id}/events`);
    expect(replacement).toBeDefined();
    expect(replacement!.id).not.toBe(removed.id);
    expect((await h.store.subscriptions.get(replacement!.id))?.clientState).toBe(replacement!.clientState);
  });

  it('catches up after missed: a delete made while notifications were lost is enqueued and decided', async () => {
    const [olga, abe] = h.users;
    const { id: meetingId, iCalUId, start } = outlookMeeting(h, olga!, abe!, 'Pricing workshop', 5);
    const appointmentId = await crmAppointmentFor(h, { start, subject: 'Pricing workshop', organizer: olga!, attendee: abe!, globalObjectId: iCalUId, statecode: 3 });
    await h.drain(); // created notifications: the service reads the meeting and links it
    expect(await h.store.links.getByItem(olga!.id, meetingId)).toMatchObject({
      crm: { entity: 'appointment', id: appointmentId },
      role: 'organizer',
      crmUserId: olga!.systemUserId.toLowerCase(),
    });
    // The record's snapshot, as a CRM Update webhook would have brought it.
    const update = crmAppointmentUpdate({ id: appointmentId, organizer: olga!.systemUserId, attendee: abe!.systemUserId, start, globalObjectId: iCalUId, statecode: 3, at: h.now() });
    await processEvent(update, h.processing);
    expect(await h.store.snapshots.get({ entity: 'appointment', id: appointmentId })).toMatchObject({ statecode: 3 });

    h.sandbox.graph.pauseNotifications();
    expect(h.sandbox.graph.userDeletesItem(olga!.id, 'event', meetingId)).toBe(true);
    await h.sandbox.graph.notificationsIdle();
    h.sandbox.graph.resumeNotifications();
    expect(await h.drain()).toBe(0); // the delete's notification was lost

    const sub = live().find((s) => s.resource === `users/${olga!.id}/events`)!;
    h.sandbox.graph.fireLifecycle(sub.id, 'missed');
    await h.drain();
    const decision = await h.store.decisions.getByEvent(`outlook-deleted:${olga!.id.toLowerCase()}:event:${meetingId}`);
    expect(decision).toMatchObject({ ruleId: 'outlook.appointment.active.organizer', action: 'propagate', status: 'decided' });
    expect(decision!.input?.outlook).toMatchObject({ userId: olga!.id, itemKind: 'event', itemId: meetingId });
  });
});

describe('lifetime fallback, synced-set changes and the per-mailbox quota', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(['Quinn Quota', 'Lea Leaver']);
  });
  afterAll(async () => h?.close());

  const actionsOf = (outcomes: SubscriptionOutcome[], userId: string) => outcomes.filter((o) => o.userId === userId).map((o) => o.action);

  it('asks for 10,080 minutes and settles for 4,230 when Graph answers 400', async () => {
    // The service's clock runs a day ahead of Graph's: 10,080 minutes from its now is past Graph's limit.
    const skewMs = DAY;
    const outcomes = await h.sync({ skewMs }).checkSubscriptions();
    expect(outcomes.map((o) => o.action)).toEqual(Array(6).fill('created'));
    for (const sub of h.sandbox.graph.listSubscriptions()) expect(sub.expiresAt).toBe(h.now() + skewMs + FALLBACK_LIFETIME_MINUTES * MINUTE);
  });

  it('picks up a membership change on the next run: a mailbox that left is unsubscribed and forgotten', async () => {
    const [quinn, lea] = h.users;
    h.config.sync.users = [quinn!.id];
    const outcomes = await h.sync().checkSubscriptions();
    expect(actionsOf(outcomes, lea!.id)).toEqual(['removed', 'removed', 'removed']);
    expect(actionsOf(outcomes, quinn!.id)).toEqual(['kept', 'kept', 'kept']);
    expect(h.sandbox.graph.listSubscriptions().every((s) => s.mailboxId === quinn!.id)).toBe(true);
    expect((await h.store.subscriptions.list()).every((s) => s.userId === quinn!.id)).toBe(true);
    expect((await h.store.state.list(DELTA_NAMESPACE)).some((e) => e.key.startsWith(`${lea!.id}|`))).toBe(false);
    h.config.sync.users = [quinn!.id, lea!.id];
    expect(actionsOf(await h.sync().checkSubscriptions(), lea!.id)).toEqual(['created', 'created', 'created']);
  });

  it('records a mailbox at its 1,000-subscription quota as blocked and does not retry it until asked', async () => {
    const [quinn, lea] = h.users;
    h.config.sync.users = [lea!.id];
    expect(actionsOf(await h.sync().checkSubscriptions(), quinn!.id)).toEqual(['removed', 'removed', 'removed']);
    // Other subscriptions of the same app fill Quinn's quota.
    for (let i = 0; i < 1000; i++) {
      h.sandbox.graph.subscriptions.add({
        id: `filler-${i}`,
        resource: `users/${quinn!.id}/events`,
        changeTypes: ['created'],
        notificationUrl: 'https://example.test/elsewhere',
        lifecycleNotificationUrl: null,
        clientState: 'other-app-state',
        expiresAt: h.now() + DAY,
        applicationId: h.sandbox.client.clientId,
        latestSupportedTlsVersion: 'v1_2',
        mailboxId: quinn!.id,
        kind: 'event',
        needsReauthorization: false,
      });
    }
    h.config.sync.users = [quinn!.id, lea!.id];
    const first = await h.sync().checkSubscriptions();
    expect(actionsOf(first, quinn!.id)).toEqual(['blocked', 'blocked', 'blocked']);
    expect(first.find((o) => o.userId === quinn!.id)!.detail).toMatch(/403.*maximum number of subscriptions/);
    expect(actionsOf(first, lea!.id)).toEqual(['kept', 'kept', 'kept']);
    const rows = await h.sync().subscriptions();
    expect(rows.filter((r) => r.userId === quinn!.id).map((r) => r.health)).toEqual(['blocked', 'blocked', 'blocked']);

    for (let i = 0; i < 1000; i++) h.sandbox.graph.subscriptions.remove(`filler-${i}`);
    expect(actionsOf(await h.sync().checkSubscriptions(), quinn!.id)).toEqual(['blocked', 'blocked', 'blocked']);
    expect(actionsOf(await h.sync().checkSubscriptions({ retryBlocked: true }), quinn!.id)).toEqual(['created', 'created', 'created']);
  });
});
