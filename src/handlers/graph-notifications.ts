/**
 * POST /api/graph/notifications and /api/graph/lifecycle. First the validation handshake; then every item
 * is checked against its stored subscription (known, clientState equal to that subscription's own
 * secret, expected tenant), a few at a time — valid ones go onto the queue in one write for the whole
 * POST (duplicates are dropped by the processor), invalid ones are dropped and logged as one line of
 * counts, without secrets. The body is not an authenticated sender's until its items verify, so the
 * work one POST can cause is bounded: at most MAX_NOTIFICATIONS_PER_POST items, verified with bounded
 * concurrency, unknown subscription ids remembered briefly. Graph wants 2xx within 3 s and retries 5xx,
 * so a storage failure answers 503.
 */
import type { ChangeNotification, LifecycleNotification } from '../contracts/graph.js';
import {
  normalizeGraphNotification,
  parseLifecycleCollection,
  parseNotificationCollection,
} from '../domain/normalize-graph.js';
import { DeleteSyncError, isDeleteSyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GraphSubscription } from '../store/subscriptions.js';
import type { ItemMessage } from '../store/messages.js';
import { mapLimit } from '../net/map-limit.js';
import type { HandlerDeps } from './deps.js';
import { enqueue } from '../pipeline/enqueue.js';
import { assertBodySize, assertJsonContent, emptyResponse, errorResponse, type Handler, type HandlerRequest, type HandlerResponse } from './http.js';
import { secretEquals } from './secrets.js';

/**
 * Graph's handshake: echo the URL-decoded token as text/plain, nothing else. nosniff and a no-op CSP
 * make sure a browser never treats an attacker-chosen token as HTML or script.
 */
export function validationResponse(token: string): HandlerResponse {
  return {
    status: 200,
    headers: {
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
      'cache-control': 'no-store',
    },
    body: token,
  };
}

type Item = Pick<ChangeNotification | LifecycleNotification, 'subscriptionId' | 'clientState' | 'tenantId'>;
type Verdict = { ok: true; subscription: GraphSubscription } | { ok: false; reason: string };

async function verify(item: Item, deps: HandlerDeps): Promise<Verdict> {
  // Cached per process: a batch, and the next thousand requests, carry items of the same few subscriptions.
  const subscription = await deps.store.subscriptions.getCached(item.subscriptionId);
  if (subscription === null) return { ok: false, reason: 'unknown-subscription' };
  if (!secretEquals(item.clientState, subscription.clientState)) return { ok: false, reason: 'client-state-mismatch' };
  const tenant = (item.tenantId ?? '').toLowerCase();
  const expected = [deps.config.graph.tenantId, subscription.tenantId?.toLowerCase()].filter((t) => t !== undefined && t !== null);
  if (expected.some((t) => t !== tenant)) return { ok: false, reason: 'wrong-tenant' };
  return { ok: true, subscription };
}

interface Accepted {
  key: string;
  message: ItemMessage;
}

type Notice = Item & { changeType?: string; lifecycleEvent?: string };

/**
 * Items one POST may carry. Graph documents no maximum for a notification collection (undocumented;
 * see sandbox/FIDELITY.md): this bound is far above the few items a delivery carries and keeps what an
 * unauthenticated body can cost (verification reads, log lines) small. A larger body is refused whole
 * with 413 before any item is looked at.
 */
export const MAX_NOTIFICATIONS_PER_POST = 1000;

/** Subscription look-ups in flight at once for one POST. */
const VERIFY_CONCURRENCY = 8;

/** Drops of one POST as one line: counts per reason and a few subscription ids (ids only: never clientState or resource data). */
function logDrops(log: Logger, drops: { reason: string; item: Notice }[], total: number) {
  if (drops.length === 0) return;
  const reasons: Record<string, number> = {};
  for (const { reason } of drops) reasons[reason] = (reasons[reason] ?? 0) + 1;
  log.warn('notifications dropped', {
    dropped: drops.length,
    of: total,
    reasons,
    subscriptionIds: [...new Set(drops.map((d) => d.item.subscriptionId))].slice(0, 5),
  });
}

/** Verifies every item of a parsed body; a valid item becomes a message, invalid ones are dropped and logged once. */
async function acceptVerified<T extends Notice>(
  items: T[],
  deps: HandlerDeps,
  log: Logger,
  toAccepted: (item: T) => Accepted,
): Promise<ItemMessage[]> {
  if (items.length > MAX_NOTIFICATIONS_PER_POST) {
    throw new DeleteSyncError('DS_ERR_BODY_TOO_LARGE', `More than ${MAX_NOTIFICATIONS_PER_POST} notifications in one request`, { field: 'value' });
  }
  const verdicts = await mapLimit(items, VERIFY_CONCURRENCY, (item) => verify(item, deps));
  // The same item twice in one body is one message: keyed by dedupe key.
  const accepted = new Map<string, ItemMessage>();
  const drops: { reason: string; item: Notice }[] = [];
  items.forEach((item, n) => {
    const verdict = verdicts[n]!;
    if (!verdict.ok) {
      drops.push({ reason: verdict.reason, item });
      return;
    }
    try {
      const { key, message } = toAccepted(item);
      accepted.set(key, message);
    } catch (error) {
      if (!isDeleteSyncError(error)) throw error;
      drops.push({ reason: error.code, item });
    }
  });
  logDrops(log, drops, items.length);
  return [...accepted.values()];
}

function createGraphHandler<T extends Notice>(
  deps: HandlerDeps,
  name: string,
  parse: (body: Buffer) => T[],
  toAccepted: (item: T, receivedAt: Date) => Accepted,
): Handler {
  const log = deps.log.child({ handler: name });
  return async (request: HandlerRequest) => {
    const token = request.query.validationToken;
    if (token !== undefined) {
      log.info('validation handshake answered');
      return validationResponse(token);
    }
    try {
      assertBodySize(request, deps.config.maxBodyBytes);
      assertJsonContent(request);
      const receivedAt = deps.now();
      const accepted = await acceptVerified(parse(request.rawBody), deps, log, (item) => toAccepted(item, receivedAt));
      if (accepted.length > 0) await enqueue(deps.store, accepted, receivedAt);
      log.info('notifications accepted', { enqueued: accepted.length });
      return emptyResponse(202);
    } catch (error) {
      if (isDeleteSyncError(error) && error.statusCode < 500) {
        log.warn('notification body rejected', { errorCode: error.code, field: error.field });
      }
      return errorResponse(error, log);
    }
  };
}

export function createGraphNotificationsHandler(deps: HandlerDeps): Handler {
  return createGraphHandler(deps, 'graph-notifications', parseNotificationCollection, (item, receivedAt) => {
    const event = normalizeGraphNotification(item, receivedAt);
    return { key: event.id, message: { kind: 'change', event } };
  });
}

/** Lifecycle notices of one subscription, event and expiry received within one such window are one notice. */
export const LIFECYCLE_DEDUPE_WINDOW_MS = 60_000;

/**
 * Which notice this is. Graph's lifecycle notices carry no id in its documented examples (the optional
 * per-notification `id` is used when present), and a redelivery repeats every field, so apart from that
 * id only the time of receipt tells a second `missed` or `reauthorizationRequired` from a redelivery of
 * the first. A fixed window of receipt is the honest compromise: merging a separate notice loses a
 * catch-up, whereas a redelivery let through (later than the window, or across its edge) only repeats
 * idempotent work (a delta catch-up, a reauthorize; a second `subscriptionRemoved` finds nothing stored).
 * Two separate notices inside one window still merge.
 */
function lifecycleNoticeId(item: LifecycleNotification, receivedAt: Date): string {
  const notice = item.id ?? `window:${new Date(Math.floor(receivedAt.getTime() / LIFECYCLE_DEDUPE_WINDOW_MS) * LIFECYCLE_DEDUPE_WINDOW_MS).toISOString()}`;
  return `lifecycle:${item.subscriptionId}:${item.lifecycleEvent}:${item.subscriptionExpirationDateTime ?? ''}:${notice}`;
}

export function createGraphLifecycleHandler(deps: HandlerDeps): Handler {
  return createGraphHandler(deps, 'graph-lifecycle', parseLifecycleCollection, (item, receivedAt) => {
    const expiration = item.subscriptionExpirationDateTime ?? null;
    const id = lifecycleNoticeId(item, receivedAt);
    return {
      key: id,
      message: {
        kind: 'lifecycle',
        notice: {
          id,
          subscriptionId: item.subscriptionId,
          lifecycleEvent: item.lifecycleEvent,
          tenantId: item.tenantId ?? null,
          subscriptionExpirationDateTime: expiration,
          receivedAt: receivedAt.toISOString(),
        },
      },
    };
  });
}
