/**
 * Fan-out of many single-item Graph operations (deletes, cancels) through JSON `$batch`.
 *
 * Limits it keeps: ≤ 20 requests per batch; ≤ `perMailboxConcurrency` (Outlook: 4) requests in flight
 * per mailbox, counted across every batch in flight. Each batch takes one request per mailbox first.
 * Graph runs the Outlook requests of one batch at most 4 at a time, so a batch of 20 takes five request
 * times: the ready ops are spread evenly over the batches that may be in flight (up to 20 each) rather
 * than packed 20 to a batch, and a 500-attendee meeting is deleted in about three request times, not 25
 * batches' worth.
 *
 * Per-item statuses are read individually (the outer answer is 200 even when items fail): 2xx done,
 * 404 already gone, 429 retried after that item's own Retry-After (the SDK does not retry inner
 * items), 5xx and dropped connections retried with backoff. Nothing is retried past the deadline
 * (the queue message's visibility window): what is left is reported `pending`.
 */
import { GraphError, RetryHandlerOptions, type Client } from '@microsoft/microsoft-graph-client';
import { backoffDelay, isTransientStatus, parseRetryAfter, systemClock, type BackoffOptions, type Clock } from '../net/retry.js';
import { recordThrottle } from '../telemetry/index.js';

export const MAX_BATCH_SIZE = 20;
export const OUTLOOK_MAILBOX_CONCURRENCY = 4;
/** Batches in flight at once by default: Graph documents no limit for unordered batches; this keeps one fan-out's sockets bounded. */
export const BATCHES_IN_FLIGHT = 64;

export interface ItemOp {
  /** The caller's handle, echoed in the outcome. Unique within one fan-out. */
  key: string;
  /** Mailbox (Graph user id) the request touches: the unit of Outlook's concurrency limit. */
  mailbox: string;
  method: 'DELETE' | 'POST' | 'PATCH' | 'GET';
  /** Relative to the version root, e.g. `/users/{id}/events/{id}`. */
  url: string;
  body?: unknown;
}

export type OpStatus = 'done' | 'already-gone' | 'failed' | 'pending';

export interface OpOutcome {
  key: string;
  status: OpStatus;
  /** Last HTTP status seen for the item (null: no answer, e.g. dropped connection, or never sent). */
  httpStatus: number | null;
  /** Graph error code of the last answer (e.g. `ErrorItemNotFound`, `ApplicationThrottled`). */
  code: string | null;
  attempts: number;
  detail: string;
}

export interface BatchRequestItem {
  id: string;
  method: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface BatchResponseItem {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Sends one `$batch` and returns its items; throws BatchTransportError when the batch as a whole fails. */
export type BatchTransport = (requests: BatchRequestItem[]) => Promise<BatchResponseItem[]>;

export class BatchTransportError extends Error {
  constructor(
    message: string,
    /** Outer HTTP status; null when the connection failed without an answer. */
    readonly status: number | null,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = 'BatchTransportError';
  }
}

export interface FanOutOptions {
  /** Epoch ms after which no attempt starts; remaining ops are reported `pending`. */
  deadline: number;
  clock?: Clock;
  maxBatchSize?: number;
  perMailboxConcurrency?: number;
  /** Batches in flight at once (across mailboxes). */
  maxBatchesInFlight?: number;
  /** Attempts per op for 5xx / dropped connections (429s are bounded by the deadline only). */
  maxAttempts?: number;
  backoff?: BackoffOptions;
  /** Observes each batch sent (for metrics and tests). */
  onBatch?: (sent: { size: number; mailboxes: number }) => void;
  /**
   * Requests in flight per mailbox, shared by every fan-out of the process (graphOutlookOps makes one), so
   * concurrent queue messages together stay within `perMailboxConcurrency`; by default this fan-out's own.
   */
  inFlight?: Map<string, number>;
}

/** How often a fan-out held back only by other fan-outs' requests to the same mailboxes looks again. */
const SHARED_SLOT_POLL_MS = 25;

/** What one item answer means for the op. */
export type ItemVerdict =
  | { kind: 'done' }
  | { kind: 'gone' }
  | { kind: 'retry'; afterMs: number | null; countsAsAttempt: boolean }
  | { kind: 'fail' };

export function classifyItem(status: number, retryAfterMs: number | null): ItemVerdict {
  if (status >= 200 && status < 300) return { kind: 'done' };
  if (status === 404) return { kind: 'gone' };
  if (status === 429) return { kind: 'retry', afterMs: retryAfterMs, countsAsAttempt: false };
  if (isTransientStatus(status)) return { kind: 'retry', afterMs: retryAfterMs, countsAsAttempt: true };
  return { kind: 'fail' };
}

interface PendingOp {
  op: ItemOp;
  attempts: number;
  notBefore: number;
  httpStatus: number | null;
  code: string | null;
  detail: string;
}

/**
 * Picks the next batch from ready ops (in order): first one op per mailbox, then more per mailbox, never
 * taking a mailbox past `perMailbox` requests counting those already in flight.
 */
export function selectBatch<T extends { mailbox: string }>(
  ready: readonly T[],
  inFlight: ReadonlyMap<string, number>,
  maxSize: number,
  perMailbox: number,
): T[] {
  const picked: T[] = [];
  const taken = new Set<T>();
  const count = new Map<string, number>();
  const room = (mailbox: string) => perMailbox - (inFlight.get(mailbox) ?? 0) - (count.get(mailbox) ?? 0);
  for (const firstPassOnly of [true, false]) {
    for (const item of ready) {
      if (picked.length >= maxSize) return picked;
      if (taken.has(item) || room(item.mailbox) <= 0) continue;
      if (firstPassOnly && count.has(item.mailbox)) continue;
      picked.push(item);
      taken.add(item);
      count.set(item.mailbox, (count.get(item.mailbox) ?? 0) + 1);
    }
  }
  return picked;
}

export function headerValue(headers: Record<string, string> | undefined, name: string): string | null {
  if (!headers) return null;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return null;
}

function toRequest(op: ItemOp, id: string): BatchRequestItem {
  return op.body === undefined
    ? { id, method: op.method, url: op.url }
    : { id, method: op.method, url: op.url, body: op.body, headers: { 'Content-Type': 'application/json' } };
}

/** Runs every op to a final outcome (or `pending` at the deadline); outcomes come back in input order. */
export async function fanOut(transport: BatchTransport, ops: readonly ItemOp[], options: FanOutOptions): Promise<OpOutcome[]> {
  const clock = options.clock ?? systemClock;
  const maxSize = Math.min(options.maxBatchSize ?? MAX_BATCH_SIZE, MAX_BATCH_SIZE);
  const perMailbox = options.perMailboxConcurrency ?? OUTLOOK_MAILBOX_CONCURRENCY;
  const maxBatches = options.maxBatchesInFlight ?? BATCHES_IN_FLIGHT;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoff = options.backoff ?? { baseMs: 200, maxMs: 10_000 };

  const outcomes = new Map<string, OpOutcome>();
  let queue: PendingOp[] = ops.map((op) => ({ op, attempts: 0, notBefore: 0, httpStatus: null, code: null, detail: 'not sent' }));
  const inFlight = options.inFlight ?? new Map<string, number>();
  const running = new Set<Promise<void>>();

  const finish = (p: PendingOp, status: OpStatus, detail: string) =>
    outcomes.set(p.op.key, { key: p.op.key, status, httpStatus: p.httpStatus, code: p.code, attempts: p.attempts, detail });

  const requeue = (p: PendingOp, afterMs: number | null, countsAsAttempt: boolean, detail: string) => {
    p.detail = detail;
    if (countsAsAttempt && p.attempts >= maxAttempts) return finish(p, 'pending', `gave up after ${p.attempts} attempts: ${detail}`);
    p.notBefore = clock.now() + (afterMs ?? backoffDelay(p.attempts, backoff));
    queue.push(p);
  };

  const settle = (p: PendingOp, item: BatchResponseItem | undefined) => {
    if (!item) return requeue(p, null, true, 'batch answer lacked this item');
    p.httpStatus = item.status;
    p.code = errorCode(item.body);
    const retryAfterMs = parseRetryAfter(headerValue(item.headers, 'Retry-After'), clock.now());
    if (item.status === 429) recordThrottle('graph', p.op.mailbox, seconds(retryAfterMs));
    const verdict = classifyItem(item.status, retryAfterMs);
    const detail = p.code === null ? `HTTP ${item.status}` : `HTTP ${item.status} ${p.code}`;
    if (verdict.kind === 'done') return finish(p, 'done', detail);
    if (verdict.kind === 'gone') return finish(p, 'already-gone', detail);
    if (verdict.kind === 'fail') return finish(p, 'failed', detail);
    requeue(p, verdict.afterMs, verdict.countsAsAttempt, detail);
  };

  const send = async (batch: PendingOp[]) => {
    const byId = new Map(batch.map((p, i) => [String(i + 1), p]));
    try {
      const answers = await transport(batch.map((p, i) => toRequest(p.op, String(i + 1))));
      const answerById = new Map(answers.map((a) => [String(a.id), a]));
      for (const [id, p] of byId) settle(p, answerById.get(id));
    } catch (error) {
      const status = error instanceof BatchTransportError ? error.status : null;
      const retryAfterMs = error instanceof BatchTransportError ? error.retryAfterMs : null;
      const detail = status === null ? `batch failed: ${(error as Error).message}` : `batch answered HTTP ${status}`;
      if (status === 429) recordThrottle('graph', undefined, seconds(retryAfterMs));
      for (const p of batch) {
        p.httpStatus = status;
        p.code = null;
        // A whole-batch 424 is undocumented (Graph documents 424 per dependent item, and fan-out batches
        // have no dependsOn): retried like a transient failure rather than taken as the ops' answer.
        if (status !== null && !isTransientStatus(status) && status !== 424) finish(p, 'failed', detail);
        else requeue(p, retryAfterMs, status !== 429, detail);
      }
    } finally {
      for (const p of batch) inFlight.set(p.op.mailbox, (inFlight.get(p.op.mailbox) ?? 1) - 1);
    }
  };

  for (;;) {
    const now = clock.now();
    const expired = queue.filter((p) => now >= options.deadline || p.notBefore > options.deadline);
    for (const p of expired) finish(p, 'pending', `deadline reached; last: ${p.detail}`);
    if (expired.length > 0) queue = queue.filter((p) => !expired.includes(p));

    while (running.size < maxBatches) {
      const ready = queue.filter((p) => p.notBefore <= now);
      // Spread what is ready over the batches that may still start: smaller batches finish sooner.
      const size = Math.min(maxSize, Math.max(1, Math.ceil(ready.length / (maxBatches - running.size))));
      const batch = selectBatch(ready.map((p) => ({ mailbox: p.op.mailbox, p })), inFlight, size, perMailbox).map((x) => x.p);
      if (batch.length === 0) break;
      const chosen = new Set(batch);
      queue = queue.filter((p) => !chosen.has(p));
      for (const p of batch) {
        p.attempts += 1;
        inFlight.set(p.op.mailbox, (inFlight.get(p.op.mailbox) ?? 0) + 1);
      }
      options.onBatch?.({ size: batch.length, mailboxes: new Set(batch.map((p) => p.op.mailbox)).size });
      const task: Promise<void> = send(batch).finally(() => running.delete(task));
      running.add(task);
    }

    if (queue.length === 0 && running.size === 0) break;
    const waiting = queue.filter((p) => p.notBefore > now);
    // Nothing to wake for but a batch in flight: no timer, whose pending sleep would keep a short-lived
    // process (the delete-sync CLI) alive until the deadline.
    if (waiting.length === 0 && running.size > 0) {
      await Promise.race(running);
      continue;
    }
    // Ready ops that no batch took are held back by other fan-outs' requests in flight (shared limit): look again soon.
    const heldBack = queue.length > waiting.length;
    const wakeAt = Math.min(
      waiting.length > 0 ? Math.min(options.deadline, ...waiting.map((p) => p.notBefore)) : options.deadline,
      heldBack ? now + SHARED_SLOT_POLL_MS : Number.POSITIVE_INFINITY,
    );
    const timer = clock.sleep(Math.max(1, wakeAt - now));
    await (running.size > 0 ? Promise.race([...running, timer]) : timer);
  }

  return ops.map((op) => outcomes.get(op.key) as OpOutcome);
}

const seconds = (ms: number | null) => (ms === null ? undefined : ms / 1000);

function errorCode(body: unknown): string | null {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : null;
}

/** `$batch` through the SDK client. The SDK's own retry is off: the fan-out retries with the deadline in view. */
export function graphBatchTransport(client: Client, clock: Clock = systemClock): BatchTransport {
  return async (requests) => {
    try {
      const answer = (await client
        .api('/$batch')
        .middlewareOptions([new RetryHandlerOptions(0, 0)])
        .post({ requests })) as { responses?: BatchResponseItem[] };
      return answer.responses ?? [];
    } catch (error) {
      if (error instanceof GraphError) {
        const status = error.statusCode > 0 ? error.statusCode : null;
        const retryAfter = error.headers?.get('Retry-After') ?? null;
        throw new BatchTransportError(error.message || error.code || 'batch request failed', status, parseRetryAfter(retryAfter, clock.now()));
      }
      throw new BatchTransportError((error as Error).message, null, null);
    }
  };
}
