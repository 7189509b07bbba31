/**
 * Retry timing shared by the Graph fan-out and the Dataverse client: Retry-After parsing, capped
 * exponential backoff with jitter, and which failures are worth another attempt.
 */

/** Parses a Retry-After value (delta-seconds, fractional allowed as Graph sends "2.128", or an HTTP date) into ms. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** 0..1 source for jitter; injected so tests are deterministic. */
  random?: () => number;
}

/** Delay before attempt `attempt + 1` (attempt counts from 1): full jitter over base·2^(attempt-1), capped. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/** Statuses that mean "try again later" rather than "this will never work". */
export function isTransientStatus(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
