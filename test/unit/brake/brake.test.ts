import { beforeEach, describe, expect, it } from 'vitest';
import { createBrake, type MassDeleteBrake } from '../../../src/brake/brake.js';
import { discardHeld, releaseHeld } from '../../../src/brake/operator.js';
import { operatorDeps } from '../../../src/pipeline/release.js';
import type { DomainEvent } from '../../../src/domain/event.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { normalizeGraphNotification, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { processEvent, type Execute, type ProcessorDeps } from '../../../src/pipeline/processor.js';
import { silentLogger } from '../../../src/log.js';
import type { Store } from '../../../src/store/index.js';
import { useTestAzurite } from '../../helpers/azurite.js';
import { deleteBody, EVENT_DELETED, fixtureText } from '../../helpers/requests.js';
import { testStore } from '../../helpers/store.js';

const testAzurite = useTestAzurite();

/** Before the fixture meeting's start: every CRM delete below propagates to the mailboxes. */
const START = Date.parse('2025-01-02T00:00:00Z');
const LIMITS = { maxPerUser: 3, maxTotal: 5, windowSeconds: 600 };

let store: Store;
let clock: number;
let executed: string[];
let alerts: { count: number; eventId: string }[];
let brake: MassDeleteBrake;

const execute: Execute = async (decision, _facts, event) => {
  executed.push(event.id);
  return decision.targets.map((_, targetIndex) => ({ targetIndex, status: 'done', httpStatus: 204, code: null, detail: null, at: new Date(clock).toISOString() }));
};

function deps(over: Partial<ProcessorDeps> = {}): ProcessorDeps {
  return { store, log: silentLogger, now: () => new Date(clock), dryRun: false, execute, brake, ...over };
}

/** The fixture's meeting. */
const MEETING = { entity: 'appointment', id: '00000000-0000-0000-0000-0000000a0001' };

let operation = 0;
/** A CRM bulk-delete job's next delete, made by `user` (Entra object id); of the fixture's meeting unless another id is given. */
function crmDeleteBy(user: string, recordId = MEETING.id): DomainEvent {
  operation += 1;
  const body = deleteBody(`00000000-0000-0000-0000-${String(operation).padStart(12, '0')}`, (b) => {
    b.InitiatingUserAzureActiveDirectoryObjectId = user;
  });
  return normalizeDataverseWebhook(body.replaceAll(MEETING.id, recordId), {}, new Date(clock));
}

const ALICE = '00000000-0000-0000-0000-00000000a11c';
const BOB = '00000000-0000-0000-0000-000000000b0b';
const CAROL = '00000000-0000-0000-0000-00000000ca01';
/** The fixture meeting's organizer in CRM. */
const ORGANIZER_CRM_USER = '00000000-0000-0000-0000-0000000000a1';

beforeEach(() => {
  ({ store } = testStore(testAzurite().connectionString));
  clock = START;
  executed = [];
  alerts = [];
  brake = createBrake({ store, limits: LIMITS, now: () => new Date(clock), log: silentLogger, onHeld: (count, info) => alerts.push({ count, eventId: info.eventId }) });
});

describe('mass-delete brake', () => {
  it('holds the deletes of one user beyond the per-user limit, records them as held and alerts', async () => {
    const events = Array.from({ length: 5 }, () => crmDeleteBy(ALICE));
    const records = [];
    for (const event of events) records.push(await processEvent(event, deps()));

    expect(records.map((r) => r.status)).toEqual(['executed', 'executed', 'executed', 'held', 'held']);
    expect(executed).toEqual(events.slice(0, 3).map((e) => e.id));
    const held = records[3]!;
    expect(held.targets.length).toBeGreaterThan(0);
    expect(held.outcomes).toHaveLength(held.targets.length);
    expect(held.outcomes.every((o) => o.status === 'held' && /more than 3 propagated deletes by/.test(o.detail ?? ''))).toBe(true);
    expect(await store.decisions.getByEvent(held.id)).toEqual(held);
    expect(alerts).toEqual(events.slice(3).map((e) => ({ count: 1, eventId: e.id })));
    expect((await brake.held.list()).map((h) => [h.eventId, h.initiator, h.limit])).toEqual(events.slice(3).map((e) => [e.id, ALICE, 'per-user']));

    // Another user is not held by Alice's limit.
    expect((await processEvent(crmDeleteBy(BOB), deps())).status).toBe('executed');
  });

  it('holds everyone beyond the total limit', async () => {
    const statuses = [];
    for (const user of [ALICE, BOB, CAROL, ALICE, BOB, CAROL, ALICE]) statuses.push((await processEvent(crmDeleteBy(user), deps())).status);
    expect(statuses).toEqual(['executed', 'executed', 'executed', 'executed', 'executed', 'held', 'held']);
    expect((await brake.held.list()).every((h) => h.limit === 'total')).toBe(true);
  });

  it('counts a redelivered decision once and does not alert twice for a held one', async () => {
    const first = crmDeleteBy(ALICE);
    for (let i = 0; i < 4; i++) await processEvent(first, deps());
    const more = [crmDeleteBy(ALICE), crmDeleteBy(ALICE), crmDeleteBy(ALICE)];
    const statuses = [];
    for (const event of [...more, more[2]!, more[2]!]) statuses.push((await processEvent(event, deps())).status);
    expect(statuses).toEqual(['executed', 'executed', 'held', 'held', 'held']);
    expect(alerts).toHaveLength(1);
    expect(executed).toEqual([first.id, more[0]!.id, more[1]!.id]);
  });

  it('stays engaged after the window has passed, until an operator has dealt with what it holds', async () => {
    for (let i = 0; i < 4; i++) await processEvent(crmDeleteBy(ALICE), deps());
    clock += 2 * LIMITS.windowSeconds * 1000;
    expect((await processEvent(crmDeleteBy(ALICE), deps())).status).toBe('held');

    await discardHeld({ all: true }, operatorDeps(deps(), brake));
    expect(await brake.held.list()).toEqual([]);
    expect((await processEvent(crmDeleteBy(ALICE), deps())).status).toBe('executed');
  });

  it('release performs held deletes through the executor and records their outcomes', async () => {
    const events = Array.from({ length: 5 }, () => crmDeleteBy(ALICE));
    for (const event of events) await processEvent(event, deps());
    const [fourth, fifth] = events.slice(3) as [DomainEvent, DomainEvent];

    const released = await releaseHeld({ ids: [fourth.id, 'no-such-event'] }, operatorDeps(deps(), brake));
    expect(released).toEqual([
      { eventId: fourth.id, result: 'released', status: 'executed' },
      { eventId: 'no-such-event', result: 'missing', status: null },
    ]);
    expect(executed).toContain(fourth.id);
    expect(executed).not.toContain(fifth.id);
    const record = await store.decisions.getByEvent(fourth.id);
    expect(record?.outcomes.every((o) => o.status === 'done')).toBe(true);
    expect(record?.reason).toMatch(/released by an operator/);
    expect((await brake.held.list()).map((h) => h.eventId)).toEqual([fifth.id]);

    // Still engaged for Alice while one of her deletes is held; a second release is a no-op.
    expect((await processEvent(crmDeleteBy(ALICE), deps())).status).toBe('held');
    await releaseHeld({ all: true }, operatorDeps(deps(), brake));
    expect(executed.filter((id) => id === fourth.id)).toHaveLength(1);
    expect(await brake.held.list()).toEqual([]);
  });

  it('discard drops held deletes and says so in the record; nothing is executed', async () => {
    const events = Array.from({ length: 4 }, () => crmDeleteBy(ALICE));
    for (const event of events) await processEvent(event, deps());
    const held = events[3]!;
    expect(await discardHeld({ ids: [held.id] }, operatorDeps(deps(), brake))).toEqual([{ eventId: held.id, result: 'discarded', status: 'discarded' }]);
    const record = await store.decisions.getByEvent(held.id);
    expect(record?.status).toBe('discarded');
    expect(record?.outcomes.every((o) => o.status === 'discarded')).toBe(true);
    expect(executed).not.toContain(held.id);
    // A redelivery of a discarded decision does nothing.
    expect((await processEvent(held, deps())).status).toBe('discarded');
    expect(executed).not.toContain(held.id);
  });

  it("counts an organizer's Outlook delete once: the CRM Delete webhook of the service's own delete continues it uncounted", async () => {
    // The organizer's mailbox owner (the fixture notification's user), linked to the fixture meeting, and an attendee's copy.
    const organizer = '{user_guid}';
    await store.snapshots.put(crmDeleteBy(organizer).crm!.snapshot!);
    const link = { crm: MEETING, crmUserId: ORGANIZER_CRM_USER, itemKind: 'event', listId: null, source: 'test', updatedAt: new Date(clock).toISOString() } as const;
    await store.links.put({ ...link, userId: organizer, itemId: '{long_id_string}', role: 'organizer' });
    await store.links.put({ ...link, userId: 'attendee-mailbox', crmUserId: null, itemId: 'attendee-copy', role: 'attendee' });
    // As the executor does: each CRM delete is tombstoned under its decision before it is made.
    const tombstoning: Execute = async (decision, facts, event) => {
      for (const target of decision.targets) {
        if (target.side === 'crm') await store.tombstones.put({ target: { side: 'crm', ...target.ref }, decisionId: event.id, createdAt: new Date(clock).toISOString() });
      }
      return execute(decision, facts, event);
    };
    const [notification] = parseNotificationCollection(fixtureText(EVENT_DELETED));

    const outlookDelete = await processEvent(normalizeGraphNotification(notification!, new Date(clock)), deps({ execute: tombstoning }));
    expect(outlookDelete).toMatchObject({ status: 'executed', ruleId: 'outlook.appointment.active.organizer' });
    // Dataverse names the impersonated organizer as the initiator of the service's CRM delete.
    const cascade = await processEvent(crmDeleteBy(organizer), deps({ execute: tombstoning }));
    expect(cascade).toMatchObject({ status: 'executed', ruleId: 'crm.appointment.active.future', action: 'propagate' });
    expect(cascade.targets).toContainEqual(expect.objectContaining({ side: 'outlook', userId: 'attendee-mailbox' }));

    // One action counted: two more of the organizer's deletes fit the limit of 3, the next is held.
    const statuses = [];
    for (const n of [2, 3, 4]) statuses.push((await processEvent(crmDeleteBy(organizer, `00000000-0000-0000-0000-0000000a000${n}`), deps())).status);
    expect(statuses).toEqual(['executed', 'executed', 'held']);
    expect(alerts).toHaveLength(1);
  });

  it('does not count or hold in dry run: the plan is recorded in full', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await processEvent(crmDeleteBy(ALICE), deps({ dryRun: true }))).status);
    expect(statuses).toEqual(Array(5).fill('executed'));
    expect(await brake.held.list()).toEqual([]);
  });
});
