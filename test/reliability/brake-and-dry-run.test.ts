/**
 * End to end through the service process and the `delete-sync` CLI: a bulk delete in CRM trips the
 * mass-delete brake (held deletes stay in the mailboxes, the records say held, the log alerts), an
 * operator lists, releases and discards them; then, with DRY_RUN=true, a full run deletes nothing and
 * records every plan.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crmRecordKey, type DecisionRecord } from '../../src/store/decisions.js';
import { startReliabilityWorld, type ReliabilityWorld, type Tracked } from '../helpers/reliability-world.js';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const run = promisify(execFile);

let world: ReliabilityWorld;
beforeAll(async () => {
  world = await startReliabilityWorld({ users: 4, env: { BRAKE_MAX_PER_USER: '3', BRAKE_MAX_TOTAL: '50' } });
}, 90_000);
afterAll(async () => world?.close());

async function cli(...args: string[]): Promise<unknown> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args, '--json'], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', ...world.env },
    timeout: 60_000,
  });
  return JSON.parse(stdout) as unknown;
}

async function crmDeleteDecision(tracked: Tracked): Promise<DecisionRecord | undefined> {
  const records = await world.store.decisions.listByRecord(crmRecordKey(tracked.ref), 20);
  return records.find((r) => r.input?.origin === 'crm' && r.input.change === 'deleted');
}

const othersCopies = (t: Tracked, owner: Tracked['copies'][number]['user']) => t.copies.filter((c) => c.user !== owner);
const present = (t: Tracked, owner: Tracked['copies'][number]['user']) => othersCopies(t, owner).map((c) => world.sb.graph.item(c.user.id, 'contact', c.itemId) !== undefined);

describe('mass-delete brake', () => {
  it('holds a bulk delete in CRM beyond the limit; release performs, discard drops, both recorded', async () => {
    const { sb, users } = world;
    const [owner] = users as [typeof users[0]];
    const contacts: Tracked[] = [];
    for (let i = 0; i < 6; i++) contacts.push(await world.trackContact(`Bulk${i}`, owner, users));
    await world.quiesce();

    // A bulk-delete job: one user, six records, one after the other.
    for (const c of contacts) await sb.dataverse.userDeletes(owner.systemUserId, 'contact', c.ref.id);
    await world.quiesce();

    // The worker takes messages in batches, so which three come first is not fixed; that three do is.
    const records = await Promise.all(contacts.map(crmDeleteDecision));
    const statuses = records.map((r) => r?.status);
    expect([...statuses].sort()).toEqual(['executed', 'executed', 'executed', 'held', 'held', 'held']);
    contacts.forEach((c, i) => expect(present(c, owner).every(Boolean), `contact ${i} is ${statuses[i]}`).toBe(statuses[i] === 'held'));
    const heldContacts = contacts.filter((_, i) => statuses[i] === 'held');
    const heldRecords = records.filter((r) => r?.status === 'held');
    expect(heldRecords.every((r) => r?.outcomes.every((o) => o.status === 'held' && /more than 3 propagated deletes/.test(o.detail ?? '')))).toBe(true);
    expect(world.service.output()).toContain('"msg":"propagated delete held"');

    const held = (await cli('held')) as { eventId: string; limit: string; targetCount: number }[];
    expect(held.map((h) => h.eventId).sort()).toEqual(heldRecords.map((r) => r?.id).sort());
    expect(held.every((h) => h.limit === 'per-user' && h.targetCount === users.length - 1)).toBe(true);

    const released = heldContacts.find((_, i) => heldRecords[i]?.id === held[0]!.eventId)!;
    expect(await cli('release', held[0]!.eventId)).toEqual([{ eventId: held[0]!.eventId, result: 'released', status: 'executed' }]);
    await world.quiesce();
    expect(present(released, owner).some(Boolean)).toBe(false);
    expect((await crmDeleteDecision(released))?.outcomes.every((o) => o.status === 'done')).toBe(true);

    const discarded = (await cli('discard', '--all', '--yes')) as { result: string; status: string }[];
    expect(discarded.map((d) => [d.result, d.status])).toEqual([
      ['discarded', 'discarded'],
      ['discarded', 'discarded'],
    ]);
    expect(await cli('held')).toEqual([]);
    for (const c of heldContacts.filter((c) => c !== released)) {
      expect(present(c, owner).every(Boolean)).toBe(true);
      expect((await crmDeleteDecision(c))?.status).toBe('discarded');
    }
    expect(sb.deleteLog.deletedTwice()).toEqual([]);
  }, 120_000);
});

describe('dry run', () => {
  it('with DRY_RUN=true a full run deletes nothing and records every plan', async () => {
    const { sb, users, service } = world;
    const [olga, alice, bob] = users as [typeof users[0], typeof users[0], typeof users[0]];
    await service.stop();
    await service.start({ DRY_RUN: 'true' });
    const meeting = await world.trackMeeting('Dry meeting', olga, [alice, bob]);
    const contact = await world.trackContact('Dry', alice, users);
    const byOrganizer = await world.trackMeeting('Dry organizer', bob, [olga]);
    await world.quiesce();
    const since = sb.deleteLog.entries().length;

    await sb.dataverse.userDeletes(olga.systemUserId, 'appointment', meeting.ref.id);
    await sb.dataverse.userDeletes(olga.systemUserId, 'contact', contact.ref.id);
    sb.graph.userDeletesItem(bob.id, 'event', byOrganizer.copies.find((c) => c.user === bob)!.itemId);
    await world.quiesce();

    expect(sb.deleteLog.entries().slice(since).filter((r) => r.via === 'api')).toEqual([]);
    expect(sb.dataverse.exists('appointment', byOrganizer.ref.id)).toBe(true);
    for (const copy of [...meeting.copies, ...contact.copies]) expect(sb.graph.item(copy.user.id, meeting.copies.includes(copy) ? 'event' : 'contact', copy.itemId)).toBeDefined();
    const keys = new Set([meeting, contact, byOrganizer].map((t) => crmRecordKey(t.ref)));
    const plans = (await world.decisions()).filter((r) => keys.has(r.recordKey) && r.input?.change === 'deleted' && r.action === 'propagate');
    expect(plans.map((p) => p.ruleId).sort()).toEqual(['crm.appointment.active.future', 'crm.contact', 'outlook.appointment.active.organizer']);
    for (const plan of plans) {
      expect(plan.dryRun).toBe(true);
      expect(plan.targets.length).toBeGreaterThan(0);
      expect(plan.outcomes.map((o) => o.status)).toEqual(plan.targets.map(() => 'dry-run'));
    }
  }, 120_000);
});
