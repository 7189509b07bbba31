/**
 * The fault switchboard shared by both halves of the sandbox. Each request is admitted against its key
 * (a Graph mailbox or a Dataverse caller): concurrency limit, request budget per window, then injected
 * throttling, 5xx and dropped connections (one-shot faults first, then seeded random rates), and a
 * latency to hold the slot for. Every setting can be changed while the sandbox runs.
 */
export type FaultSide = 'graph' | 'dataverse';

export interface FaultSettings {
  /** Requests in flight per key; the next one is refused with 429. */
  concurrencyLimit: number;
  /** Requests per key per window; beyond it 429 with Retry-After = time left in the window. */
  budget: { limit: number; windowMs: number };
  /** Retry-After (seconds) for concurrency and injected 429s. */
  retryAfterSeconds: number;
  /** Fraction of requests answered 429 at random. */
  throttleRate: number;
  /** Fraction of requests answered with `serverErrorStatus` at random. */
  serverErrorRate: number;
  serverErrorStatus: number;
  /** Fraction of requests whose connection is destroyed without an answer. */
  dropRate: number;
  /** Time each admitted request takes (holds its concurrency slot), plus up to `latencyJitterMs`. */
  latencyMs: number;
  latencyJitterMs: number;
}

export type InjectedFault =
  | { kind: 'throttle'; retryAfterSeconds?: number }
  | { kind: 'serverError'; status?: number }
  | { kind: 'drop' }
  | { kind: 'delay'; ms: number };

export type Admission =
  | { outcome: 'proceed'; delayMs: number; release(): void }
  | { outcome: 'throttled'; reason: 'concurrency' | 'budget' | 'injected'; retryAfterSeconds: number }
  | { outcome: 'serverError'; status: number }
  | { outcome: 'drop' };

const noInjectedFaults = {
  retryAfterSeconds: 1,
  throttleRate: 0,
  serverErrorRate: 0,
  serverErrorStatus: 503,
  dropRate: 0,
  latencyMs: 0,
  latencyJitterMs: 0,
};

/** Published limits: Outlook 4 concurrent and 10,000 / 10 min per app per mailbox; Dataverse 52 and 6,000 / 5 min per user. */
export const defaultFaultSettings: Record<FaultSide, FaultSettings> = {
  graph: { ...noInjectedFaults, concurrencyLimit: 4, budget: { limit: 10_000, windowMs: 10 * 60_000 } },
  dataverse: { ...noInjectedFaults, concurrencyLimit: 52, budget: { limit: 6_000, windowMs: 5 * 60_000 } },
};

/** mulberry32: small, fast, reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface QueuedFault {
  fault: InjectedFault;
  key: string | undefined;
  remaining: number;
}

interface Window {
  startedAt: number;
  count: number;
}

export class Faults {
  private readonly settings: Record<FaultSide, FaultSettings>;
  private readonly queued: Record<FaultSide, QueuedFault[]> = { graph: [], dataverse: [] };
  private readonly inFlightByKey: Record<FaultSide, Map<string, number>> = { graph: new Map(), dataverse: new Map() };
  private readonly windows: Record<FaultSide, Map<string, Window>> = { graph: new Map(), dataverse: new Map() };
  private rng: () => number;

  constructor(private readonly clock: () => number = Date.now, seed = 1) {
    this.settings = { graph: cloneSettings(defaultFaultSettings.graph), dataverse: cloneSettings(defaultFaultSettings.dataverse) };
    this.rng = seededRandom(seed);
  }

  get(side: FaultSide): Readonly<FaultSettings> {
    return this.settings[side];
  }

  set(side: FaultSide, changes: Partial<FaultSettings>): void {
    Object.assign(this.settings[side], changes);
  }

  /** Back to the published limits with no injected faults; budgets start afresh. */
  reset(side?: FaultSide): void {
    for (const s of side ? [side] : (['graph', 'dataverse'] as const)) {
      this.settings[s] = cloneSettings(defaultFaultSettings[s]);
      this.queued[s] = [];
      this.windows[s].clear();
    }
  }

  seed(seed: number): void {
    this.rng = seededRandom(seed);
  }

  /** Serve `fault` to the next `times` requests (for `key` only, if given), before any random fault. */
  inject(side: FaultSide, fault: InjectedFault, options: { times?: number; key?: string } = {}): void {
    this.queued[side].push({ fault, key: options.key, remaining: options.times ?? 1 });
  }

  inFlight(side: FaultSide, key: string): number {
    return this.inFlightByKey[side].get(key) ?? 0;
  }

  /** Decides one request's fate. A `proceed` must be released when the answer is sent. */
  admit(side: FaultSide, key: string | undefined): Admission {
    const s = this.settings[side];
    const injected = this.takeInjected(side, key);
    if (injected?.kind === 'drop') return { outcome: 'drop' };
    if (injected?.kind === 'serverError') return { outcome: 'serverError', status: injected.status ?? s.serverErrorStatus };
    if (injected?.kind === 'throttle') {
      return { outcome: 'throttled', reason: 'injected', retryAfterSeconds: injected.retryAfterSeconds ?? s.retryAfterSeconds };
    }
    if (key !== undefined) {
      const refusal = this.checkLimits(side, key);
      if (refusal) return refusal;
    }
    if (s.dropRate > 0 && this.rng() < s.dropRate) return { outcome: 'drop' };
    if (s.serverErrorRate > 0 && this.rng() < s.serverErrorRate) return { outcome: 'serverError', status: s.serverErrorStatus };
    if (s.throttleRate > 0 && this.rng() < s.throttleRate) {
      return { outcome: 'throttled', reason: 'injected', retryAfterSeconds: s.retryAfterSeconds };
    }
    const extra = injected?.kind === 'delay' ? injected.ms : 0;
    const jitter = s.latencyJitterMs > 0 ? Math.floor(this.rng() * s.latencyJitterMs) : 0;
    return { outcome: 'proceed', delayMs: s.latencyMs + jitter + extra, release: this.occupy(side, key) };
  }

  private takeInjected(side: FaultSide, key: string | undefined): InjectedFault | undefined {
    const queue = this.queued[side];
    const index = queue.findIndex((q) => q.key === undefined || q.key === key);
    const entry = queue[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) queue.splice(index, 1);
    return entry.fault;
  }

  private checkLimits(side: FaultSide, key: string): Admission | undefined {
    const s = this.settings[side];
    if (this.inFlight(side, key) >= s.concurrencyLimit) {
      return { outcome: 'throttled', reason: 'concurrency', retryAfterSeconds: s.retryAfterSeconds };
    }
    const now = this.clock();
    let window = this.windows[side].get(key);
    if (!window || now - window.startedAt >= s.budget.windowMs) {
      window = { startedAt: now, count: 0 };
      this.windows[side].set(key, window);
    }
    if (window.count >= s.budget.limit) {
      const left = Math.max(1, Math.ceil((window.startedAt + s.budget.windowMs - now) / 1000));
      return { outcome: 'throttled', reason: 'budget', retryAfterSeconds: left };
    }
    window.count += 1;
    return undefined;
  }

  private occupy(side: FaultSide, key: string | undefined): () => void {
    if (key === undefined) return () => {};
    const map = this.inFlightByKey[side];
    map.set(key, (map.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (map.get(key) ?? 1) - 1;
      if (left <= 0) map.delete(key);
      else map.set(key, left);
    };
  }
}

function cloneSettings(s: FaultSettings): FaultSettings {
  return { ...s, budget: { ...s.budget } };
}
