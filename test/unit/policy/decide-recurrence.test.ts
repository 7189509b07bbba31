/**
 * Recurring meetings, both directions: one test per row of recurrence-rules.ts, on Delete bodies derived
 * from the real appointment fixture (a series master is the same activity envelope under the table
 * recurringappointmentmaster; an instance carries instancetypecode, seriesid and originalstartdate).
 */
import { describe, expect, it } from 'vitest';
import { PolicyConfig } from '../../../src/policy/config.js';
import { decide } from '../../../src/policy/decide.js';
import { partyList, setColumn } from '../domain/dataverse-bodies.js';
import { NOW, ORGANIZER_CRM_ID, crmFacts, link, outlookFacts, storedSnapshot } from './facts-builders.js';

import { ATTENDEE, INSTANCE, SERIES, SERIES_ID, at, instanceDelete, seriesDelete } from './recurrence-bodies.js';

describe('a recurring series deleted in CRM', () => {
  it("crm.series.active: only the organizer's series master is a target, ended at now (never deleted)", () => {
    const organizerLink = link(SERIES, 'entra-olga', ORGANIZER_CRM_ID, { role: 'organizer', itemId: 'master-olga' });
    const attendeeLink = link(SERIES, 'entra-alice', ATTENDEE, { itemId: 'master-alice' });
    const decision = decide(crmFacts(seriesDelete(3, at(-30)), { links: [organizerLink, attendeeLink] }), NOW);
    expect(decision).toMatchObject({ ruleId: 'crm.series.active', action: 'propagate' });
    expect(decision.targets).toEqual([
      { side: 'outlook', role: 'organizer', crmUserId: ORGANIZER_CRM_ID, userId: 'entra-olga', itemKind: 'event', itemId: 'master-olga', method: 'end-series' },
    ]);
    expect(decision.reason).toContain('recurrence.range.endDate');
  });

  it('a series that has not started is ended the same way: the executor finds no started occurrence', () => {
    expect(decide(crmFacts(seriesDelete(0, at(10))), NOW)).toMatchObject({ ruleId: 'crm.series.active', targets: [{ method: 'end-series', itemId: null }] });
  });

  it('crm.series.inactive: a completed or canceled series stays', () => {
    for (const statecode of [1, 2]) expect(decide(crmFacts(seriesDelete(statecode, at(-3))), NOW)).toMatchObject({ ruleId: 'crm.series.inactive', action: 'skip', targets: [] });
  });

  it('no pre-image and nothing stored: crm.unknown-state, nothing is changed', () => {
    const body = seriesDelete(3, at(-3));
    body.PreEntityImages = [];
    expect(decide(crmFacts(body), NOW)).toMatchObject({ ruleId: 'crm.unknown-state', action: 'skip' });
  });

  it('an organizer who is not a CRM user leaves nothing to end: propagate with no target, and a note', () => {
    const body = setColumn(seriesDelete(3, at(-3)), 'organizer', partyList([{ mask: 7, party: null, address: 'guest@fabrikam.test' }]));
    const decision = decide(crmFacts(body), NOW);
    expect(decision).toMatchObject({ ruleId: 'crm.series.active', targets: [] });
    expect(decision.reason).toContain('not a CRM user');
  });
});

describe('one occurrence deleted in CRM', () => {
  it('crm.occurrence.active.future: the organizer’s occurrence is cancelled, attendees’ copies deleted, each keyed by series and original start', () => {
    const original = at(7);
    const occurrenceLink = link(INSTANCE, 'entra-alice', ATTENDEE, { itemId: 'occurrence-alice' });
    const decision = decide(crmFacts(instanceDelete(3, original), { links: [occurrenceLink] }), NOW);
    expect(decision).toMatchObject({ ruleId: 'crm.occurrence.active.future', action: 'propagate' });
    const occurrence = { series: SERIES, originalStart: original.toISOString() };
    expect(decision.targets).toEqual([
      { side: 'outlook', role: 'organizer', crmUserId: ORGANIZER_CRM_ID, userId: null, itemKind: 'event', itemId: null, method: 'cancel', occurrence },
      { side: 'outlook', role: 'attendee', crmUserId: ATTENDEE, userId: 'entra-alice', itemKind: 'event', itemId: 'occurrence-alice', method: 'delete', occurrence },
    ]);
  });

  it('the organizer’s occurrence is cancelled whatever organizerMeetingMethod says (cancel is what tells attendees of one occurrence)', () => {
    const policy = PolicyConfig.parse({ organizerMeetingMethod: 'delete' });
    expect(decide(crmFacts(instanceDelete(0, at(2))), NOW, policy).targets[0]).toMatchObject({ role: 'organizer', method: 'cancel' });
  });

  it('an exception (3) and a future exception (4) are occurrences too; the bare GUID form of seriesid is read as well', () => {
    for (const type of [3, 4]) expect(decide(crmFacts(instanceDelete(3, at(2), { type, series: SERIES_ID })), NOW).ruleId).toBe('crm.occurrence.active.future');
  });

  it('an exception moved into the past is judged by its own start, not its original start', () => {
    expect(decide(crmFacts(instanceDelete(3, at(-1), { type: 3, original: at(5) })), NOW).ruleId).toBe('crm.occurrence.active.past');
  });

  it('crm.occurrence.active.past: an occurrence that started now or earlier stays', () => {
    for (const start of [NOW, at(-1), null]) expect(decide(crmFacts(instanceDelete(3, start, { original: at(-1) })), NOW)).toMatchObject({ ruleId: 'crm.occurrence.active.past', targets: [] });
  });

  it('crm.occurrence.inactive: a completed or canceled occurrence stays', () => {
    for (const statecode of [1, 2]) expect(decide(crmFacts(instanceDelete(statecode, at(3))), NOW).ruleId).toBe('crm.occurrence.inactive');
  });

  it('crm.occurrence.unknown: no series, or no original start, is never treated as a single meeting', () => {
    expect(decide(crmFacts(instanceDelete(3, at(3), { series: null })), NOW)).toMatchObject({ ruleId: 'crm.occurrence.unknown', targets: [] });
    expect(decide(crmFacts(instanceDelete(3, at(3), { original: null })), NOW)).toMatchObject({ ruleId: 'crm.occurrence.unknown', targets: [] });
    expect(decide(crmFacts(instanceDelete(3, at(3), { type: 1 })), NOW).ruleId).toBe('crm.occurrence.unknown');
  });

  it('instancetypecode 0 without a series is a single meeting (the table’s own row)', () => {
    expect(decide(crmFacts(instanceDelete(3, at(3), { type: 0, series: null, original: null })), NOW).ruleId).toBe('crm.appointment.active.future');
  });
});

describe('deleted in Outlook', () => {
  const organizer = { role: 'organizer' as const, userId: 'entra-olga', crmUserId: ORGANIZER_CRM_ID };
  const attendee = { role: 'attendee' as const, userId: 'entra-alice', crmUserId: ATTENDEE };
  const series = (statecode: number, firstStart: Date | null) => storedSnapshot(seriesDelete(statecode, firstStart));
  const instance = (statecode: number, start: Date) => storedSnapshot(instanceDelete(statecode, start));

  it('outlook.series.organizer: the organizer deletes the series; the CRM series is deleted as the organizer', () => {
    const decision = decide(outlookFacts(null, { crmRef: SERIES, record: series(3, at(-30)), actor: organizer }), NOW);
    expect(decision).toMatchObject({ ruleId: 'outlook.series.organizer', action: 'propagate' });
    expect(decision.targets).toEqual([{ side: 'crm', ref: SERIES, actAs: { userId: 'entra-olga', crmUserId: ORGANIZER_CRM_ID }, privilegeCheck: 'enforced-by-impersonation' }]);
  });

  it('outlook.series.organizer.started: with keepSeriesWithPastOccurrences a series that has started (or whose start is unknown) stays', () => {
    const policy = PolicyConfig.parse({ keepSeriesWithPastOccurrences: true });
    for (const first of [at(-30), NOW, null]) {
      expect(decide(outlookFacts(null, { crmRef: SERIES, record: series(3, first), actor: organizer }), NOW, policy)).toMatchObject({ ruleId: 'outlook.series.organizer.started', targets: [] });
    }
    expect(decide(outlookFacts(null, { crmRef: SERIES, record: series(3, at(2)), actor: organizer }), NOW, policy).ruleId).toBe('outlook.series.organizer');
  });

  it('outlook.series.attendee and outlook.series.inactive keep the CRM series', () => {
    expect(decide(outlookFacts(null, { crmRef: SERIES, record: series(3, at(-3)), actor: attendee }), NOW)).toMatchObject({ ruleId: 'outlook.series.attendee', targets: [] });
    expect(decide(outlookFacts(null, { crmRef: SERIES, record: series(1, at(-3)), actor: organizer }), NOW)).toMatchObject({ ruleId: 'outlook.series.inactive', targets: [] });
  });

  it('outlook.occurrence.organizer: the organizer cancels one occurrence; its CRM instance is deleted as the organizer', () => {
    const decision = decide(outlookFacts(null, { crmRef: INSTANCE, record: instance(3, at(4)), actor: organizer }), NOW);
    expect(decision).toMatchObject({ ruleId: 'outlook.occurrence.organizer', targets: [{ side: 'crm', ref: INSTANCE, actAs: { userId: 'entra-olga' } }] });
  });

  it('outlook.occurrence.organizer.past: with outlookOrganizerDeleteRequiresFutureStart a past occurrence stays', () => {
    const policy = PolicyConfig.parse({ outlookOrganizerDeleteRequiresFutureStart: true });
    expect(decide(outlookFacts(null, { crmRef: INSTANCE, record: instance(3, at(-4)), actor: organizer }), NOW, policy).ruleId).toBe('outlook.occurrence.organizer.past');
  });

  it('outlook.occurrence.attendee and outlook.occurrence.inactive keep the CRM instance', () => {
    expect(decide(outlookFacts(null, { crmRef: INSTANCE, record: instance(3, at(4)), actor: attendee }), NOW).ruleId).toBe('outlook.occurrence.attendee');
    expect(decide(outlookFacts(null, { crmRef: INSTANCE, record: instance(2, at(4)), actor: organizer }), NOW).ruleId).toBe('outlook.occurrence.inactive');
  });

  it('an organizer claim contradicted by the series’ organizer counts as an attendee', () => {
    const impostor = { role: 'organizer' as const, userId: 'entra-alice', crmUserId: ATTENDEE };
    expect(decide(outlookFacts(null, { crmRef: SERIES, record: series(3, at(-3)), actor: impostor }), NOW).ruleId).toBe('outlook.series.attendee');
  });
});
