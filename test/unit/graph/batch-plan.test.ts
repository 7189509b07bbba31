import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyItem, headerValue, selectBatch } from '../../../src/graph/batch.js';

const op = (mailbox: string, n = 0) => ({ mailbox, n });

describe('selectBatch', () => {
  it('fills a batch with 20 different mailboxes before doubling up', () => {
    const ready = Array.from({ length: 500 }, (_, i) => op(`m${i}`));
    const batch = selectBatch(ready, new Map(), 20, 4);
    expect(batch).toHaveLength(20);
    expect(new Set(batch.map((b) => b.mailbox)).size).toBe(20);
  });

  it('plans a 500-attendee meeting as 25 batches', () => {
    let ready = Array.from({ length: 500 }, (_, i) => op(`m${i}`));
    let batches = 0;
    while (ready.length > 0) {
      const batch = new Set(selectBatch(ready, new Map(), 20, 4));
      ready = ready.filter((r) => !batch.has(r));
      batches += 1;
    }
    expect(batches).toBe(25);
  });

  it('counts requests already in flight against the per-mailbox limit', () => {
    const ready = [op('a', 1), op('a', 2), op('a', 3), op('b', 1)];
    expect(selectBatch(ready, new Map([['a', 3]]), 20, 4)).toEqual([op('a', 1), op('b', 1)]);
    expect(selectBatch(ready, new Map([['a', 4]]), 20, 4)).toEqual([op('b', 1)]);
  });

  it('never exceeds the batch size or the per-mailbox room (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 80 }),
        fc.dictionary(fc.integer({ min: 0, max: 6 }).map(String), fc.integer({ min: 0, max: 4 })),
        fc.integer({ min: 1, max: 20 }),
        (mailboxes, busy, size) => {
          const ready = mailboxes.map((m, i) => op(String(m), i));
          const inFlight = new Map(Object.entries(busy));
          const batch = selectBatch(ready, inFlight, size, 4);
          expect(batch.length).toBeLessThanOrEqual(size);
          const counts = new Map<string, number>();
          for (const b of batch) counts.set(b.mailbox, (counts.get(b.mailbox) ?? 0) + 1);
          for (const [m, c] of counts) expect(c + (inFlight.get(m) ?? 0)).toBeLessThanOrEqual(4);
          // Nothing with room left behind while the batch has space.
          if (batch.length < size) {
            for (const r of ready) {
              if (!batch.includes(r)) expect((counts.get(r.mailbox) ?? 0) + (inFlight.get(r.mailbox) ?? 0)).toBe(4);
            }
          }
        },
      ),
    );
  });
});

describe('classifyItem', () => {
  it('reads each inner status on its own', () => {
    expect(classifyItem(204, null)).toEqual({ kind: 'done' });
    expect(classifyItem(202, null)).toEqual({ kind: 'done' });
    expect(classifyItem(404, null)).toEqual({ kind: 'gone' });
    expect(classifyItem(429, 2128)).toEqual({ kind: 'retry', afterMs: 2128, countsAsAttempt: false });
    expect(classifyItem(503, null)).toEqual({ kind: 'retry', afterMs: null, countsAsAttempt: true });
    expect(classifyItem(403, null)).toEqual({ kind: 'fail' });
    expect(classifyItem(400, null)).toEqual({ kind: 'fail' });
  });
});

describe('headerValue', () => {
  it('finds inner headers whatever their case', () => {
    expect(headerValue({ 'retry-after': '3' }, 'Retry-After')).toBe('3');
    expect(headerValue({ 'Retry-After': '3' }, 'retry-after')).toBe('3');
    expect(headerValue(undefined, 'Retry-After')).toBeNull();
  });
});
