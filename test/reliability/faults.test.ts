/**
 * Faults: 30 % of Graph and Dataverse calls fail (10 % 429 with Retry-After, 10 % 503, 10 % dropped
 * connections) and Azurite stops for a while in the middle → every delete still completes, each
 * Retry-After is waited out before the same request goes again (measured on the sandbox's side), and
 * retries are bounded. A target that can never be reached ends in the poison queue with a decision
 * record that says why, after a bounded number of attempts.
 */
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmRecordKey } from '../../src/store/decisions.js';
import { expectExactlyTargetsRemoved } from '../helpers/reliability-checks.js';
import { retryGaps, observe, type Observer } from '../helpers/reliability-observe.js';
import { runs } from '../helpers/reliability-runs.js';
import { startReliabilityWorld, type ReliabilityWorld, type Tracked } from '../helpers/reliability-world.js';

let world: ReliabilityWorld;
let seen: Observer;
const MAX_DEQUEUE = 5;
/** Graph fan-out: attempts per item for 5xx and drops (429s are waited out instead, within the budget). */
const FANOUT_ATTEMPTS = 5;

beforeAll(async () => {
  world = await startReliabilityWorld({ users: 6, env: { MAX_DEQUEUE_COUNT: String(MAX_DEQUEUE), QUEUE_LEASE_SECONDS: '3' } });
  seen = observe(world.sb);
  // Graph retries a failed notification for hours; the sandbox's default gives up after ~1.5 s.
  world.sb.graph.notificationSettings.attempts = 10;
}, 90_000);
afterAll(async () => world?.close());

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults', () => {
  it('waits out a Dataverse Retry-After before asking again (measured)', async () => {
    const { sb, users } = world;
    const [olga] = users as [typeof users[0]];
    // No attendees: their copies' cancellation updates would send other Dataverse requests in between.
    const meeting = await world.trackMeeting('Throttled', olga, []);
    await world.quiesce();
    const from = seen.dataverseHttp.length;
    sb.faults.inject('dataverse', { kind: 'throttle', retryAfterSeconds: 2 }, { times: 2 });
    sb.graph.userDeletesItem(olga.id, 'event', meeting.copies.find((c) => c.user === olga)!.itemId);
    await world.quiesce(60_000);

    expect(sb.dataverse.exists('appointment', meeting.ref.id)).toBe(false);
    const gaps = retryGaps(seen.dataverseHttp.slice(from));
    expect(gaps).toHaveLength(2);
    expect(gaps.some((g) => g.path.includes('appointments('))).toBe(true);
    expect(gaps.filter((g) => g.gapMs < g.retryAfterMs), 'asked again before Retry-After').toEqual([]);
    process.stderr.write(`[faults] Dataverse: Retry-After 2000 ms, the same delete asked again after ${gaps.map((g) => g.gapMs).join(' ms, ')} ms\n`);
  }, 90_000);

  it('waits out each Graph Retry-After before asking for that item again (measured)', async () => {
    const { sb, users } = world;
    const [owner, ...others] = users as [typeof users[0], ...typeof users];
    const contact = await world.trackContact('Throttled', owner, users);
    await world.quiesce();
    const from = seen.graph.length;
    // The next request for each of these mailboxes (its copy's delete, inside a $batch) is answered 429.
    for (const user of others) sb.faults.inject('graph', { kind: 'throttle', retryAfterSeconds: 1 }, { key: user.id, times: 1 });
    await sb.dataverse.userDeletes(owner.systemUserId, 'contact', contact.ref.id);
    await world.quiesce(60_000);
    for (const copy of contact.copies.filter((x) => x.user !== owner)) expect(sb.graph.item(copy.user.id, 'contact', copy.itemId)).toBeUndefined();
    const gaps = retryGaps(seen.graph.slice(from));
    expect(gaps).toHaveLength(others.length);
    expect(gaps.filter((g) => g.gapMs < g.retryAfterMs), 'asked again before Retry-After').toEqual([]);
    process.stderr.write(`[faults] Graph: ${gaps.length} throttled deletes asked again after ${gaps.map((g) => g.gapMs).join(', ')} ms (Retry-After 1000 ms)\n`);
  }, 90_000);

  const count = runs(1, 5);
  it.each(Array.from({ length: count }, (_, i) => i + 1))(`run %i of ${count}: 30 per cent of calls failing and storage down for a while → everything completes, Retry-After honoured, retries bounded`, async (run) => {
    const { sb, users } = world;
    const [olga, alice, bob, ...rest] = users as [typeof users[0], typeof users[0], typeof users[0]];
    const meetings = [await world.trackMeeting(`Storm A${run}`, olga, [alice, bob, ...rest]), await world.trackMeeting(`Storm B${run}`, alice, [olga, bob, ...rest])];
    const contacts = [await world.trackContact(`StormA${run}`, bob, users), await world.trackContact(`StormB${run}`, olga, users)];
    const byOrganizer = await world.trackMeeting(`Storm C${run}`, bob, [olga]);
    await world.quiesce();
    const since = sb.deleteLog.entries().length;
    const graphFrom = seen.graph.length;
    const dataverseFrom = seen.dataverseHttp.length;
    const faults = { throttleRate: 0.1, serverErrorRate: 0.1, dropRate: 0.1, retryAfterSeconds: 1 };
    sb.faults.set('graph', faults);
    sb.faults.set('dataverse', faults);
    try {
      for (const m of meetings) await sb.dataverse.userDeletes(olga.systemUserId, 'appointment', m.ref.id);
      for (const c of contacts) await sb.dataverse.userDeletes(olga.systemUserId, 'contact', c.ref.id);
      sb.graph.userDeletesItem(bob.id, 'event', byOrganizer.copies.find((c) => c.user === bob)!.itemId);
      await sb.dataverse.settle();
      // Storage goes away mid-fan-out and comes back on the same ports with its data.
      while (sb.deleteLog.entries().length < since + 3) await wait(5);
      await world.azurite.stop();
      await wait(1200);
      await world.azurite.restart();
      await world.quiesce(120_000);
    } finally {
      sb.faults.reset();
    }

    const poisoned = (await world.decisions()).filter((r) => r.status === 'poisoned');
    expect(poisoned.map((r) => `${r.id}: ${r.reason}`), 'nothing that could finish was poisoned').toEqual([]);
    const kind = (c: Tracked['copies'][number]) => (contacts.some((t) => t.copies.includes(c)) ? 'contact' : 'event');
    const owners = [bob, olga];
    expectExactlyTargetsRemoved(sb, {
      targets: [...meetings.flatMap((m) => m.copies), ...contacts.flatMap((c, i) => c.copies.filter((x) => x.user !== owners[i])), ...byOrganizer.copies],
      bystanders: contacts.flatMap((c, i) => c.copies.filter((x) => x.user === owners[i])),
      kind,
      records: [byOrganizer.ref],
      since,
    });
    for (const tracked of [...meetings, ...contacts]) {
      const records = (await world.store.decisions.listByRecord(crmRecordKey(tracked.ref), 50)).filter((r) => r.input?.change === 'deleted' && r.status !== 'echo');
      expect(records.map((r) => r.status)).not.toContain('poisoned');
      const done = records.find((r) => r.status === 'executed');
      expect(done?.outcomes.every((o) => o.status === 'done' || o.status === 'already-gone')).toBe(true);
    }

    const calls = seen.graph.slice(graphFrom);
    const gaps = retryGaps(calls);
    const dataverseGaps = retryGaps(seen.dataverseHttp.slice(dataverseFrom));
    const early = [...gaps, ...dataverseGaps].filter((g) => g.gapMs < g.retryAfterMs);
    expect(early, 'asked again before Retry-After').toEqual([]);
    const failuresPerItem = new Map<string, number>();
    for (const c of calls) if (c.method === 'DELETE' && c.status !== 429 && (c.status === 0 || c.status >= 500)) failuresPerItem.set(c.path, (failuresPerItem.get(c.path) ?? 0) + 1);
    const worst = Math.max(0, ...failuresPerItem.values());
    expect(worst).toBeLessThanOrEqual(FANOUT_ATTEMPTS * MAX_DEQUEUE);
    const failed = calls.filter((c) => c.status === 0 || c.status === 429 || c.status >= 500).length;
    process.stderr.write(
      `[faults] run ${run}: ${calls.length} Graph calls, ${failed} failed (${Math.round((100 * failed) / calls.length)} %), ${gaps.length} Graph and ${dataverseGaps.length} Dataverse 429s asked again, ` +
        `shortest wait ${gaps.length === 0 ? '-' : Math.min(...gaps.map((g) => g.gapMs - g.retryAfterMs))} ms beyond Retry-After, most 5xx/drops for one item ${worst}\n` +
        gaps.map((g) => `  ${g.path.slice(0, 60)} Retry-After ${g.retryAfterMs} ms, asked again after ${g.gapMs} ms\n`).join(''),
    );
  }, 180_000);

  it('poisons a delete that cannot finish, with a decision record that says why, after bounded attempts', async () => {
    const { sb, users, service } = world;
    const [owner, reachable, unreachable] = users as [typeof users[0], typeof users[0], typeof users[0]];
    await service.stop();
    await service.start({ MAX_DEQUEUE_COUNT: '2' });
    const contact = await world.trackContact('Unreachable', owner, [owner, reachable, unreachable]);
    await world.quiesce();
    const since = sb.deleteLog.entries().length;
    const graphFrom = seen.graph.length;
    const poisonQueue = new QueueClient(world.azurite.connectionString, world.config.queue.poisonName);
    const poisonedBefore = (await poisonQueue.exists()) ? ((await poisonQueue.getProperties()).approximateMessagesCount ?? 0) : 0;
    const victim = contact.copies.find((c) => c.user === unreachable)!;
    sb.faults.inject('graph', { kind: 'serverError', status: 500 }, { key: unreachable.id, times: 10_000 });
    try {
      await sb.dataverse.userDeletes(owner.systemUserId, 'contact', contact.ref.id);
      await world.quiesce(90_000);
    } finally {
      sb.faults.reset();
    }

    const records = await world.store.decisions.listByRecord(crmRecordKey(contact.ref), 50);
    const poisoned = records.find((r) => r.status === 'poisoned');
    expect(poisoned?.reason).toMatch(/failed 2 times \(last error DS_ERR_UPSTREAM: 1 target\(s\) not finished/);
    expect(poisoned?.reason).toContain(world.config.queue.poisonName);
    expect((await poisonQueue.getProperties()).approximateMessagesCount).toBe(poisonedBefore + 1);
    expect(sb.graph.item(unreachable.id, 'contact', victim.itemId)).toBeDefined();
    expectExactlyTargetsRemoved(sb, {
      targets: contact.copies.filter((c) => c.user === reachable),
      bystanders: contact.copies.filter((c) => c.user !== reachable),
      kind: () => 'contact',
      records: [],
      since,
    });
    const attempts = seen.graph.slice(graphFrom).filter((c) => c.method === 'DELETE' && c.path.endsWith(encodeURIComponent(victim.itemId).toLowerCase())).length;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(FANOUT_ATTEMPTS * 2);
    process.stderr.write(`[faults] poison: ${attempts} attempts on the unreachable item over 2 deliveries, then the poison queue\n`);
  }, 120_000);
});
