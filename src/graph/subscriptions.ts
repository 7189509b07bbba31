/**
 * The subscription manager: keeps one Graph subscription per synced mailbox and item kind (events,
 * contacts, messages) alive, and answers lifecycle notices.
 *
 * - Created with notificationUrl + lifecycleNotificationUrl, a fresh random clientState each (stored,
 *   never logged) and `Prefer: IdType="ImmutableId"`; the lifetime asked for is Outlook's documented
 *   10,080 minutes, and 4,230 (the older limit) when Graph answers 400.
 * - Renewed once half the granted lifetime has passed, then caught up (cheap, keeps delta links fresh
 *   and covers a second `missed` notice the receiver folds into the first).
 * - A subscription that expired or vanished (404 on renewal) is recreated and caught up: notifications
 *   sent while it was gone are lost, delta still has the changes.
 * - 403 on create: at the 1,000-per-mailbox quota the mailbox is recorded as `blocked` at once; any other
 *   403 (the app not allowed on that mailbox — or a role granted minutes ago that Entra has not yet
 *   propagated, how long that takes is undocumented) is `failing` and tried again on each run until
 *   `forbiddenGraceMs` has passed since the first such 403, then `blocked`. A blocked mailbox is not
 *   tried again until an operator asks (`delete-sync subscribe --retry-blocked`); other failures are
 *   recorded as `failing` and tried on the next run.
 * - Lifecycle: reauthorizationRequired → reauthorize (then catch up: held notifications may be lost);
 *   subscriptionRemoved → recreate, then catch up; missed → catch up.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { Subscription } from '../contracts/graph.js';
import { OutlookItemKind } from '../domain/event.js';
import { PENDING_LIFECYCLE_NAMESPACE } from '../store/messages.js';
import { LifecycleNotice } from '../store/messages.js';
import type { Store } from '../store/index.js';
import type { GraphSubscription } from '../store/subscriptions.js';
import { catchUp, DELTA_NAMESPACE, type DeltaDeps, type DeltaRoundResult } from './delta.js';
import { describeGraphFailure, graphStatus } from './errors.js';
import { IMMUTABLE_ID, MAILBOX_COLLECTION } from './items.js';

export const SUBSCRIBED_KINDS = ['event', 'contact', 'message'] as const satisfies readonly OutlookItemKind[];
export type SubscribedKind = (typeof SUBSCRIBED_KINDS)[number];

export const MAX_LIFETIME_MINUTES = 10_080;
export const FALLBACK_LIFETIME_MINUTES = 4_230;
export const CHANGE_TYPES = 'created,updated,deleted';
export const HEALTH_NAMESPACE = 'subscription-health';

export const HealthStatus = z.enum(['ok', 'failing', 'blocked']);
export const SubscriptionHealth = z.object({
  userId: z.string(),
  itemKind: OutlookItemKind,
  status: HealthStatus,
  subscriptionId: z.string().nullable(),
  /** What happened last, for operators: Graph's status and code, never the clientState. */
  detail: z.string(),
  failures: z.number().int().min(0),
  /** First 403 of the current run of 403s (permission propagation grace). */
  forbiddenSince: z.string().nullable().optional(),
  at: z.string(),
});
export type HealthStatus = z.infer<typeof HealthStatus>;
export type SubscriptionHealth = z.infer<typeof SubscriptionHealth>;

export type SubscriptionAction = 'created' | 'renewed' | 'kept' | 'recreated' | 'removed' | 'blocked' | 'failed';

export interface SubscriptionOutcome {
  userId: string;
  itemKind: OutlookItemKind;
  action: SubscriptionAction;
  subscriptionId: string | null;
  detail: string;
}

/** One row of `delete-sync subscriptions`. */
export interface SubscriptionRow {
  userId: string;
  itemKind: OutlookItemKind;
  subscriptionId: string | null;
  expirationDateTime: string | null;
  renewAt: string | null;
  /** ok | renew-due | expired (from the clock) | failing | blocked (recorded). */
  health: 'ok' | 'renew-due' | 'expired' | 'failing' | 'blocked';
  detail: string;
}

export interface SubscriptionManagerDeps extends DeltaDeps {
  /** `${PUBLIC_BASE_URL}/api/graph/notifications` and `/api/graph/lifecycle`. */
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  /** Tenant the notifications must name (stored with each subscription). */
  tenantId: string | null;
  /** How long 403s on create are retried before the mailbox is blocked (default FORBIDDEN_GRACE_MS). */
  forbiddenGraceMs?: number;
}

/** A new application role can take a while to reach Graph's checks (undocumented how long): an hour, then blocked. */
export const FORBIDDEN_GRACE_MS = 60 * 60_000;

export interface ReconcileOptions {
  /** Try mailboxes recorded as blocked (after the quota or permission was fixed). */
  retryBlocked?: boolean;
}

export interface SubscriptionManager {
  /** Makes the stored subscriptions match the synced mailboxes: create, renew, recreate, remove. */
  reconcile(userIds: readonly string[], options?: ReconcileOptions): Promise<SubscriptionOutcome[]>;
  handleLifecycle(notice: LifecycleNotice): Promise<void>;
}

const sameUser = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const healthKey = (userId: string, itemKind: OutlookItemKind) => `${userId.toLowerCase()}|${itemKind}`;

/** Half of the lifetime granted at the last create or renewal. */
export function renewAt(sub: GraphSubscription): Date {
  const from = Date.parse(sub.updatedAt);
  return new Date(from + (Date.parse(sub.expirationDateTime) - from) / 2);
}

function isSubscribedKind(kind: OutlookItemKind): kind is SubscribedKind {
  return (SUBSCRIBED_KINDS as readonly string[]).includes(kind);
}

export function createSubscriptionManager(deps: SubscriptionManagerDeps): SubscriptionManager {
  const { graph, store } = deps;
  const log = deps.log.child({ component: 'subscriptions' });

  const expiry = (minutes: number) => new Date(deps.now().getTime() + minutes * 60_000).toISOString();

  /** Asks for the documented maximum; on 400 asks once more for the older limit. */
  async function withLifetime<T>(send: (expirationDateTime: string) => Promise<T>): Promise<T> {
    try {
      return await send(expiry(MAX_LIFETIME_MINUTES));
    } catch (error) {
      if (graphStatus(error) !== 400) throw error;
      return send(expiry(FALLBACK_LIFETIME_MINUTES));
    }
  }

  async function recordHealth(userId: string, itemKind: OutlookItemKind, status: HealthStatus, subscriptionId: string | null, detail: string, forbiddenSince: string | null = null) {
    const key = healthKey(userId, itemKind);
    const previous = await readHealth(key);
    const health: SubscriptionHealth = {
      userId,
      itemKind,
      status,
      subscriptionId,
      detail,
      failures: status === 'ok' ? 0 : (previous?.failures ?? 0) + 1,
      forbiddenSince,
      at: deps.now().toISOString(),
    };
    await store.state.set(HEALTH_NAMESPACE, key, JSON.stringify(health), deps.now());
  }

  async function readHealth(key: string): Promise<SubscriptionHealth | null> {
    const text = await store.state.get(HEALTH_NAMESPACE, key);
    const parsed = text === null ? null : SubscriptionHealth.safeParse(JSON.parse(text));
    return parsed?.success ? parsed.data : null;
  }

  async function create(userId: string, itemKind: SubscribedKind): Promise<GraphSubscription> {
    const clientState = randomBytes(48).toString('base64url');
    const resource = `users/${userId}/${MAILBOX_COLLECTION[itemKind]}`;
    const created = await withLifetime(async (expirationDateTime) =>
      Subscription.parse(
        await graph
          .api('/subscriptions')
          .headers(IMMUTABLE_ID)
          .post({
            changeType: CHANGE_TYPES,
            notificationUrl: deps.notificationUrl,
            lifecycleNotificationUrl: deps.lifecycleNotificationUrl,
            resource,
            expirationDateTime,
            clientState,
            latestSupportedTlsVersion: 'v1_2',
          }),
      ),
    );
    const at = deps.now().toISOString();
    const sub: GraphSubscription = {
      id: created.id,
      resource,
      changeType: CHANGE_TYPES,
      clientState,
      tenantId: deps.tenantId,
      userId,
      itemKind,
      expirationDateTime: created.expirationDateTime,
      notificationUrl: deps.notificationUrl,
      lifecycleNotificationUrl: deps.lifecycleNotificationUrl,
      createdAt: at,
      updatedAt: at,
    };
    await store.subscriptions.put(sub);
    await recordHealth(userId, itemKind, 'ok', sub.id, 'created');
    log.info('subscription created', { subscriptionId: sub.id, userId, itemKind, expirationDateTime: sub.expirationDateTime });
    return sub;
  }

  async function renew(sub: GraphSubscription): Promise<GraphSubscription> {
    const renewed = await withLifetime(async (expirationDateTime) =>
      Subscription.parse(await graph.api(`/subscriptions/${encodeURIComponent(sub.id)}`).patch({ expirationDateTime })),
    );
    const next = { ...sub, expirationDateTime: renewed.expirationDateTime, updatedAt: deps.now().toISOString() };
    await store.subscriptions.put(next);
    await recordHealth(sub.userId, sub.itemKind, 'ok', sub.id, 'renewed');
    log.info('subscription renewed', { subscriptionId: sub.id, expirationDateTime: next.expirationDateTime });
    return next;
  }

  async function catchUpAfter(userId: string, itemKind: OutlookItemKind, why: string): Promise<DeltaRoundResult[]> {
    const results = await catchUp(userId, itemKind, deps);
    const totals = results.reduce((t, r) => ({ removed: t.removed + r.removed, enqueued: t.enqueued + r.enqueued }), { removed: 0, enqueued: 0 });
    log.info('caught up', { userId, itemKind, why, scopes: results.length, ...totals });
    return results;
  }

  /** Creates (first time) or recreates (after a loss) and then catches up; a 403 blocks, anything else fails. */
  async function subscribe(userId: string, itemKind: SubscribedKind, action: 'created' | 'recreated'): Promise<SubscriptionOutcome> {
    let sub: GraphSubscription;
    try {
      sub = await create(userId, itemKind);
    } catch (error) {
      const detail = describeGraphFailure(error);
      const forbidden = graphStatus(error) === 403;
      const quota = forbidden && /maximum number of subscriptions/i.test(detail);
      let forbiddenSince: string | null = null;
      let blocked = quota;
      if (forbidden && !quota) {
        const previous = await readHealth(healthKey(userId, itemKind));
        forbiddenSince = previous?.forbiddenSince ?? deps.now().toISOString();
        blocked = deps.now().getTime() - Date.parse(forbiddenSince) >= (deps.forbiddenGraceMs ?? FORBIDDEN_GRACE_MS);
      }
      await recordHealth(userId, itemKind, blocked ? 'blocked' : 'failing', null, detail, forbiddenSince);
      const message = blocked ? 'subscription blocked (quota or permission); not retried until asked' : forbidden ? 'subscription refused (403); retried until the permission grace has passed' : 'subscription create failed';
      log.warn(message, { userId, itemKind, detail });
      return { userId, itemKind, action: blocked ? 'blocked' : 'failed', subscriptionId: null, detail };
    }
    await catchUpAfter(userId, itemKind, action);
    return { userId, itemKind, action, subscriptionId: sub.id, detail: `expires ${sub.expirationDateTime}` };
  }

  /** The subscription is gone at Graph (expired, removed, 404): forget it, subscribe again and catch up. */
  async function recreate(sub: GraphSubscription, itemKind: SubscribedKind): Promise<SubscriptionOutcome> {
    await store.subscriptions.remove(sub.id);
    return subscribe(sub.userId, itemKind, 'recreated');
  }

  async function unsubscribe(sub: GraphSubscription): Promise<void> {
    try {
      await graph.api(`/subscriptions/${encodeURIComponent(sub.id)}`).delete();
    } catch (error) {
      if (graphStatus(error) !== 404) throw error;
    }
    await store.subscriptions.remove(sub.id);
  }

  /** A mailbox that left the synced set: its delta links would replay changes from a time it was not watched. */
  async function forgetMailbox(userId: string): Promise<void> {
    const prefix = `${userId.toLowerCase()}|`;
    for (const entry of await store.state.list(DELTA_NAMESPACE)) if (entry.key.startsWith(prefix)) await store.state.remove(DELTA_NAMESPACE, entry.key);
    for (const entry of await store.state.list(HEALTH_NAMESPACE)) if (entry.key.startsWith(prefix)) await store.state.remove(HEALTH_NAMESPACE, entry.key);
  }

  async function keepAlive(sub: GraphSubscription, itemKind: SubscribedKind): Promise<SubscriptionOutcome> {
    const { userId } = sub;
    const now = deps.now().getTime();
    if (Date.parse(sub.expirationDateTime) <= now) return recreate(sub, itemKind);
    if (now < renewAt(sub).getTime()) return { userId, itemKind, action: 'kept', subscriptionId: sub.id, detail: `expires ${sub.expirationDateTime}` };
    try {
      const renewed = await renew(sub);
      await catchUpAfter(userId, itemKind, 'renewed');
      return { userId, itemKind, action: 'renewed', subscriptionId: sub.id, detail: `expires ${renewed.expirationDateTime}` };
    } catch (error) {
      if (graphStatus(error) === 404) return recreate(sub, itemKind);
      const detail = describeGraphFailure(error);
      await recordHealth(userId, itemKind, 'failing', sub.id, `renewal failed: ${detail}`);
      return { userId, itemKind, action: 'failed', subscriptionId: sub.id, detail };
    }
  }

  /** Lifecycle notices parked by a host that ran without the manager. */
  async function drainParked(): Promise<void> {
    for (const entry of await store.state.list(PENDING_LIFECYCLE_NAMESPACE)) {
      const parsed = LifecycleNotice.safeParse(JSON.parse(entry.value));
      if (parsed.success) await handleLifecycle(parsed.data);
      await store.state.remove(PENDING_LIFECYCLE_NAMESPACE, entry.key);
    }
  }

  async function handleLifecycle(notice: LifecycleNotice): Promise<void> {
    const sub = await store.subscriptions.get(notice.subscriptionId);
    if (sub === null) {
      log.warn('lifecycle notice for a subscription no longer stored', { subscriptionId: notice.subscriptionId, lifecycleEvent: notice.lifecycleEvent });
      return;
    }
    const fields = { subscriptionId: sub.id, userId: sub.userId, itemKind: sub.itemKind, lifecycleEvent: notice.lifecycleEvent };
    log.info('lifecycle notice', fields);
    if (!isSubscribedKind(sub.itemKind)) return;
    switch (notice.lifecycleEvent) {
      case 'missed':
        await catchUpAfter(sub.userId, sub.itemKind, 'missed');
        return;
      case 'subscriptionRemoved':
        await recreate(sub, sub.itemKind);
        return;
      case 'reauthorizationRequired':
        try {
          await graph.api(`/subscriptions/${encodeURIComponent(sub.id)}/reauthorize`).post({});
          await recordHealth(sub.userId, sub.itemKind, 'ok', sub.id, 'reauthorized');
          await catchUpAfter(sub.userId, sub.itemKind, 'reauthorized');
        } catch (error) {
          if (graphStatus(error) !== 404) throw error;
          await recreate(sub, sub.itemKind);
        }
        return;
    }
  }

  return {
    handleLifecycle,

    async reconcile(userIds, options = {}) {
      await drainParked();
      const outcomes: SubscriptionOutcome[] = [];
      const stored = await store.subscriptions.list();
      const kept = new Set<string>();
      for (const userId of userIds) {
        for (const itemKind of SUBSCRIBED_KINDS) {
          const mine = stored.filter((s) => sameUser(s.userId, userId) && s.itemKind === itemKind);
          const current = mine.sort((a, b) => b.expirationDateTime.localeCompare(a.expirationDateTime))[0];
          if (current !== undefined) {
            kept.add(current.id);
            outcomes.push(await keepAlive(current, itemKind));
            continue;
          }
          const health = await readHealth(healthKey(userId, itemKind));
          if (health?.status === 'blocked' && options.retryBlocked !== true) {
            outcomes.push({ userId, itemKind, action: 'blocked', subscriptionId: null, detail: health.detail });
            continue;
          }
          outcomes.push(await subscribe(userId, itemKind, 'created'));
        }
      }
      const leaving = new Set<string>();
      for (const sub of stored) {
        if (kept.has(sub.id)) continue;
        await unsubscribe(sub);
        if (!userIds.some((u) => sameUser(u, sub.userId))) leaving.add(sub.userId);
        outcomes.push({ userId: sub.userId, itemKind: sub.itemKind, action: 'removed', subscriptionId: sub.id, detail: 'not wanted' });
      }
      for (const userId of leaving) await forgetMailbox(userId);
      return outcomes;
    },
  };
}

/** The stored subscriptions joined with their recorded health (and mailboxes that have none), for operators. */
export async function subscriptionRows(store: Store, now: Date): Promise<SubscriptionRow[]> {
  const at = now.getTime();
  const rows: SubscriptionRow[] = [];
  const health = new Map<string, SubscriptionHealth>();
  for (const entry of await store.state.list(HEALTH_NAMESPACE)) {
    const parsed = SubscriptionHealth.safeParse(JSON.parse(entry.value));
    if (parsed.success) health.set(entry.key, parsed.data);
  }
  for (const sub of await store.subscriptions.list()) {
    const recorded = health.get(healthKey(sub.userId, sub.itemKind));
    health.delete(healthKey(sub.userId, sub.itemKind));
    const due = renewAt(sub);
    const status: SubscriptionRow['health'] =
      Date.parse(sub.expirationDateTime) <= at ? 'expired' : recorded?.status === 'failing' ? 'failing' : at >= due.getTime() ? 'renew-due' : 'ok';
    rows.push({
      userId: sub.userId,
      itemKind: sub.itemKind,
      subscriptionId: sub.id,
      expirationDateTime: sub.expirationDateTime,
      renewAt: due.toISOString(),
      health: status,
      detail: recorded?.detail ?? '',
    });
  }
  for (const h of health.values()) {
    if (h.status === 'ok') continue;
    rows.push({ userId: h.userId, itemKind: h.itemKind, subscriptionId: null, expirationDateTime: null, renewAt: null, health: h.status, detail: h.detail });
  }
  return rows.sort((a, b) => a.userId.localeCompare(b.userId) || a.itemKind.localeCompare(b.itemKind));
}
