import { beforeEach, describe, expect, it } from 'vitest';
import type { CrmSnapshot, DomainEvent } from '../../../src/domain/event.js';
import type { Link } from '../../../src/domain/link.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { normalizeGraphNotification, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { mergeSnapshot } from '../../../src/domain/snapshot.js';
import { actorRole } from '../../../src/pipeline/gather-facts.js';
import { processEvent, type Execute, type ProcessorDeps } from '../../../src/pipeline/processor.js';
import { silentLogger } from '../../../src/log.js';
import type { Store } from '../../../src/store/index.js';
import { useTestAzurite } from '../../helpers/azurite.js';
import { DELETE_APPOINTMENT, EVENT_DELETED, fixtureJson, fixtureText } from '../../helpers/requests.js';
import { testStore } from '../../helpers/store.js';

const testAzurite = useTestAzurite();

let store: Store;
beforeEach(() => {
  ({ store } = testStore(testAzurite().connectionString));
});

const RECEIVED = new Date('2025-01-01T00:00:00Z');
/** Before the fixture's scheduledstart (2025-01-04T14:13:20Z): the meeting is in the future. */
const BEFORE_START = new Date('2025-01-02T00:00:00Z');
const deps = (over: Partial<ProcessorDeps> = {}): ProcessorDeps => ({
  store,
  log: silentLogger,
  now: () => BEFORE_START,
  dryRun: false,
  ...over,
});

const APPOINTMENT = { entity: 'appointment', id: '00000000-0000-0000-0000-0000000a0001' };
const ORGANIZER_CRM_USER = '00000000-0000-0000-0000-0000000000a1';

function crmDelete(over: { withoutPreImage?: boolean } = {}): DomainEvent {
  const body = fixtureJson(DELETE_APPOINTMENT);
  if (over.withoutPreImage) body.PreEntityImages = [];
  return normalizeDataverseWebhook(JSON.stringify(body), {}, RECEIVED);
}

function outlookDelete(): DomainEvent {
  const [notification] = parseNotificationCollection(fixtureText(EVENT_DELETED));
  return normalizeGraphNotification(notification!, RECEIVED);
}

const organizerLink = (): Link => ({
  crm: APPOINTMENT,
  userId: '{user_guid}',
  crmUserId: ORGANIZER_CRM_USER,
  itemKind: 'event',
  itemId: '{long_id_string}',
  role: 'attendee',
  listId: null,
  source: 'test',
  updatedAt: RECEIVED.toISOString(),
});

describe('processEvent: CRM deletes', () => {
  it('decides from the pre-image and writes the decision record with ids only', async () => {
    const record = await processEvent(crmDelete(), deps());
    expect(record.ruleId).toBe('crm.appointment.active.future');
    expect(record.action).toBe('propagate');
    expect(record.status).toBe('decided');
    expect(record.outcomes).toEqual([]);
    expect(record.recordKey).toBe(`appointment:${APPOINTMENT.id}`);
    expect(record.targets.some((t) => t.side === 'outlook' && t.role === 'organizer' && t.crmUserId === ORGANIZER_CRM_USER)).toBe(true);
    expect(JSON.stringify(record.input)).not.toContain('Quarterly review');
    expect(await store.decisions.getByEvent(record.id)).toEqual(record);
  });

  it('falls back to the stored snapshot when the pre-image is missing', async () => {
    const fromPreImage = crmDelete().crm!.snapshot!;
    const withoutSnapshot = await processEvent(crmDelete({ withoutPreImage: true }), deps());
    expect(withoutSnapshot.facts?.record).toBeNull();
    expect(withoutSnapshot.action).toBe('skip');

    ({ store } = testStore(testAzurite().connectionString));
    await store.snapshots.put(fromPreImage);
    const withStored = await processEvent(crmDelete({ withoutPreImage: true }), deps());
    expect(withStored.input?.crm?.preImageMissing).toBe(true);
    expect(withStored.facts?.record).toEqual(fromPreImage);
    expect(withStored.ruleId).toBe('crm.appointment.active.future');
  });

  it('includes the links of the record in the facts', async () => {
    await store.links.put(organizerLink());
    const record = await processEvent(crmDelete(), deps());
    expect(record.facts?.links).toEqual([organizerLink()]);
  });

  it('stores the snapshot a Create or Update carries, for a later Delete without pre-image', async () => {
    const update = normalizeDataverseWebhook(fixtureText('dataverse/update-webhook-contact-async.msdocs.json'), {}, RECEIVED);
    const record = await processEvent(update, deps());
    expect(record.ruleId).toBe('not-a-delete');
    expect(record.action).toBe('skip');
    expect(await store.snapshots.get(update.crm!.ref)).toEqual(update.crm!.snapshot);
  });

  it('is idempotent on redelivery: one record, decided once', async () => {
    const first = await processEvent(crmDelete(), deps());
    const again = await processEvent(crmDelete(), deps({ now: () => new Date('2025-02-01T00:00:00Z') }));
    expect(again).toEqual(first);
    expect(await store.decisions.listByRecord(first.recordKey, 10)).toHaveLength(1);
  });

  it('records the echo of its own delete (tombstoned) and nothing else', async () => {
    await store.tombstones.put({ target: { side: 'crm', ...APPOINTMENT }, decisionId: 'earlier', createdAt: RECEIVED.toISOString() });
    const record = await processEvent(crmDelete(), deps());
    expect(record).toMatchObject({ status: 'echo', ruleId: 'system.echo', action: 'skip', targets: [], facts: null });
  });
});

describe('processEvent: Outlook deletes', () => {
  it('finds the record through the link and the role from the snapshot parties', async () => {
    await store.links.put(organizerLink());
    await store.snapshots.put(crmDelete().crm!.snapshot!);
    const record = await processEvent(outlookDelete(), deps());
    expect(record.facts?.crmRef).toEqual(APPOINTMENT);
    // The link said attendee; the snapshot names this CRM user as organizer, which wins.
    expect(record.facts?.actor).toEqual({ role: 'organizer', userId: '{user_guid}', crmUserId: ORGANIZER_CRM_USER });
    expect(record.ruleId).toBe('outlook.appointment.active.organizer');
    expect(record.targets).toEqual([
      expect.objectContaining({ side: 'crm', ref: APPOINTMENT, actAs: { userId: '{user_guid}', crmUserId: ORGANIZER_CRM_USER } }),
    ]);
  });

  it('skips an item linked to nothing, keyed by the item', async () => {
    const record = await processEvent(outlookDelete(), deps());
    expect(record.action).toBe('skip');
    expect(record.facts?.crmRef).toBeNull();
    expect(record.recordKey).toBe('outlook:{user_guid}:{long_id_string}');
  });

  it('records a tombstoned item as an echo', async () => {
    await store.links.put(organizerLink());
    await store.tombstones.put({
      target: { side: 'outlook', userId: '{user_guid}', itemId: '{long_id_string}' },
      decisionId: 'crm-delete-1',
      createdAt: RECEIVED.toISOString(),
    });
    const record = await processEvent(outlookDelete(), deps());
    expect(record.status).toBe('echo');
    expect(record.reason).toContain('crm-delete-1');
  });
});

describe('the executor seam', () => {
  it('executes a propagate decision once and records the outcomes', async () => {
    const calls: string[] = [];
    const execute: Execute = async (decision, facts, event) => {
      calls.push(`${event.id}:${decision.ruleId}:${facts.crmRef?.id}`);
      return decision.targets.map((_t, targetIndex) => ({
        targetIndex, status: 'done' as const, httpStatus: 204, code: null, detail: null, at: BEFORE_START.toISOString(),
      }));
    };
    const record = await processEvent(crmDelete(), deps({ execute }));
    expect(record.status).toBe('executed');
    expect(record.outcomes).toHaveLength(record.targets.length);
    expect(await processEvent(crmDelete(), deps({ execute }))).toEqual(record);
    expect(calls).toHaveLength(1);
  });

  it('executes a recorded but unexecuted decision on redelivery, without deciding again', async () => {
    const failing: Execute = async () => {
      throw new Error('mailbox busy');
    };
    await expect(processEvent(crmDelete(), deps({ execute: failing }))).rejects.toThrow('mailbox busy');
    const decided = await store.decisions.getByEvent(crmDelete().id);
    expect(decided?.status).toBe('decided');
    // Later the meeting is in the past, which would now decide skip: the stored decision stands.
    const later = () => new Date('2025-03-01T00:00:00Z');
    const done: Execute = async (decision) => decision.targets.map((_t, targetIndex) => ({
      targetIndex, status: 'already-gone' as const, httpStatus: 404, code: null, detail: null, at: later().toISOString(),
    }));
    const record = await processEvent(crmDelete(), deps({ execute: done, now: later }));
    expect(record.ruleId).toBe('crm.appointment.active.future');
    expect(record.status).toBe('executed');
  });
});

describe('fact helpers', () => {
  const snapshot = (): CrmSnapshot => crmDelete().crm!.snapshot!;
  it('takes the role from the parties, else from the link', () => {
    expect(actorRole(organizerLink(), snapshot())).toBe('organizer');
    expect(actorRole({ ...organizerLink(), crmUserId: 'someone-else' }, snapshot())).toBe('attendee');
    expect(actorRole({ ...organizerLink(), crmUserId: null }, null)).toBe('attendee');
    const task: CrmSnapshot = { ...snapshot(), ref: { entity: 'task', id: 't' }, organizer: null };
    expect(actorRole({ ...organizerLink(), role: 'other' }, task)).toBe('owner');
  });

  it('merges a partial update over the stored snapshot', () => {
    const stored = snapshot();
    const update: CrmSnapshot = { ...stored, statecode: 1, scheduledStart: null, organizer: null, requiredAttendees: [] };
    expect(mergeSnapshot(stored, update)).toEqual({ ...stored, statecode: 1 });
    expect(mergeSnapshot(null, update)).toEqual(update);
  });
});
