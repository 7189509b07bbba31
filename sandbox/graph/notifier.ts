/**
 * Delivers change and lifecycle notifications the way Graph does: late (a base latency — Graph's table
 * says under a minute for contacts and messages, up to 3 minutes, "Unknown" for events — kept short in
 * tests), several to one URL in one POST ("Microsoft Graph may send multiple notifications … in the same
 * POST request"), at least once (a seeded share is sent twice), not in order (random delays), retried
 * with backoff on non-2xx, errors and answers slower than the timeout, and every attempt recorded. An endpoint whose recent answers are often slow is
 * penalised as Graph does (≥ 10 % slow: deliveries delayed; ≥ 15 %: dropped). While paused,
 * notifications are lost (delta still sees the changes), as when Graph drops them.
 */
import { randomUUID } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { Agent, fetch } from 'undici';
import { seededRandom } from '../faults.js';

export interface NotifierSettings {
  /** Share of notifications delivered twice. */
  duplicateRate: number;
  /** Each delivery waits this long first (Graph: seconds to minutes). */
  latencyMs: number;
  /** …plus a random 0..maxDelayMs, so notifications can overtake each other. */
  maxDelayMs: number;
  /** Change notifications for one URL made within this window go out in one POST (0: one per POST). */
  batchWindowMs: number;
  /** At most this many notifications in one POST. */
  maxBatch: number;
  /** An answer slower than this counts as failed (Graph: 3 s). */
  timeoutMs: number;
  /** Attempts per notification, including the first. */
  attempts: number;
  /** Backoff before retry n is baseDelayMs * 2^(n-1). */
  backoffMs: number;
  /** An answer slower than this counts as slow for the endpoint's health (timeouts always do). */
  slowMs: number;
  /** With ≥ 10 % slow answers among the endpoint's recent ones, deliveries wait this long first; with ≥ 15 % they are dropped. */
  slowPenaltyMs: number;
}

export const defaultNotifierSettings: NotifierSettings = {
  duplicateRate: 0.05,
  latencyMs: 0,
  maxDelayMs: 30,
  batchWindowMs: 15,
  maxBatch: 10,
  timeoutMs: 3000,
  attempts: 4,
  backoffMs: 200,
  slowMs: 3000,
  slowPenaltyMs: 10_000,
};

/** How many recent answers per endpoint the slow share is computed over, and the fewest that count. */
const healthWindow = 20;
const healthMinimum = 10;

export interface DeliveryRecord {
  at: number;
  subscriptionId: string;
  /** `created` / `updated` / `deleted`, or the lifecycle event. */
  event: string;
  resource?: string;
  attempt: number;
  outcome: 'delivered' | 'failed' | 'gaveUp' | 'lost';
  status?: number;
  error?: string;
  durationMs: number;
  /** Notifications in the POST this one went in. */
  batchSize?: number;
}

export interface Notification {
  subscriptionId: string;
  event: string;
  resource?: string;
  url: string;
  payload: unknown;
  /** Lifecycle notifications are not duplicated, and are sent even while change notifications are paused. */
  lifecycle: boolean;
}

/** Notifications going to one URL in one POST. */
interface Batch {
  url: string;
  notifications: Notification[];
}

const items = (n: Notification): unknown[] => (n.payload as { value?: unknown[] }).value ?? [];

export class Notifier {
  /** Per URL: the batch still collecting notifications (not yet sent). */
  private readonly open = new Map<string, Batch>();
  readonly settings: NotifierSettings = { ...defaultNotifierSettings };
  readonly deliveries: DeliveryRecord[] = [];
  private paused = false;
  private rng: () => number;
  private pending = 0;
  private waiters: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Per notification URL: recent answers, true where slow. */
  private readonly health = new Map<string, boolean[]>();
  private readonly dispatcher: Agent;
  private closed = false;

  constructor(trustedCa: string[], private readonly clock: () => number, seed = 7) {
    this.rng = seededRandom(seed);
    this.dispatcher = new Agent({ connect: { ca: [...rootCertificates, ...trustedCa] } });
  }

  seed(seed: number): void {
    this.rng = seededRandom(seed);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Records a notification as lost without sending it (paused, or the subscription cannot deliver). */
  lose(n: Notification, reason: string): void {
    this.deliveries.push({ at: this.clock(), subscriptionId: n.subscriptionId, event: n.event, resource: n.resource, attempt: 0, outcome: 'lost', error: reason, durationMs: 0 });
  }

  send(n: Notification): void {
    if (this.closed) return;
    if (this.paused && !n.lifecycle) {
      this.lose(n, 'paused');
      return;
    }
    const slowShare = this.slowShare(n.url);
    if (slowShare >= 0.15) {
      this.lose(n, 'endpoint too slow');
      return;
    }
    const penalty = slowShare >= 0.1 ? this.settings.slowPenaltyMs : 0;
    const delay = () => penalty + this.settings.latencyMs + Math.floor(this.rng() * this.settings.maxDelayMs);
    const open = this.open.get(n.url);
    if (!n.lifecycle && open && open.notifications.length < this.settings.maxBatch) open.notifications.push(n);
    else {
      const batch: Batch = { url: n.url, notifications: [n] };
      if (!n.lifecycle && this.settings.batchWindowMs > 0) this.open.set(n.url, batch);
      this.schedule(batch, 1, Math.max(delay(), n.lifecycle ? 0 : this.settings.batchWindowMs));
    }
    // The duplicate travels on its own, later or earlier than the original.
    if (!n.lifecycle && this.rng() < this.settings.duplicateRate) this.schedule({ url: n.url, notifications: [n] }, 1, delay());
  }

  /**
   * The validation handshake: POST `url?validationToken=…` and expect, within the timeout, 200 with
   * `text/plain` and exactly the decoded token. The token has spaces, `+`, `%` and `&` so that a
   * receiver that does not URL-decode properly fails here as it would against Graph. Returns the reason
   * on failure.
   */
  async handshake(url: string, timeoutMs: number): Promise<string | undefined> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()} +1%20&x=y`;
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return 'invalid URL';
    }
    target.searchParams.set('validationToken', token);
    try {
      const response = await fetch(target, { method: 'POST', signal: AbortSignal.timeout(timeoutMs), dispatcher: this.dispatcher });
      const text = await response.text();
      if (response.status !== 200) return `status ${response.status}`;
      if (!/^text\/plain/i.test(response.headers.get('content-type') ?? '')) return 'content type is not text/plain';
      if (text !== token) return 'response does not match the validation token';
      return undefined;
    } catch (e) {
      return e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : 'unreachable';
    }
  }

  /** Resolves once nothing is waiting to be sent or retried. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending = 0;
    this.flushWaiters();
    await this.dispatcher.close();
  }

  private schedule(batch: Batch, attempt: number, delayMs: number): void {
    this.pending += 1;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.open.get(batch.url) === batch) this.open.delete(batch.url);
      void this.attempt(batch, attempt).finally(() => {
        this.pending -= 1;
        if (this.pending <= 0) this.flushWaiters();
      });
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(batch: Batch, attempt: number): Promise<void> {
    if (this.closed) return;
    const n = batch.notifications[0] as Notification;
    const payload = batch.notifications.length === 1 ? n.payload : { value: batch.notifications.flatMap(items) };
    const started = Date.now();
    let status: number | undefined;
    let error: string | undefined;
    try {
      const response = await fetch(n.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        dispatcher: this.dispatcher,
      });
      status = response.status;
      await response.arrayBuffer();
    } catch (e) {
      error = e instanceof Error ? e.name === 'TimeoutError' ? 'timeout' : e.message : String(e);
    }
    if (this.closed) return;
    const durationMs = Date.now() - started;
    // Graph's slow share counts notifications, not POSTs.
    for (let i = 0; i < batch.notifications.length; i++) this.recordHealth(n.url, error === 'timeout' || durationMs > this.settings.slowMs);
    const ok = status !== undefined && status >= 200 && status < 300;
    const last = attempt >= this.settings.attempts;
    const outcome = ok ? 'delivered' : last ? 'gaveUp' : 'failed';
    for (const one of batch.notifications) {
      this.deliveries.push({ at: this.clock(), subscriptionId: one.subscriptionId, event: one.event, resource: one.resource, attempt, outcome, status, error, durationMs, batchSize: batch.notifications.length });
    }
    if (!ok && !last) this.schedule(batch, attempt + 1, this.settings.backoffMs * 2 ** (attempt - 1));
  }

  private slowShare(url: string): number {
    const recent = this.health.get(url) ?? [];
    return recent.length < healthMinimum ? 0 : recent.filter(Boolean).length / recent.length;
  }

  private recordHealth(url: string, slow: boolean): void {
    const recent = this.health.get(url) ?? [];
    recent.push(slow);
    if (recent.length > healthWindow) recent.shift();
    this.health.set(url, recent);
  }

  private flushWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
