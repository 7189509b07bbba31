/** Deleted in Outlook → CRM: one test per table row, on the real event-deleted notification. */
import { describe, expect, it } from 'vitest';
import type { CrmSnapshot } from '../../../src/domain/event.js';
import { PolicyConfig } from '../../../src/policy/config.js';
import { decide } from '../../../src/policy/decide.js';
import type { Actor } from '../../../src/policy/types.js';
import { asEntity, optionSet, reconstructedDelete, setColumn, xrmDate } from '../domain/dataverse-bodies.js';
import { APPOINTMENT_ID, NOW, ORGANIZER_CRM_ID, link, outlookFacts, storedSnapshot } from './facts-builders.js';

const ORGANIZER: Actor = { role: 'organizer', userId: 'entra-organizer', crmUserId: ORGANIZER_CRM_ID };
const ATTENDEE: Actor = { role: 'attendee', userId: 'entra-attendee', crmUserId: '00000000-0000-0000-0000-00000000a002' };
const OWNER: Actor = { role: 'owner', userId: 'entra-owner', crmUserId: ORGANIZER_CRM_ID };

function snapshot(logicalName: string, statecode: number, start = new Date('2025-01-04T00:00:00Z')): CrmSnapshot {
  const base = logicalName === 'appointment' ? reconstructedDelete() : asEntity(reconstructedDelete(), logicalName);
  setColumn(base, 'statecode', optionSet(statecode));
  if (logicalName === 'appointment') setColumn(base, 'scheduledstart', xrmDate(start));
  return storedSnapshot(base);
}

function deleted(resource: string | null, entity: string, statecode: number, actor: Actor | null, start?: Date) {
  const record = snapshot(entity, statecode, start);
  return outlookFacts(resource, { crmRef: record.ref, record, actor });
}

const CRM_TARGET_AS = (actor: Actor) => [
  { side: 'crm', ref: { entity: 'appointment', id: APPOINTMENT_ID }, actAs: { userId: actor.userId, crmUserId: actor.crmUserId }, privilegeCheck: 'enforced-by-impersonation' },
];

describe('Active appointment deleted in Outlook', () => {
  it.each([0, 3])('outlook.appointment.active.organizer: deleted in CRM acting as the organizer (statecode %i)', (statecode) => {
    const decision = decide(deleted(null, 'appointment', statecode, ORGANIZER), NOW);
    expect(decision).toMatchObject({ ruleId: 'outlook.appointment.active.organizer', action: 'propagate', followUps: [] });
    expect(decision.targets).toEqual(CRM_TARGET_AS(ORGANIZER));
  });

  it('by default the organizer delete of a past meeting reaches CRM (the table has no start condition)', () => {
    expect(decide(deleted(null, 'appointment', 3, ORGANIZER, new Date('2024-01-01T00:00:00Z')), NOW).ruleId).toBe('outlook.appointment.active.organizer');
  });

  it('outlook.appointment.active.organizer.past: with the server-side-sync option, a start not in the future stays', () => {
    const policy = PolicyConfig.parse({ outlookOrganizerDeleteRequiresFutureStart: true });
    expect(decide(deleted(null, 'appointment', 3, ORGANIZER, NOW), NOW, policy)).toMatchObject({ ruleId: 'outlook.appointment.active.organizer.past', action: 'skip', targets: [] });
    expect(decide(deleted(null, 'appointment', 3, ORGANIZER, new Date(NOW.getTime() + 60_000)), NOW, policy).ruleId).toBe('outlook.appointment.active.organizer');
  });

  it('outlook.appointment.active.attendee: an attendee delete stays in CRM', () => {
    expect(decide(deleted(null, 'appointment', 3, ATTENDEE), NOW)).toMatchObject({ ruleId: 'outlook.appointment.active.attendee', action: 'skip', targets: [] });
  });

  it('the record owner who is not the organizer counts as an attendee', () => {
    expect(decide(deleted(null, 'appointment', 3, { ...OWNER, crmUserId: '00000000-0000-0000-0000-00000000a009' }), NOW).ruleId).toBe('outlook.appointment.active.attendee');
  });

  it('an "organizer" the snapshot contradicts is not trusted', () => {
    const impostor: Actor = { role: 'organizer', userId: 'entra-x', crmUserId: '00000000-0000-0000-0000-00000000a009' };
    expect(decide(deleted(null, 'appointment', 3, impostor), NOW).ruleId).toBe('outlook.appointment.active.attendee');
  });
});

describe('Completed / Canceled appointment deleted in Outlook', () => {
  it.each([1, 2])('outlook.appointment.inactive: statecode %i stays in CRM', (statecode) => {
    expect(decide(deleted(null, 'appointment', statecode, ORGANIZER), NOW)).toMatchObject({ ruleId: 'outlook.appointment.inactive', action: 'skip', targets: [] });
  });
});

describe('Task deleted in Outlook', () => {
  const TASK = 'users/entra-owner/todo/lists/list-1/tasks/todo-1';

  it('outlook.task.active: deleted in CRM acting as the mailbox owner', () => {
    const decision = decide(deleted(TASK, 'task', 0, OWNER), NOW);
    expect(decision).toMatchObject({ ruleId: 'outlook.task.active', action: 'propagate' });
    expect(decision.targets).toEqual([{ ...CRM_TARGET_AS(OWNER)[0], ref: { entity: 'task', id: APPOINTMENT_ID } }]);
  });

  it.each([1, 2])('outlook.task.inactive: statecode %i stays in CRM', (statecode) => {
    expect(decide(deleted(TASK, 'task', statecode, OWNER), NOW)).toMatchObject({ ruleId: 'outlook.task.inactive', action: 'skip', targets: [] });
  });
});

describe('Email and contact deleted in Outlook', () => {
  it('outlook.email: the CRM e-mail stays', () => {
    expect(decide(deleted('users/entra-owner/messages/m-1', 'email', 0, OWNER), NOW)).toMatchObject({ ruleId: 'outlook.email', action: 'skip', targets: [] });
  });

  it("outlook.contact: stays in CRM, restore to the owner's Outlook on the next CRM change", () => {
    const decision = decide(deleted('users/entra-owner/contacts/c-1', 'contact', 0, OWNER), NOW);
    expect(decision).toMatchObject({ ruleId: 'outlook.contact', action: 'skip', targets: [] });
    expect(decision.followUps).toEqual([{ kind: 'restore-on-next-crm-change', crmRef: { entity: 'contact', id: APPOINTMENT_ID }, userId: 'entra-owner' }]);
  });

  it("a colleague's contact delete still restores the owner's copy, found by link", () => {
    const record = snapshot('contact', 0);
    const links = [link(record.ref, 'entra-owner-mailbox', ORGANIZER_CRM_ID, { itemKind: 'contact' })];
    const facts = outlookFacts('users/entra-attendee/contacts/c-2', { crmRef: record.ref, record, actor: ATTENDEE, links });
    expect(decide(facts, NOW).followUps).toEqual([{ kind: 'restore-on-next-crm-change', crmRef: record.ref, userId: 'entra-owner-mailbox' }]);
  });

  it("without the owner's mailbox no restore is scheduled, and the reason says so", () => {
    const decision = decide(deleted('users/entra-attendee/contacts/c-2', 'contact', 0, ATTENDEE), NOW);
    expect(decision.followUps).toEqual([]);
    expect(decision.reason).toContain('no restore is scheduled');
  });
});

describe('What is not known is not guessed', () => {
  it('outlook.unknown-record: an item linked to nothing', () => {
    expect(decide(outlookFacts(null, { actor: ORGANIZER }), NOW)).toMatchObject({ ruleId: 'outlook.unknown-record', action: 'skip', targets: [] });
  });

  it('outlook.unknown-actor', () => {
    expect(decide(deleted(null, 'appointment', 3, null), NOW)).toMatchObject({ ruleId: 'outlook.unknown-actor', action: 'skip' });
  });

  it('outlook.unknown-state: linked, but no snapshot stored', () => {
    const facts = outlookFacts(null, { crmRef: { entity: 'appointment', id: APPOINTMENT_ID }, actor: ORGANIZER });
    expect(decide(facts, NOW)).toMatchObject({ ruleId: 'outlook.unknown-state', action: 'skip' });
  });

  it('not-a-delete: an Outlook update', () => {
    const facts = { ...deleted(null, 'appointment', 3, ORGANIZER), change: 'updated' as const };
    expect(decide(facts, NOW)).toMatchObject({ ruleId: 'not-a-delete', action: 'skip' });
  });
});
