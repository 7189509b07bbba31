/**
 * POST /api/graph/notifications and /api/graph/lifecycle. First the validation handshake; then every item
 * is checked against its stored subscription (known, clientState equal to that subscription's own
 * secret, expected tenant; a change's resource naming that subscription's mailbox and item kind) — valid ones are deduped and enqueued, invalid ones dropped and logged
 * without secrets. Graph wants 2xx within 3 s and retries 5xx, so a storage failure answers 503.
 */
import type { ChangeNotification, LifecycleNotification } from '../contracts/graph.js';
import {
  normalizeGraphNotification,
  parseLifecycleCollection,
  parseNotificationCollection,
} from '../domain/normalize-graph.js';
import type { DomainEvent } from '../domain/event.js';
import { DeleteSyncError, isDeleteSyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { GraphSubscription } from '../store/subscriptions.js';
import type { QueueMessage } from '../store/messages.js';
import type { HandlerDeps } from './deps.js';
import { enqueueOnce } from '../pipeline/enqueue.js';
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
  message: QueueMessage;
}

type Notice = Item & { changeType?: string; lifecycleEvent?: string };

function dropped(log: Logger, reason: string, item: Notice) {
  // Ids only: never the clientState, never the resource data.
  log.warn('notification dropped', {
    reason,
    subscriptionId: item.subscriptionId,
    tenantId: item.tenantId,
    changeType: item.changeType,
    lifecycleEvent: item.lifecycleEvent,
  });
}

/** Verifies every item of a parsed body; a valid item becomes a message, an invalid one is dropped and logged. */
async function acceptVerified<T extends Notice>(
  items: T[],
  deps: HandlerDeps,
  log: Logger,
  toAccepted: (item: T, subscription: GraphSubscription) => Accepted,
): Promise<Map<string, QueueMessage>> {
  // The same item twice in one body is one message: keyed by dedupe key before the store sees it.
  const accepted = new Map<string, QueueMessage>();
  for (const item of items) {
    const verdict = await verify(item, deps);
    if (!verdict.ok) {
      dropped(log, verdict.reason, item);
      continue;
    }
    try {
      const { key, message } = toAccepted(item, verdict.subscription);
      accepted.set(key, message);
    } catch (error) {
      if (!isDeleteSyncError(error)) throw error;
      dropped(log, error.code, item);
    }
  }
  return accepted;
}

function createGraphHandler<T extends Notice>(
  deps: HandlerDeps,
  name: string,
  parse: (body: Buffer) => T[],
  toAccepted: (item: T, receivedAt: Date, subscription: GraphSubscription) => Accepted,
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
      const accepted = await acceptVerified(parse(request.rawBody), deps, log, (item, subscription) => toAccepted(item, receivedAt, subscription));
      const results = await Promise.all(
        [...accepted].map(([key, message]) => enqueueOnce(deps.store, key, message, receivedAt)),
      );
      log.info('notifications accepted', {
        enqueued: results.filter((r) => r === 'enqueued').length,
        duplicates: results.filter((r) => r === 'duplicate').length,
      });
      return emptyResponse(202);
    } catch (error) {
      if (isDeleteSyncError(error) && error.statusCode < 500) {
        log.warn('notification body rejected', { errorCode: error.code, field: error.field });
      }
      return errorResponse(error, log);
    }
  };
}

/**
 * One subscription's clientState vouches for its own mailbox and item kind only: a notification whose
 * resource names another mailbox or kind is dropped (DS_ERR_FORBIDDEN), so knowing one secret does not
 * let a caller act for any mailbox.
 */
function assertResourceOfSubscription(event: DomainEvent, subscription: GraphSubscription): void {
  const outlook = event.outlook;
  if (outlook === undefined || outlook.userId.toLowerCase() !== subscription.userId.toLowerCase() || outlook.itemKind !== subscription.itemKind) {
    throw new DeleteSyncError('DS_ERR_FORBIDDEN', "Notification resource is outside its subscription's mailbox or item kind", { field: 'resource' });
  }
}

export function createGraphNotificationsHandler(deps: HandlerDeps): Handler {
  return createGraphHandler(deps, 'graph-notifications', parseNotificationCollection, (item, receivedAt, subscription) => {
    const event = normalizeGraphNotification(item, receivedAt);
    assertResourceOfSubscription(event, subscription);
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
