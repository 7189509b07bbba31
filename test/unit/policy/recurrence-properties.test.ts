/**
 * Properties of the recurrence rows over any CRM-side delete of a series or of one of its appointments,
 * under any policy: no occurrence that has started is ever a delete or cancel target, a series is only
 * ever ended (never deleted or cancelled), and only links to the deleted record itself are acted on.
 * Fixed seeds, so `npm test` is repeatable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CrmRef, CrmSnapshot, Party } from '../../../src/domain/event.js';
import type { Link } from '../../../src/domain/link.js';
import type { PolicyConfig } from '../../../src/policy/config.js';
import { decide } from '../../../src/policy/decide.js';
import { RULE_IDS } from '../../../src/policy/table.js';
import type { Facts } from '../../../src/policy/types.js';

const SEED = 15_015;
const RUNS = { numRuns: 3000, seed: SEED };
const BASE = Date.parse('2025-03-01T09:00:00Z');
const instant = fc.oneof(
  fc.constantFrom(...[-86_400_000, -1, 0, 1, 86_400_000].map((offset) => new Date(BASE + offset).toISOString())),
  fc.date({ min: new Date('2024-06-01T00:00:00Z'), max: new Date('2025-12-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
);
const users = fc.constantFrom('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000a2');
const seriesRef: CrmRef = { entity: 'recurringappointmentmaster', id: '00000000-0000-0000-0000-0000000b0001' };
const refs = fc.constantFrom<CrmRef>(seriesRef, { entity: 'appointment', id: '00000000-0000-0000-0000-0000000a0001' }, { entity: 'appointment', id: '00000000-0000-0000-0000-0000000a0002' });
const party: fc.Arbitrary<Party> = fc.record({
  role: fc.constantFrom('organizer' as const, 'required' as const),
  type: fc.constantFrom('systemuser', 'contact'),
  id: fc.option(users, { nil: null }),
  address: fc.constant(null),
});

const snapshot = (ref: CrmRef): fc.Arbitrary<CrmSnapshot> =>
  fc.record({
    ref: fc.constant(ref),
    statecode: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    scheduledStart: fc.option(instant, { nil: null }),
    owner: fc.constant(null),
    organizer: fc.option(party, { nil: null }),
    requiredAttendees: fc.array(party, { maxLength: 3 }),
    optionalAttendees: fc.constant([]),
    globalObjectId: fc.constant(null),
    messageId: fc.constant(null),
    series: fc.option(
      fc.record({
        instanceType: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
        seriesId: fc.option(fc.constant(seriesRef.id), { nil: null }),
        originalStart: fc.option(instant, { nil: null }),
        seriesStart: fc.option(instant, { nil: null }),
      }),
      { nil: null },
    ),
    takenAt: fc.constant(null),
  });

const link = (ref: fc.Arbitrary<CrmRef>): fc.Arbitrary<Link> =>
  fc.record({
    crm: ref,
    userId: fc.constantFrom('entra-1', 'entra-2'),
    crmUserId: fc.option(users, { nil: null }),
    itemKind: fc.constant('event' as const),
    itemId: fc.constantFrom('master-1', 'occurrence-1', 'occurrence-2'),
    role: fc.constantFrom('organizer' as const, 'attendee' as const),
    listId: fc.constant(null),
    source: fc.constant('property'),
    updatedAt: fc.constant('2025-01-01T00:00:00.000Z'),
  });

const facts: fc.Arbitrary<Facts> = refs.chain((ref) =>
  fc.record({
    origin: fc.constant('crm' as const),
    change: fc.constant('deleted' as const),
    entity: fc.constant('appointment' as const),
    crmRef: fc.constant(ref),
    record: fc.option(snapshot(ref), { nil: null, freq: 8 }),
    actor: fc.constant(null),
    links: fc.array(link(refs), { maxLength: 6 }),
  }),
);

const policy: fc.Arbitrary<PolicyConfig> = fc.record({
  rules: fc.dictionary(fc.constantFrom(...RULE_IDS), fc.record({ action: fc.constantFrom('skip' as const, 'propagate' as const) }), { maxKeys: 4 }),
  organizerMeetingMethod: fc.constantFrom('delete' as const, 'cancel' as const),
  outlookOrganizerDeleteRequiresFutureStart: fc.boolean(),
  keepSeriesWithPastOccurrences: fc.boolean(),
});
const now = instant.map((iso) => new Date(iso));

function check(predicate: (f: Facts, n: Date, p: PolicyConfig) => void): void {
  fc.assert(fc.property(facts, now, policy, predicate), RUNS);
}

describe('a CRM-side delete never removes a past occurrence', () => {
  it('a delete or cancel target of a recurring record is an occurrence whose own start is after now', () => {
    check((f, n, p) => {
      const decision = decide(f, n, p);
      const position = f.record?.series ?? null;
      const partOfSeries = position !== null && (position.seriesId !== null || (position.instanceType ?? 0) !== 0);
      const recurring = f.crmRef?.entity === 'recurringappointmentmaster' || partOfSeries;
      for (const target of decision.targets) {
        if (!recurring || target.side !== 'outlook' || target.method === 'end-series') continue;
        const start = f.record?.scheduledStart ?? null;
        expect(decision.ruleId).toBe('crm.occurrence.active.future');
        expect(start !== null && Date.parse(start) > n.getTime()).toBe(true);
        expect(target.occurrence).toEqual({ series: seriesRef, originalStart: f.record?.series?.originalStart });
      }
    });
  });

  it('a series is only ever ended, in the organizer’s mailbox, never deleted or cancelled', () => {
    check((f, n, p) => {
      if (f.crmRef?.entity !== 'recurringappointmentmaster') return;
      for (const target of decide(f, n, p).targets) expect(target).toMatchObject({ side: 'outlook', role: 'organizer', method: 'end-series' });
    });
  });

  it('an occurrence decision never names a series master’s item, only items linked to that very instance', () => {
    check((f, n, p) => {
      for (const target of decide(f, n, p).targets) {
        if (target.side !== 'outlook' || target.itemId === null) continue;
        const sources = f.links.filter((l) => l.userId === target.userId && l.itemId === target.itemId);
        expect(sources.some((l) => l.crm.entity === f.crmRef?.entity && l.crm.id === f.crmRef?.id)).toBe(true);
      }
    });
  });
});
