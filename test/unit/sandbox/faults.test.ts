import { describe, expect, it } from 'vitest';
import { Faults } from '../../../sandbox/faults.js';
import { DeleteLog } from '../../../sandbox/delete-log.js';

describe('Faults', () => {
  it('refuses the request past the concurrency limit per key and frees the slot on release', () => {
    const faults = new Faults(() => 0);
    const held = Array.from({ length: 4 }, () => faults.admit('graph', 'mailbox-a'));
    expect(held.every((a) => a.outcome === 'proceed')).toBe(true);
    expect(faults.admit('graph', 'mailbox-a')).toMatchObject({ outcome: 'throttled', reason: 'concurrency', retryAfterSeconds: 1 });
    expect(faults.admit('graph', 'mailbox-b').outcome).toBe('proceed');
    const first = held[0];
    if (first?.outcome === 'proceed') first.release();
    expect(faults.inFlight('graph', 'mailbox-a')).toBe(3);
    expect(faults.admit('graph', 'mailbox-a').outcome).toBe('proceed');
  });

  it('enforces the request budget per window on the sandbox clock, with Retry-After for the rest of the window', () => {
    let now = 0;
    const faults = new Faults(() => now);
    faults.set('graph', { budget: { limit: 2, windowMs: 60_000 }, concurrencyLimit: 100 });
    faults.admit('graph', 'a');
    faults.admit('graph', 'a');
    now = 15_000;
    expect(faults.admit('graph', 'a')).toMatchObject({ outcome: 'throttled', reason: 'budget', retryAfterSeconds: 45 });
    now = 60_000;
    expect(faults.admit('graph', 'a').outcome).toBe('proceed');
  });

  it('serves injected one-shot faults first, only to the given key, then returns to normal', () => {
    const faults = new Faults();
    faults.inject('dataverse', { kind: 'serverError', status: 502 }, { times: 2, key: 'x' });
    expect(faults.admit('dataverse', 'y').outcome).toBe('proceed');
    expect(faults.admit('dataverse', 'x')).toEqual({ outcome: 'serverError', status: 502 });
    expect(faults.admit('dataverse', 'x')).toEqual({ outcome: 'serverError', status: 502 });
    expect(faults.admit('dataverse', 'x').outcome).toBe('proceed');
    faults.inject('graph', { kind: 'delay', ms: 250 });
    expect(faults.admit('graph', undefined)).toMatchObject({ outcome: 'proceed', delayMs: 250 });
  });

  it('draws random faults reproducibly from the seed, and reset restores the published limits', () => {
    const outcomes = (seed: number) => {
      const faults = new Faults(() => 0, seed);
      faults.set('graph', { throttleRate: 0.3, serverErrorRate: 0.2, dropRate: 0.1, concurrencyLimit: 1000 });
      return Array.from({ length: 50 }, () => faults.admit('graph', 'k').outcome);
    };
    const a = outcomes(42);
    expect(outcomes(42)).toEqual(a);
    expect(new Set(a)).toEqual(new Set(['proceed', 'throttled', 'serverError', 'drop']));
    const faults = new Faults();
    faults.set('graph', { throttleRate: 1 });
    faults.reset('graph');
    expect(faults.get('graph')).toMatchObject({ throttleRate: 0, concurrencyLimit: 4, budget: { limit: 10_000, windowMs: 600_000 } });
  });
});

describe('DeleteLog', () => {
  it('filters by fields and reports items removed twice (404s do not count)', () => {
    const log = new DeleteLog();
    const base = { at: 1, side: 'graph' as const, scope: 'u1', kind: 'event', caller: 'app:c', via: 'api' as const };
    log.append({ ...base, id: 'e1', status: 204 });
    log.append({ ...base, id: 'e1', status: 404 });
    log.append({ ...base, id: 'e2', status: 204, via: 'user', caller: 'user:u1' });
    expect(log.deletedTwice()).toEqual([]);
    log.append({ ...base, id: 'e2', status: 204 });
    expect(log.deletedTwice().map((r) => r.id)).toEqual(['e2']);
    expect(log.entries({ via: 'user' })).toHaveLength(1);
  });
});
