/** `delete-sync explain` answers every recurring-meeting row: CRM Delete bodies of series and instances, Outlook notifications with facts. */
import { describe, expect, it } from 'vitest';
import { explain } from '../../../src/cli/explain.js';
import { DEFAULT_POLICY, PolicyConfig } from '../../../src/policy/config.js';
import { RECURRENCE_RULES } from '../../../src/policy/recurrence-rules.js';
import { ruleById, type RuleId } from '../../../src/policy/table.js';
import { fixtureJson } from '../contracts/fixture-files.js';
import { NOW, ORGANIZER_CRM_ID, storedSnapshot } from '../policy/facts-builders.js';
import { ATTENDEE, INSTANCE, SERIES, at, instanceDelete, seriesDelete } from '../policy/recurrence-bodies.js';

const run = (document: unknown, lookedUp: Parameters<typeof explain>[0]['lookedUp'] = null, policy = DEFAULT_POLICY) => explain({ document, lookedUp, now: NOW, policy });
const notification = () => fixtureJson('graph', 'notification-event-deleted.reconstructed.json');
const organizer = { role: 'organizer' as const, userId: 'entra-olga', crmUserId: ORGANIZER_CRM_ID };
const attendee = { role: 'attendee' as const, userId: 'entra-alice', crmUserId: ATTENDEE };
const keepStarted = PolicyConfig.parse({ keepSeriesWithPastOccurrences: true, outlookOrganizerDeleteRequiresFutureStart: true });

const CASES: [RuleId, () => ReturnType<typeof run>][] = [
  ['crm.series.active', () => run(seriesDelete(3, at(-7)))],
  ['crm.series.inactive', () => run(seriesDelete(1, at(-7)))],
  ['crm.occurrence.active.future', () => run(instanceDelete(3, at(2)))],
  ['crm.occurrence.active.past', () => run(instanceDelete(3, at(-2)))],
  ['crm.occurrence.inactive', () => run(instanceDelete(2, at(2)))],
  ['crm.occurrence.unknown', () => run(instanceDelete(3, at(2), { series: null }))],
  ['outlook.series.organizer', () => run(notification(), { crmRef: SERIES, record: storedSnapshot(seriesDelete(3, at(-7))), actor: organizer, links: [] })],
  ['outlook.series.organizer.started', () => run(notification(), { crmRef: SERIES, record: storedSnapshot(seriesDelete(3, at(-7))), actor: organizer, links: [] }, keepStarted)],
  ['outlook.series.attendee', () => run(notification(), { crmRef: SERIES, record: storedSnapshot(seriesDelete(3, at(-7))), actor: attendee, links: [] })],
  ['outlook.series.inactive', () => run(notification(), { crmRef: SERIES, record: storedSnapshot(seriesDelete(2, at(-7))), actor: organizer, links: [] })],
  ['outlook.occurrence.organizer', () => run(notification(), { crmRef: INSTANCE, record: storedSnapshot(instanceDelete(3, at(2))), actor: organizer, links: [] })],
  ['outlook.occurrence.organizer.past', () => run(notification(), { crmRef: INSTANCE, record: storedSnapshot(instanceDelete(3, at(-2))), actor: organizer, links: [] }, keepStarted)],
  ['outlook.occurrence.attendee', () => run(notification(), { crmRef: INSTANCE, record: storedSnapshot(instanceDelete(3, at(2))), actor: attendee, links: [] })],
  ['outlook.occurrence.inactive', () => run(notification(), { crmRef: INSTANCE, record: storedSnapshot(instanceDelete(1, at(2))), actor: organizer, links: [] })],
];

describe('explain: recurring meetings', () => {
  it.each(CASES)('%s', (ruleId, explained) => {
    const answer = explained();
    expect(answer).toMatchObject({ ruleId, action: ruleById(ruleId).action });
    expect(answer.reason.startsWith(ruleById(ruleId).reason)).toBe(true);
  });

  it('shows where the record sits in its series', () => {
    expect(run(instanceDelete(3, at(2))).event.series).toMatchObject({ instanceType: 2, seriesId: SERIES.id, originalStart: at(2).toISOString() });
    expect(run(seriesDelete(3, at(-7))).event.series).toMatchObject({ instanceType: 1, seriesStart: at(-7).toISOString() });
  });

  it('covers every recurrence row', () => {
    expect(CASES.map(([id]) => id).sort()).toEqual(RECURRENCE_RULES.map((rule) => rule.id).sort());
  });
});
