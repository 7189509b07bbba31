/** explain(): the table's answer for Delete bodies of each record type and state, and Graph notifications with facts. */
import { describe, expect, it } from 'vitest';
import { explain } from '../../../src/cli/explain.js';
import { DEFAULT_POLICY, PolicyConfig } from '../../../src/policy/config.js';
import { ruleById, type RuleId } from '../../../src/policy/table.js';
import { codedError } from '../contracts/coded-error.js';
import { fixtureJson } from '../contracts/fixture-files.js';
import { asEntity, optionSet, reconstructedDelete, setColumn, xrmDate } from '../domain/dataverse-bodies.js';
import { NOW, ORGANIZER_CRM_ID, storedSnapshot } from '../policy/facts-builders.js';

const FUTURE = new Date('2025-06-01T00:00:00Z');
const PAST = new Date('2024-06-01T00:00:00Z');

function deleteBody(logicalName: string, statecode: number, start: Date = FUTURE) {
  const body = logicalName === 'appointment' ? reconstructedDelete() : asEntity(reconstructedDelete(), logicalName);
  setColumn(body, 'statecode', optionSet(statecode));
  if (logicalName === 'appointment') setColumn(body, 'scheduledstart', xrmDate(start));
  return body;
}

function run(document: unknown, lookedUp: Parameters<typeof explain>[0]['lookedUp'] = null, policy = DEFAULT_POLICY) {
  return explain({ document, lookedUp, now: NOW, policy });
}

describe('explain: Delete bodies of each record type and state', () => {
  it.each<[string, number, Date, RuleId, string]>([
    ['appointment', 0, FUTURE, 'crm.appointment.active.future', 'propagate'],
    ['appointment', 3, FUTURE, 'crm.appointment.active.future', 'propagate'],
    ['appointment', 3, PAST, 'crm.appointment.active.past', 'skip'],
    ['appointment', 1, FUTURE, 'crm.appointment.inactive', 'skip'],
    ['appointment', 2, FUTURE, 'crm.appointment.inactive', 'skip'],
    ['task', 0, FUTURE, 'crm.task.active', 'propagate'],
    ['task', 1, FUTURE, 'crm.task.inactive', 'skip'],
    ['task', 2, FUTURE, 'crm.task.inactive', 'skip'],
    ['email', 0, FUTURE, 'crm.email', 'skip'],
    ['email', 1, FUTURE, 'crm.email', 'skip'],
    ['contact', 0, FUTURE, 'crm.contact', 'propagate'],
    ['contact', 1, FUTURE, 'crm.contact', 'propagate'],
    ['phonecall', 0, FUTURE, 'other-entity', 'skip'],
  ])('%s statecode %i (start %s) → %s', (logicalName, statecode, start, ruleId, action) => {
    const explanation = run(deleteBody(logicalName, statecode, start));
    expect(explanation).toMatchObject({ ruleId, action, now: NOW.toISOString(), event: { origin: 'crm', change: 'deleted', statecode } });
    expect(explanation.reason.startsWith(ruleById(ruleId).reason), explanation.reason).toBe(true);
  });

  it('the organizer target names its role and CRM user id', () => {
    expect(run(deleteBody('appointment', 3)).targets).toEqual([expect.objectContaining({ role: 'organizer', crmUserId: ORGANIZER_CRM_ID })]);
  });

  it('a policy can lower a row to skip', () => {
    const policy = PolicyConfig.parse({ rules: { 'crm.task.active': { action: 'skip' } } });
    expect(run(deleteBody('task', 0), null, policy)).toMatchObject({ ruleId: 'crm.task.active', action: 'skip', targets: [] });
  });
});

describe('explain: Graph notifications', () => {
  const record = storedSnapshot(deleteBody('appointment', 3));
  const notification = fixtureJson('graph', 'notification-event-deleted.reconstructed.json');

  it('with facts, an organizer delete is a CRM delete acting as the organizer', () => {
    const explanation = run(notification, { crmRef: record.ref, record, actor: { role: 'organizer', userId: 'entra-organizer', crmUserId: ORGANIZER_CRM_ID } });
    expect(explanation).toMatchObject({ ruleId: 'outlook.appointment.active.organizer', action: 'propagate', event: { origin: 'outlook', outlookItem: { itemKind: 'event' } } });
    expect(explanation.targets).toEqual([expect.objectContaining({ side: 'crm', actAs: { userId: 'entra-organizer', crmUserId: ORGANIZER_CRM_ID } })]);
  });

  it('without facts it refuses rather than guessing', () => {
    expect(codedError(() => run(notification))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: '--facts' });
  });

  it('a collection of two is refused', () => {
    const two = structuredClone(notification) as { value: unknown[] };
    two.value.push(two.value[0]);
    expect(codedError(() => run(two, {}))).toMatchObject({ field: 'value' });
  });

  it('a lifecycle notification is not a change notification', () => {
    expect(codedError(() => run(fixtureJson('graph', 'lifecycle-missed.json'), {}))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'value[0].changeType' });
  });

  it('anything else is named as such', () => {
    expect(codedError(() => run(fixtureJson('graph', 'batch-response.json')))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: '$' });
  });
});
