import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import type { DirectoryUser } from '../../../sandbox/index.js';
import { BATCHES_IN_FLIGHT, fanOut, graphBatchTransport, type ItemOp } from '../../../src/graph/batch.js';
import { deleteOp } from '../../../src/graph/items.js';
import { CUSTOM_EVENT_ATTRIBUTE, EVENT_NAMES, METRIC_NAMES } from '../../../src/telemetry/index.js';
import { counterValue, inMemorySinks } from '../telemetry/inMemorySinks.js';
import { meetingTimes, startSandboxClients, type SandboxClients } from './sandbox-clients.js';

let s: SandboxClients;
let users: DirectoryUser[];
// Stand-ins for the global providers useAzureMonitor registers, set before anything records.
const sinks = inMemorySinks();

beforeAll(async () => {
  logs.setGlobalLoggerProvider(sinks.loggerProvider);
  metrics.setGlobalMeterProvider(sinks.meterProvider);
  s = await startSandboxClients();
  users = Array.from({ length: 60 }, (_, i) => s.sandbox.directory.add({ displayName: `Fan Out ${i}` }));
});

afterEach(() => {
  s.sandbox.graph.outlookBatchConcurrency = 4;
  s.sandbox.faults.reset();
  s.sandbox.deleteLog.clear();
});

afterAll(async () => {
  await Promise.all([s.sandbox.close(), sinks.shutdown()]);
});

const listId = (userId: string) => s.sandbox.graph.defaultTodoList(userId).id;

function taskOps(owners: DirectoryUser[], perMailbox: number): ItemOp[] {
  return owners.flatMap((u) =>
    Array.from({ length: perMailbox }, (_, n) => {
      const task = s.sandbox.graph.createTask(u.id, { title: `t${n}` });
      return deleteOp(`${u.id}/${task.id as string}`, { userId: u.id, itemKind: 'todoTask', itemId: task.id as string, listId: listId(u.id) });
    }),
  );
}

describe('$batch fan-out against the sandbox', () => {
  it('deletes 360 items in 60 mailboxes in batches of 20 without ever passing 4 in flight per mailbox', async () => {
    // Latency keeps each request's slot busy, so batches overlap and any 5th concurrent request to a mailbox would be refused.
    s.sandbox.faults.set('graph', { latencyMs: 60 });
    const ops = taskOps(users, 6);
    const peak = new Map<string, number>();
    const sampler = setInterval(() => {
      for (const u of users) peak.set(u.id, Math.max(peak.get(u.id) ?? 0, s.sandbox.faults.inFlight('graph', u.id)));
    }, 1);
    const batches: number[] = [];
    const outcomes = await fanOut(graphBatchTransport(s.graph), ops, {
      deadline: Date.now() + 20_000,
      // Enough batches at once that only the per-mailbox limit holds the fan-out back.
      maxBatchesInFlight: 18,
      onBatch: ({ size }) => batches.push(size),
    }).finally(() => clearInterval(sampler));

    expect(outcomes.map((o) => o.status)).toEqual(ops.map(() => 'done'));
    // One attempt each: no item was ever answered 429 (the sandbox refuses a 5th concurrent request per mailbox).
    expect(outcomes.every((o) => o.attempts === 1)).toBe(true);
    expect(batches.every((n) => n <= 20)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(360);
    expect(Math.max(...peak.values())).toBeLessThanOrEqual(4);
    expect(Math.max(...peak.values())).toBeGreaterThanOrEqual(2);
    const deleted = s.sandbox.deleteLog.entries({ side: 'graph', status: 204, via: 'api' });
    expect(deleted).toHaveLength(360);
    expect(s.sandbox.deleteLog.deletedTwice()).toEqual([]);
    for (const u of users) expect(s.sandbox.graph.items(u.id, 'todoTask')).toEqual([]);
  });

  it('would be refused by the sandbox if it allowed more than 4 per mailbox (the check above can fail)', async () => {
    s.sandbox.faults.set('graph', { latencyMs: 60, retryAfterSeconds: 0.05 });
    // Without Graph's four-at-a-time hand-over inside a batch, so one batch can overrun a mailbox.
    s.sandbox.graph.outlookBatchConcurrency = null;
    const ops = taskOps(users.slice(0, 5), 8);
    const outcomes = await fanOut(graphBatchTransport(s.graph), ops, { deadline: Date.now() + 20_000, perMailboxConcurrency: 8 });
    expect(outcomes.every((o) => o.status === 'done')).toBe(true);
    expect(outcomes.some((o) => o.attempts > 1)).toBe(true);
  });

  it('keeps concurrent fan-outs of one process within 4 per mailbox when they share the in-flight count', async () => {
    s.sandbox.faults.set('graph', { latencyMs: 60 });
    const owners = users.slice(0, 3);
    const peak = new Map<string, number>();
    const sampler = setInterval(() => {
      for (const u of owners) peak.set(u.id, Math.max(peak.get(u.id) ?? 0, s.sandbox.faults.inFlight('graph', u.id)));
    }, 1);
    const inFlight = new Map<string, number>();
    const transport = graphBatchTransport(s.graph);
    // Three queue messages' fan-outs at once, each alone within the limit, together three times over it.
    const runs = [0, 1, 2].map(() => fanOut(transport, taskOps(owners, 4), { deadline: Date.now() + 20_000, inFlight }));
    const outcomes = (await Promise.all(runs).finally(() => clearInterval(sampler))).flat();
    expect(outcomes.map((o) => o.status)).toEqual(outcomes.map(() => 'done'));
    // No 429 from the sandbox's per-mailbox concurrency limit: every op went once.
    expect(outcomes.every((o) => o.attempts === 1)).toBe(true);
    expect(Math.max(...peak.values())).toBeLessThanOrEqual(4);
    expect([...inFlight.values()].every((n) => n === 0)).toBe(true);
  });

  it('lets concurrent fan-outs that do not share the count overrun a mailbox (the check above can fail)', async () => {
    s.sandbox.faults.set('graph', { latencyMs: 60, retryAfterSeconds: 0.05 });
    const owners = users.slice(3, 6);
    const transport = graphBatchTransport(s.graph);
    const outcomes = (await Promise.all([0, 1, 2].map(() => fanOut(transport, taskOps(owners, 4), { deadline: Date.now() + 20_000 })))).flat();
    expect(outcomes.every((o) => o.status === 'done')).toBe(true);
    expect(outcomes.some((o) => o.attempts > 1)).toBe(true);
  });

  it('deletes the 500 attendee copies of a meeting in one wave of batches, each of different mailboxes and at most 20', async () => {
    const organizer = s.sandbox.directory.add({ displayName: 'Big Meeting Organizer' });
    const people = Array.from({ length: 500 }, (_, i) => s.sandbox.directory.add({ displayName: `Attendee ${i}` }));
    const event = s.sandbox.graph.createEvent(organizer.id, {
      subject: 'All hands',
      ...meetingTimes(3),
      attendees: people.map((p) => ({ type: 'required', emailAddress: { address: p.mail } })),
    });
    const copies = s.sandbox.graph.meetingCopies(event.iCalUId as string).filter((c) => c.userId !== organizer.id);
    expect(copies).toHaveLength(500);
    const ops = copies.map((c) => deleteOp(c.userId, { userId: c.userId, itemKind: 'event', itemId: c.event.id as string, listId: null }));
    const batches: { size: number; mailboxes: number }[] = [];
    const outcomes = await fanOut(graphBatchTransport(s.graph), ops, { deadline: Date.now() + 20_000, onBatch: (b) => batches.push(b) });
    expect(outcomes.every((o) => o.status === 'done' && o.attempts === 1)).toBe(true);
    // Spread over every batch that may be in flight: each holds about 500 / 64 copies, all in different mailboxes.
    expect(batches.length).toBeLessThanOrEqual(BATCHES_IN_FLIGHT);
    expect(batches.every((b) => b.size <= 20 && b.size === b.mailboxes)).toBe(true);
    expect(Math.max(...batches.map((b) => b.size))).toBe(Math.ceil(500 / BATCHES_IN_FLIGHT));
    expect(s.sandbox.graph.meetingCopies(event.iCalUId as string).map((c) => c.userId)).toEqual([organizer.id]);
  });

  it('retries an item answered 429 after that item’s own Retry-After, leaving the others alone', async () => {
    const [a, b] = users as [DirectoryUser, DirectoryUser];
    s.sandbox.faults.inject('graph', { kind: 'throttle', retryAfterSeconds: 0.4 }, { key: a.id });
    const ops = taskOps([a, b], 1);
    const throttledBefore = counterValue((await sinks.metrics()).get(METRIC_NAMES.throttled), { service: 'graph' });
    const eventsBefore = sinks.logRecords().length;
    const started = Date.now();
    const outcomes = await fanOut(graphBatchTransport(s.graph), ops, { deadline: Date.now() + 10_000 });
    expect(outcomes.map((o) => [o.status, o.attempts])).toEqual([
      ['done', 2],
      ['done', 1],
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    // The inner 429 is reported as Graph throttling of that mailbox, with its Retry-After.
    expect(counterValue((await sinks.metrics()).get(METRIC_NAMES.throttled), { service: 'graph' }) - throttledBefore).toBe(1);
    expect(sinks.logRecords().slice(eventsBefore).map((r) => r.attributes)).toEqual([
      expect.objectContaining({ [CUSTOM_EVENT_ATTRIBUTE]: EVENT_NAMES.throttled, service: 'graph', mailboxUserId: a.id, retryAfterSeconds: 0.4 }),
    ]);
    expect(s.sandbox.deleteLog.entries({ side: 'graph', status: 204 })).toHaveLength(2);
  });

  it('reports 404 as already gone', async () => {
    const [a] = users as [DirectoryUser];
    const ops = taskOps([a], 2);
    const gone = ops[0] as ItemOp;
    const [, itemId] = gone.key.split('/') as [string, string];
    s.sandbox.graph.userDeletesItem(a.id, 'todoTask', itemId);
    const outcomes = await fanOut(graphBatchTransport(s.graph), ops, { deadline: Date.now() + 10_000 });
    expect(outcomes.map((o) => [o.status, o.httpStatus])).toEqual([
      ['already-gone', 404],
      ['done', 204],
    ]);
  });

  it('retries server errors and dropped connections with backoff', async () => {
    const [a] = users as [DirectoryUser];
    s.sandbox.faults.inject('graph', { kind: 'serverError', status: 503 }, { key: a.id });
    s.sandbox.faults.inject('graph', { kind: 'drop' }, { key: a.id });
    const ops = taskOps([a], 1);
    const outcomes = await fanOut(graphBatchTransport(s.graph), ops, { deadline: Date.now() + 10_000, backoff: { baseMs: 20, maxMs: 100 } });
    expect(outcomes[0]).toMatchObject({ status: 'done', attempts: 3 });
  });

  it('stops at the deadline and reports what is left as pending', async () => {
    const [a, b] = users as [DirectoryUser, DirectoryUser];
    s.sandbox.faults.inject('graph', { kind: 'throttle', retryAfterSeconds: 30 }, { key: a.id });
    const ops = taskOps([a, b], 1);
    const started = Date.now();
    const outcomes = await fanOut(graphBatchTransport(s.graph), ops, { deadline: Date.now() + 500 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcomes.map((o) => o.status)).toEqual(['pending', 'done']);
    expect(s.sandbox.graph.items(a.id, 'todoTask')).toHaveLength(1);
  });
});

describe('a whole batch refused', () => {
  it('is sent again after an outer 429 (its Retry-After) or 424 (undocumented), and every op still gets its answer', async () => {
    const owners = Array.from({ length: 3 }, (_, i) => s.sandbox.directory.add({ displayName: `Refused Batch ${i}` }));
    const ops = taskOps(owners, 2);
    s.sandbox.graph.failBatches({ status: 429, retryAfterSeconds: 0 });
    s.sandbox.graph.failBatches({ status: 424 });
    const outcomes = await fanOut(graphBatchTransport(s.graph), ops, { deadline: Date.now() + 20_000, backoff: { baseMs: 10, maxMs: 50 } });
    expect(outcomes.map((o) => o.status)).toEqual(ops.map(() => 'done'));
    expect(Math.max(...outcomes.map((o) => o.attempts))).toBeGreaterThan(1);
    for (const u of owners) expect(s.sandbox.graph.items(u.id, 'todoTask')).toEqual([]);
  });
});

