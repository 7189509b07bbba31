/**
 * A per-process cache of stored subscriptions for the notification receiver, which otherwise reads the
 * same few rows for every notification. An entry lives `ttlMs`, so a subscription removed by another
 * process (and its clientState) stops being accepted here within that time; this process's own writes
 * and removals forget the entry at once. Unknown ids are remembered only `unknownTtlMs`: long enough that
 * a body naming thousands of made-up ids (or the same one a thousand times) costs one read per id, short
 * enough that a subscription created by another process is accepted here within a few seconds of being
 * stored. Concurrent lookups of one id share one read.
 */
export interface SubscriptionCacheOptions {
  ttlMs: number;
  /** How long an id found unknown is answered unknown without another read. */
  unknownTtlMs: number;
  /** Bound on entries; the oldest goes first. */
  maxEntries: number;
  now: () => number;
}

export const SUBSCRIPTION_CACHE_DEFAULTS: SubscriptionCacheOptions = { ttlMs: 30_000, unknownTtlMs: 5_000, maxEntries: 10_000, now: Date.now };

export interface SubscriptionCache<T> {
  get(id: string): Promise<T | null>;
  forget(id: string): void;
}

interface Entry<T> {
  value: Promise<T | null>;
  expiresAt: number;
}

export function createSubscriptionCache<T>(
  read: (id: string) => Promise<T | null>,
  { ttlMs, unknownTtlMs, maxEntries, now }: SubscriptionCacheOptions = SUBSCRIPTION_CACHE_DEFAULTS,
): SubscriptionCache<T> {
  const entries = new Map<string, Entry<T>>();
  // Drops the entry only if it is still this one: a forget and a newer read may have replaced it.
  const drop = (id: string, entry: Entry<T>) => {
    if (entries.get(id) === entry) entries.delete(id);
  };
  return {
    get(id) {
      const cached = entries.get(id);
      if (cached !== undefined && cached.expiresAt > now()) return cached.value;
      if (cached !== undefined) entries.delete(id);
      const entry: Entry<T> = { value: read(id), expiresAt: now() + ttlMs };
      entries.set(id, entry);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      entry.value.then(
        (found) => {
          if (found === null) entry.expiresAt = Math.min(entry.expiresAt, now() + unknownTtlMs);
        },
        () => drop(id, entry),
      );
      return entry.value;
    },
    forget: (id) => void entries.delete(id),
  };
}
