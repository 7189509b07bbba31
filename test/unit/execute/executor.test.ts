/**
 * The executor end to end against the tenant sandbox (Graph + Dataverse) and the store over Azurite.
 * Tombstone writes go to the real store; the test only notes when each was written (and which were
 * removed), to compare with the sandbox's delete log.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import type { DirectoryUser } from '../../../sandbox/index.js';
import type { CrmSnapshot, DomainEvent } from '../../../src/domain/event.js';
import type { Link } from '../../../src/domain/link.js';
import type { Decision, Facts, Target } from '../../../src/policy/types.js';
import type { Store } from '../../../src/store/index.js';
import { createExecutor, type Executor } from '../../../src/execute/executor.js';
import { dataverseMailboxResolver } from '../../../src/dataverse/mailbox-resolver.js';
import { dataverseCrmOps, graphOutlookOps } from '../../../src/execute/adapters.js';
import { storeFollowUps, storeLinks } from '../../../src/execute/store-ports.js';
import type { TombstoneTarget, TombstoneWriter } from '../../../src/execute/ports.js';
import { toRecordOutcomes } from '../../../src/execute/record-outcomes.js';
import { systemClock } from '../../../src/net/retry.js';
import { METRIC_NAMES } from '../../../src/telemetry/index.js';
import { histogramPoints, inMemorySinks } from '../telemetry/inMemorySinks.js';
import { startTestAzurite, type TestAzurite } from '../../helpers/azurite.js';
import { testStore } from '../../helpers/store.js';
import { meetingTimes, startSandboxClients, type SandboxClients } from '../graph/sandbox-clients.js';

let s: SandboxClients;
let azurite: TestAzurite;
let store: Store;
let olga: DirectoryUser;
let attendees: DirectoryUser[];
let bob: DirectoryUser;

interface Noted {
  target: TombstoneTarget;
  at: number;
}
let written: Noted[];
let removed: TombstoneTarget[];
// Stand-in for the global meter provider useAzureMonitor registers, set before anything records.
const sinks = inMemorySinks();

/** Count and sum of the fan-out sizes recorded so far for `entity`. */
async function fanOutSizes(entity: string): Promise<{ count: number; sum: number }> {
  const point = histogramPoints((await sinks.metrics()).get(METRIC_NAMES.fanOut)).find((p) => p.attributes.entity === entity);
  return { count: point?.count ?? 0, sum: point?.sum ?? 0 };
}

function notingTombstones(): TombstoneWriter {
  return {
    async write(target, decisionId) {
      await store.tombstones.put({ target, decisionId, createdAt: new Date().toISOString() });
      written.push({ target, at: Date.now() });
    },
    async writeMany(targets, decisionId) {
      const results = await store.tombstones.putMany(targets.map((target) => ({ target, decisionId, createdAt: new Date().toISOString() })));
      for (const target of targets) written.push({ target, at: Date.now() });
      return results;
    },
    async remove(target) {
      removed.push(target);
    },
  };
}

function executor(options: { dryRun?: boolean } = {}): Executor {
  return createExecutor({
    tombstones: notingTombstones(),
    links: storeLinks(store),
    followUps: storeFollowUps(store),
    mailboxes: dataverseMailboxResolver(s.dataverse),
    outlook: graphOutlookOps(s.graph),
    crm: dataverseCrmOps(s.dataverse),
    clock: systemClock,
    dryRun: options.dryRun ?? false,
    budgetMs: 20_000,
  });
}

beforeAll(async () => {
  metrics.setGlobalMeterProvider(sinks.meterProvider);
  [s, azurite] = await Promise.all([startSandboxClients(), startTestAzurite()]);
  store = testStore(azurite.connectionString).store;
  olga = s.sandbox.directory.add({ displayName: 'Olga Organizer', canDelete: true });
  bob = s.sandbox.directory.add({ displayName: 'Bob Attendee', canDelete: false });
  attendees = [bob, ...Array.from({ length: 24 }, (_, i) => s.sandbox.directory.add({ displayName: `Attendee ${i}` }))];
});

beforeEach(() => {
  written = [];
  removed = [];
  s.sandbox.deleteLog.clear();
});

afterAll(async () => {
  await Promise.all([s.sandbox.close(), azurite.dispose(), sinks.shutdown()]);
});

/** Olga's meeting with every attendee, in Outlook (copies in each mailbox) and in CRM with the same globalobjectid. */
async function meeting() {
  const event = s.sandbox.graph.createEvent(olga.id, {
    subject: 'Quarterly review',
    ...meetingTimes(2),
    attendees: attendees.map((a) => ({ type: 'required', emailAddress: { address: a.mail, name: a.displayName } })),
  });
  const iCalUId = event.iCalUId as string;
  const start = Date.now() + 2 * 86_400_000;
  const crmId = await s.sandbox.dataverse.createAppointment({
    subject: 'Quarterly review',
    start,
    end: start + 3_600_000,
    organizer: { logicalName: 'systemuser', id: olga.systemUserId },
    requiredAttendees: attendees.map((a) => ({ logicalName: 'systemuser', id: a.systemUserId })),
    globalobjectid: iCalUId.toLowerCase(),
  });
  const organizerLink: Link = {
    crm: { entity: 'appointment', id: crmId },
    userId: olga.id,
    crmUserId: olga.systemUserId,
    itemKind: 'event',
    itemId: event.id as string,
    role: 'organizer',
    listId: null,
    source: 'test',
    updatedAt: new Date().toISOString(),
  };
  await store.links.put(organizerLink);
  const snapshot: CrmSnapshot = {
    ref: { entity: 'appointment', id: crmId },
    statecode: 3,
    scheduledStart: new Date(start).toISOString(),
    owner: { entity: 'systemuser', id: olga.systemUserId },
    organizer: { role: 'organizer', type: 'systemuser', id: olga.systemUserId, address: olga.mail },
    requiredAttendees: attendees.map((a) => ({ role: 'required', type: 'systemuser', id: a.systemUserId, address: a.mail })),
    optionalAttendees: [],
    globalObjectId: iCalUId.toLowerCase(),
    messageId: null,
    takenAt: new Date().toISOString(),
  };
  return { event, iCalUId, crmId, organizerLink, snapshot };
}

const crmDeleteEvent = (crmId: string): DomainEvent => ({
  id: `crm-delete-${crmId}`,
  origin: 'crm',
  change: 'deleted',
  entity: 'appointment',
  receivedAt: new Date().toISOString(),
});

function crmDeleteDecision(m: Awaited<ReturnType<typeof meeting>>, method: 'delete' | 'cancel' = 'delete'): { decision: Decision; facts: Facts } {
  const targets: Target[] = [
    { side: 'outlook', role: 'organizer', crmUserId: olga.systemUserId, userId: olga.id, itemKind: 'event', itemId: m.organizerLink.itemId, method },
    ...attendees.map((a): Target => ({ side: 'outlook', role: 'attendee', crmUserId: a.systemUserId, userId: null, itemKind: 'event', itemId: null, method: 'delete' })),
  ];
  return {
    decision: { ruleId: 'crm.appointment.active.future', action: 'propagate', reason: 'test', targets, followUps: [] },
    facts: { origin: 'crm', change: 'deleted', entity: 'appointment', crmRef: m.snapshot.ref, record: m.snapshot, actor: null, links: [m.organizerLink] },
  };
}

describe('CRM delete of a future meeting → every Outlook copy', () => {
  it('deletes the organizer copy first, then finds and deletes each attendee copy by iCalUId; tombstones come first', async () => {
    const m = await meeting();
    const gone = attendees[3] as DirectoryUser;
    const goneCopy = s.sandbox.graph.meetingCopies(m.iCalUId).find((c) => c.userId === gone.id);
    s.sandbox.graph.userDeletesItem(gone.id, 'event', goneCopy?.event.id as string);
    s.sandbox.deleteLog.clear();
    const { decision, facts } = crmDeleteDecision(m);
    const sizesBefore = await fanOutSizes('appointment');

    const outcomes = await executor().execute(decision, facts, crmDeleteEvent(m.crmId));

    expect(outcomes).toHaveLength(1 + attendees.length);
    // One fan-out, to every copy found: the organizer's and the attendees' but the one already gone.
    expect(await fanOutSizes('appointment')).toEqual({ count: sizesBefore.count + 1, sum: sizesBefore.sum + attendees.length });
    expect(outcomes[0]).toMatchObject({ targetIndex: 0, status: 'deleted', userId: olga.id, httpStatus: 204 });
    const byUser = new Map(outcomes.map((o) => [o.userId, o.status]));
    expect(byUser.get(gone.id)).toBe('not-found');
    expect(outcomes.filter((o) => o.status === 'deleted')).toHaveLength(attendees.length);
    expect(s.sandbox.graph.meetingCopies(m.iCalUId)).toEqual([]);

    const log = s.sandbox.deleteLog.entries({ side: 'graph', via: 'api' });
    expect(log[0]).toMatchObject({ scope: olga.id, id: m.organizerLink.itemId, status: 204 });
    expect(s.sandbox.deleteLog.deletedTwice()).toEqual([]);
    for (const entry of log) {
      const tombstone = written.find((w) => w.target.side === 'outlook' && w.target.itemId === entry.id);
      expect(tombstone, `tombstone for ${entry.id}`).toBeDefined();
      expect(tombstone!.at).toBeLessThanOrEqual(entry.at);
      expect(await store.tombstones.get({ side: 'outlook', userId: entry.scope, itemId: entry.id })).not.toBeNull();
    }
    expect(await store.links.getByItem(olga.id, m.organizerLink.itemId)).toBeNull();
    expect(toRecordOutcomes(outcomes).map((o) => o.status)).toEqual(outcomes.map((o) => (o.status === 'deleted' ? 'done' : 'skipped')));
  });

  it('cancels the organizer copy when the decision says cancel', async () => {
    const m = await meeting();
    const { decision, facts } = crmDeleteDecision(m, 'cancel');
    decision.targets = decision.targets.slice(0, 1);
    const outcomes = await executor().execute(decision, facts, crmDeleteEvent(m.crmId));
    expect(outcomes).toEqual([expect.objectContaining({ action: 'cancel', status: 'canceled', httpStatus: 202 })]);
    expect(s.sandbox.graph.meetingCopies(m.iCalUId).every((c) => c.event.isCancelled === true)).toBe(true);
  });

  it('dry run resolves and reports the whole plan and deletes nothing', async () => {
    const m = await meeting();
    const { decision, facts } = crmDeleteDecision(m);
    const sizesBefore = await fanOutSizes('appointment');
    const outcomes = await executor({ dryRun: true }).execute(decision, facts, crmDeleteEvent(m.crmId));
    expect(outcomes.map((o) => o.status)).toEqual(decision.targets.map(() => 'planned'));
    expect(await fanOutSizes('appointment'), 'a dry run reaches no target').toEqual(sizesBefore);
    expect(outcomes.every((o) => o.itemId !== null)).toBe(true);
    expect(s.sandbox.deleteLog.entries()).toEqual([]);
    expect(written).toEqual([]);
    expect(s.sandbox.graph.meetingCopies(m.iCalUId)).toHaveLength(1 + attendees.length);
  });
});

describe('Outlook delete → CRM delete as the user', () => {
  const outlookDelete = (m: Awaited<ReturnType<typeof meeting>>, user: DirectoryUser, role: 'organizer' | 'attendee') => {
    const link: Link = { ...m.organizerLink, userId: user.id, crmUserId: user.systemUserId, role };
    const event: DomainEvent = {
      id: `outlook-delete-${user.id}-${m.crmId}`,
      origin: 'outlook',
      change: 'deleted',
      entity: 'appointment',
      receivedAt: new Date().toISOString(),
      outlook: { subscriptionId: null, tenantId: null, userId: user.id, itemKind: 'event', itemId: link.itemId, resource: '', etag: null, listId: null },
    };
    const decision: Decision = {
      ruleId: 'outlook.appointment.organizer',
      action: 'propagate',
      reason: 'test',
      targets: [{ side: 'crm', ref: m.snapshot.ref, actAs: { userId: user.id, crmUserId: user.systemUserId }, privilegeCheck: 'enforced-by-impersonation' }],
      followUps: [],
    };
    const facts: Facts = { origin: 'outlook', change: 'deleted', entity: 'appointment', crmRef: m.snapshot.ref, record: m.snapshot, actor: { role, userId: user.id, crmUserId: user.systemUserId }, links: [link] };
    return { event, decision, facts, link };
  };

  it('deletes the CRM record as the organizer, tombstone first, and drops the deleted item’s link', async () => {
    const m = await meeting();
    const { event, decision, facts } = outlookDelete(m, olga, 'organizer');
    const outcomes = await executor().execute(decision, facts, event);
    expect(outcomes).toEqual([expect.objectContaining({ side: 'crm', status: 'deleted', userId: olga.id })]);
    expect(s.sandbox.dataverse.exists('appointment', m.crmId)).toBe(false);
    const [entry] = s.sandbox.deleteLog.entries({ side: 'dataverse', id: m.crmId });
    expect(entry).toMatchObject({ caller: `user:${olga.id}`, status: 204 });
    expect(written[0]!.at).toBeLessThanOrEqual(entry!.at);
    expect(await store.tombstones.get({ side: 'crm', entity: 'appointment', id: m.crmId })).not.toBeNull();
    expect(await store.links.getByItem(olga.id, m.organizerLink.itemId)).toBeNull();
  });

  it('records a skip when the user lacks Delete, keeps the record and withdraws the tombstone', async () => {
    const m = await meeting();
    const { event, decision, facts } = outlookDelete(m, bob, 'attendee');
    const outcomes = await executor().execute(decision, facts, event);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'skipped', detail: expect.stringMatching(/^no Delete privilege/), code: '0x80040220', httpStatus: 403 })]);
    expect(toRecordOutcomes(outcomes)[0]?.status).toBe('denied');
    expect(s.sandbox.dataverse.exists('appointment', m.crmId)).toBe(true);
    expect(removed).toEqual([{ side: 'crm', entity: 'appointment', id: m.crmId }]);
  });
  it('records a Delete depth that does not reach the record as its own denial, with 0x80048306', async () => {
    const m = await meeting();
    const dora = s.sandbox.directory.add({ displayName: 'Dora Own Records Only', canDelete: true });
    s.sandbox.dataverse.security.set(dora.systemUserId, 'prvDeleteActivity', { depth: 'Basic', via: 'role' });
    const { event, decision, facts } = outlookDelete(m, dora, 'organizer');
    const outcomes = await executor().execute(decision, facts, event);
    expect(outcomes).toEqual([expect.objectContaining({ status: 'skipped', detail: expect.stringMatching(/^no Delete access to this record/), code: '0x80048306', httpStatus: 403 })]);
    expect(toRecordOutcomes(outcomes)[0]?.status).toBe('denied');
    expect(s.sandbox.dataverse.exists('appointment', m.crmId)).toBe(true);
  });

  describe('refusals of the application user itself', () => {
    const app = () => s.sandbox.directory.all().find((u) => u.isApplicationUser)!;
    afterEach(() => {
      s.sandbox.dataverse.security.set(app().systemUserId, 'prvDeleteActivity', { depth: 'Global', via: 'role' });
      s.sandbox.dataverse.security.set(app().systemUserId, 'prvActOnBehalfOfAnotherUser', { depth: 'Global', via: 'role' });
    });

    it('fails (alertable) instead of skipping when the application user lacks Delete, though the organizer holds it', async () => {
      s.sandbox.dataverse.security.set(app().systemUserId, 'prvDeleteActivity', null);
      const m = await meeting();
      const { event, decision, facts } = outlookDelete(m, olga, 'organizer');
      const outcomes = await executor().execute(decision, facts, event);
      expect(outcomes).toEqual([expect.objectContaining({ status: 'failed', detail: expect.stringMatching(/^operator problem: the application user's own Delete privilege/), code: '0x80040220', httpStatus: 403 })]);
      expect(toRecordOutcomes(outcomes)[0]?.status).toBe('failed');
      expect(s.sandbox.dataverse.exists('appointment', m.crmId)).toBe(true);
      expect(removed).toEqual([{ side: 'crm', entity: 'appointment', id: m.crmId }]);
    });

    it('fails (alertable) when the application user may not impersonate because the privilege comes through a team', async () => {
      s.sandbox.dataverse.security.set(app().systemUserId, 'prvActOnBehalfOfAnotherUser', { depth: 'Global', via: 'team' });
      const m = await meeting();
      const { event, decision, facts } = outlookDelete(m, olga, 'organizer');
      const outcomes = await executor().execute(decision, facts, event);
      expect(outcomes).toEqual([expect.objectContaining({ status: 'failed', detail: expect.stringContaining('prvActOnBehalfOfAnotherUser'), code: '0x80040220' })]);
      expect(s.sandbox.dataverse.exists('appointment', m.crmId)).toBe(true);
    });
  });
});

describe('contact comeback', () => {
  it('remembers the owner’s Outlook delete and recreates the contact, linked, on the next CRM change', async () => {
    const contactId = await s.sandbox.dataverse.createContact({ firstname: 'Ada', lastname: 'Lovelace', emailaddress1: 'ada@example.org', ownerId: olga.systemUserId });
    const ref = { entity: 'contact', id: contactId };
    const run = executor();
    const remembered = await run.execute(
      { ruleId: 'outlook.contact.owner', action: 'skip', reason: 'test', targets: [], followUps: [{ kind: 'restore-on-next-crm-change', crmRef: ref, userId: olga.id }] },
      { origin: 'outlook', change: 'deleted', entity: 'contact', crmRef: ref, record: null, actor: { role: 'owner', userId: olga.id, crmUserId: olga.systemUserId }, links: [] },
      { id: 'contact-delete', origin: 'outlook', change: 'deleted', entity: 'contact', receivedAt: new Date().toISOString() },
    );
    expect(remembered).toEqual([expect.objectContaining({ action: 'remember', status: 'remembered', targetIndex: null })]);
    expect(s.sandbox.graph.items(olga.id, 'contact')).toEqual([]);

    const update: DomainEvent = {
      id: 'contact-update',
      origin: 'crm',
      change: 'updated',
      entity: 'contact',
      receivedAt: new Date().toISOString(),
      crm: {
        ref,
        organizationId: 'org',
        operationId: 'op',
        correlationId: null,
        messageName: 'Update',
        initiatingUserId: null,
        initiatingUserAadObjectId: null,
        snapshot: null,
        preImageMissing: false,
        sizeExceeded: false,
      },
    };
    const skip: Decision = { ruleId: 'crm.contact.updated', action: 'skip', reason: 'test', targets: [], followUps: [] };
    const facts: Facts = { origin: 'crm', change: 'updated', entity: 'contact', crmRef: ref, record: null, actor: null, links: [] };
    const restored = await run.execute(skip, facts, update);
    expect(restored).toEqual([expect.objectContaining({ action: 'restore', status: 'restored', userId: olga.id })]);
    const [contact] = s.sandbox.graph.items(olga.id, 'contact');
    expect(contact).toMatchObject({ id: restored[0]!.itemId, displayName: 'Ada Lovelace', emailAddresses: [{ address: 'ada@example.org', name: 'Ada Lovelace' }] });
    expect(await store.links.getByItem(olga.id, restored[0]!.itemId!)).toMatchObject({ crm: ref, role: 'owner', itemKind: 'contact' });
    expect(await run.execute(skip, facts, { ...update, id: 'contact-update-2' })).toEqual([]);
  });
});
