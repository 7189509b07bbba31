/** Deleted in CRM → Outlook: one test per table row, on Delete bodies derived from the real fixture. */
import { describe, expect, it } from 'vitest';
import { PolicyConfig } from '../../../src/policy/config.js';
import { decide } from '../../../src/policy/decide.js';
import { fixtureText } from '../contracts/fixture-files.js';
import { asEntity, optionSet, partyList, reconstructedDelete, reference, removeColumn, setColumn, sizeExceeded, withoutPreImage, xrmDate } from '../domain/dataverse-bodies.js';
import { APPOINTMENT_ID, NOW, ORGANIZER_CRM_ID, crmFacts, link, storedSnapshot } from './facts-builders.js';

const APPOINTMENT = { entity: 'appointment', id: APPOINTMENT_ID };
const ATTENDEE = '00000000-0000-0000-0000-00000000a002';
const OPTIONAL = '00000000-0000-0000-0000-00000000a003';

function appointment(statecode: number, start: Date | null) {
  const body = setColumn(reconstructedDelete(), 'statecode', optionSet(statecode));
  return setColumn(body, 'scheduledstart', start === null ? null : xrmDate(start));
}

function record(logicalName: string, statecode: number) {
  return setColumn(asEntity(reconstructedDelete(), logicalName), 'statecode', optionSet(statecode));
}

describe('Active (Open / Scheduled) appointment deleted in CRM', () => {
  it('crm.appointment.active.future: the reconstructed Scheduled meeting is deleted for its organizer', () => {
    const decision = decide(crmFacts(fixtureText('dataverse', 'delete-webhook-appointment.reconstructed.json')), NOW);
    expect(decision).toMatchObject({ ruleId: 'crm.appointment.active.future', action: 'propagate', followUps: [] });
    expect(decision.targets).toEqual([
      { side: 'outlook', role: 'organizer', crmUserId: ORGANIZER_CRM_ID, userId: null, itemKind: 'event', itemId: null, method: 'delete' },
    ]);
  });

  it('statecode 0 Open is active too', () => {
    expect(decide(crmFacts(appointment(0, new Date('2025-01-01T00:00:00Z'))), NOW).ruleId).toBe('crm.appointment.active.future');
  });

  it('targets organizer and CRM-user attendees, fills links, leaves external contacts and unresolved addresses out', () => {
    const body = setColumn(
      reconstructedDelete(),
      'requiredattendees',
      partyList([
        { mask: 5, party: { logicalName: 'systemuser', id: ATTENDEE } },
        { mask: 5, party: { logicalName: 'contact', id: '00000000-0000-0000-0000-0000000000c9' } },
        { mask: 5, party: null, address: 'guest@example.org' },
        { mask: 5, party: { logicalName: 'systemuser', id: ORGANIZER_CRM_ID } },
      ]),
    );
    setColumn(body, 'optionalattendees', partyList([{ mask: 6, party: { logicalName: 'systemuser', id: OPTIONAL } }]));
    const links = [
      link(APPOINTMENT, 'entra-organizer', ORGANIZER_CRM_ID, { role: 'organizer', itemId: 'evt-org' }),
      link(APPOINTMENT, 'entra-delegate', null, { itemId: 'evt-delegate' }),
      link({ entity: 'appointment', id: '00000000-0000-0000-0000-0000000a0999' }, 'entra-other-meeting', ATTENDEE),
      link(APPOINTMENT, 'entra-contact-copy', ATTENDEE, { itemKind: 'contact' }),
    ];
    const decision = decide(crmFacts(body, { links }), NOW, PolicyConfig.parse({ organizerMeetingMethod: 'cancel' }));
    expect(decision.action).toBe('propagate');
    expect(decision.targets).toEqual([
      { side: 'outlook', role: 'organizer', crmUserId: ORGANIZER_CRM_ID, userId: 'entra-organizer', itemKind: 'event', itemId: 'evt-org', method: 'cancel' },
      { side: 'outlook', role: 'attendee', crmUserId: ATTENDEE, userId: null, itemKind: 'event', itemId: null, method: 'delete' },
      { side: 'outlook', role: 'attendee', crmUserId: OPTIONAL, userId: null, itemKind: 'event', itemId: null, method: 'delete' },
      { side: 'outlook', role: 'linked', crmUserId: null, userId: 'entra-delegate', itemKind: 'event', itemId: 'evt-delegate', method: 'delete' },
    ]);
    expect(decision.reason).toContain('2 parties are not a CRM user');
  });

  it('crm.appointment.active.past: a start in the past stays', () => {
    expect(decide(crmFacts(appointment(3, new Date('2024-11-30T23:59:59Z'))), NOW)).toMatchObject({ ruleId: 'crm.appointment.active.past', action: 'skip', targets: [] });
  });

  it('a start exactly now is not in the future', () => {
    expect(decide(crmFacts(appointment(3, NOW)), NOW)).toMatchObject({ ruleId: 'crm.appointment.active.past', action: 'skip' });
    expect(decide(crmFacts(appointment(3, new Date(NOW.getTime() + 1))), NOW).ruleId).toBe('crm.appointment.active.future');
  });

  it('an unknown start is not in the future', () => {
    expect(decide(crmFacts(appointment(0, null)), NOW).ruleId).toBe('crm.appointment.active.past');
  });

  it('a policy override can turn the row to skip', () => {
    const policy = PolicyConfig.parse({ rules: { 'crm.appointment.active.future': { action: 'skip' } } });
    const decision = decide(crmFacts(appointment(3, new Date('2025-01-01T00:00:00Z'))), NOW, policy);
    expect(decision).toMatchObject({ ruleId: 'crm.appointment.active.future', action: 'skip', targets: [] });
    expect(decision.reason).toContain('Policy override');
  });
});

describe('Completed / Canceled appointment deleted in CRM', () => {
  it.each([1, 2])('crm.appointment.inactive: statecode %i stays, even with a future start', (statecode) => {
    expect(decide(crmFacts(appointment(statecode, new Date('2030-01-01T00:00:00Z'))), NOW)).toMatchObject({ ruleId: 'crm.appointment.inactive', action: 'skip', targets: [] });
  });
});

describe('Task deleted in CRM', () => {
  it("crm.task.active: the owner's copy and every linked copy", () => {
    const task = { entity: 'task', id: APPOINTMENT_ID };
    const links = [
      link(task, 'entra-owner', ORGANIZER_CRM_ID, { itemKind: 'todoTask', itemId: 'todo-1', listId: 'list-1', role: 'owner' }),
      link(task, 'entra-other', null, { itemKind: 'todoTask', itemId: 'todo-2', listId: 'list-2' }),
    ];
    const decision = decide(crmFacts(record('task', 0), { links }), NOW);
    expect(decision).toMatchObject({ ruleId: 'crm.task.active', action: 'propagate' });
    expect(decision.targets).toEqual([
      { side: 'outlook', role: 'owner', crmUserId: ORGANIZER_CRM_ID, userId: 'entra-owner', itemKind: 'todoTask', itemId: 'todo-1', method: 'delete' },
      { side: 'outlook', role: 'linked', crmUserId: null, userId: 'entra-other', itemKind: 'todoTask', itemId: 'todo-2', method: 'delete' },
    ]);
  });

  it('a team-owned task: only linked copies', () => {
    const body = setColumn(record('task', 0), 'ownerid', reference('team', '00000000-0000-0000-0000-0000000000b1'));
    const decision = decide(crmFacts(body), NOW);
    expect(decision).toMatchObject({ ruleId: 'crm.task.active', action: 'propagate', targets: [] });
    expect(decision.reason).toContain('not owned by a user');
  });

  it.each([1, 2])('crm.task.inactive: statecode %i stays', (statecode) => {
    expect(decide(crmFacts(record('task', statecode)), NOW)).toMatchObject({ ruleId: 'crm.task.inactive', action: 'skip', targets: [] });
  });

  it('statecode 3 is not active for a task', () => {
    expect(decide(crmFacts(record('task', 3)), NOW).ruleId).toBe('crm.task.inactive');
  });
});

describe('Email deleted in CRM', () => {
  it.each([0, 1, 2])('crm.email: the Outlook copy stays (statecode %i)', (statecode) => {
    const links = [link({ entity: 'email', id: APPOINTMENT_ID }, 'entra-owner', ORGANIZER_CRM_ID, { itemKind: 'message' })];
    expect(decide(crmFacts(record('email', statecode), { links }), NOW)).toMatchObject({ ruleId: 'crm.email', action: 'skip', targets: [] });
  });
});

describe('Contact deleted in CRM', () => {
  const contact = { entity: 'contact', id: APPOINTMENT_ID };

  it("crm.contact: every linked mailbox except the owner's", () => {
    const links = [
      link(contact, 'entra-owner', ORGANIZER_CRM_ID, { itemKind: 'contact', itemId: 'c-owner' }),
      link(contact, 'entra-owner-by-role', null, { itemKind: 'contact', itemId: 'c-owner-2', role: 'owner' }),
      link(contact, 'entra-colleague', '00000000-0000-0000-0000-00000000a002', { itemKind: 'contact', itemId: 'c-colleague' }),
    ];
    const decision = decide(crmFacts(record('contact', 0), { links }), NOW);
    expect(decision).toMatchObject({ ruleId: 'crm.contact', action: 'propagate' });
    expect(decision.targets).toEqual([
      { side: 'outlook', role: 'linked', crmUserId: '00000000-0000-0000-0000-00000000a002', userId: 'entra-colleague', itemKind: 'contact', itemId: 'c-colleague', method: 'delete' },
    ]);
    expect(decision.reason).toContain("owner's copy is kept");
  });

  it('crm.contact.owner-unknown: without an owner nothing is deleted', () => {
    const links = [link(contact, 'entra-colleague', null, { itemKind: 'contact' })];
    expect(decide(crmFacts(removeColumn(record('contact', 0), 'ownerid'), { links }), NOW)).toMatchObject({ ruleId: 'crm.contact.owner-unknown', action: 'skip', targets: [] });
  });
});

describe('Unknown state, other tables, other messages', () => {
  it('crm.unknown-state: a Delete without pre-image and nothing stored', () => {
    expect(decide(crmFacts(withoutPreImage(reconstructedDelete())), NOW)).toMatchObject({ ruleId: 'crm.unknown-state', action: 'skip', targets: [] });
  });

  it('a Delete without pre-image falls back to the stored snapshot', () => {
    const stored = storedSnapshot(reconstructedDelete());
    expect(decide(crmFacts(withoutPreImage(reconstructedDelete()), { record: stored }), NOW).ruleId).toBe('crm.appointment.active.future');
  });

  it('a size-exceeded Delete is unknown state', () => {
    const facts = crmFacts(sizeExceeded(reconstructedDelete()), {}, { 'x-ms-dynamics-msg-size-exceeded': 'true' });
    expect(decide(facts, NOW)).toMatchObject({ ruleId: 'crm.unknown-state', action: 'skip' });
  });

  it('a pre-image without statecode is unknown state', () => {
    expect(decide(crmFacts(removeColumn(reconstructedDelete(), 'statecode')), NOW).ruleId).toBe('crm.unknown-state');
  });

  it.each(['phonecall', 'letter', 'new_customactivity'])('other-entity: %s is left alone', (logicalName) => {
    expect(decide(crmFacts(record(logicalName, 0)), NOW)).toMatchObject({ ruleId: 'other-entity', action: 'skip', targets: [] });
  });

  it('not-a-delete: the contact Update fixture', () => {
    expect(decide(crmFacts(fixtureText('dataverse', 'update-webhook-contact-async.msdocs.json')), NOW)).toMatchObject({ ruleId: 'not-a-delete', action: 'skip' });
  });
});
