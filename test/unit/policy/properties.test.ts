/**
 * Properties over any facts and any policy configuration, even one the schema would refuse: the policy
 * never propagates what the table forbids, and never targets an item linked to another record.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CrmRef, CrmSnapshot, Party } from '../../../src/domain/event.js';
import type { Link } from '../../../src/domain/link.js';
import type { PolicyConfig } from '../../../src/policy/config.js';
import { decide } from '../../../src/policy/decide.js';
import { RULES, RULE_IDS } from '../../../src/policy/table.js';
import { Decision, type Facts } from '../../../src/policy/types.js';

// Small id pools, so owners, parties, actors and links collide as they do in real tenants.
const crmIds = fc.constantFrom('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000A2', '00000000-0000-0000-0000-0000000000a3');
const recordIds = fc.constantFrom('00000000-0000-0000-0000-0000000a0001', '00000000-0000-0000-0000-0000000a0002');
const userIds = fc.constantFrom('entra-1', 'entra-2', 'entra-3');
const entities = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('appointment' as const, 'task' as const, 'contact' as const) },
  { weight: 1, arbitrary: fc.constantFrom('email' as const, 'other' as const) },
);
// Instants cluster around one moment so that starts land exactly on, just before and just after `now`.
const BASE = Date.parse('2025-01-01T00:00:00Z');
const instant = fc.oneof(
  fc.constantFrom(...[-86_400_000, -1, 0, 1, 86_400_000].map((offset) => new Date(BASE + offset))),
  fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2026-01-01T00:00:00Z'), noInvalidDate: true }),
);

const crmRef: fc.Arbitrary<CrmRef> = fc.record({ entity: fc.constantFrom('appointment', 'task', 'email', 'contact', 'phonecall'), id: recordIds });

const party: fc.Arbitrary<Party> = fc.record({
  role: fc.constantFrom('organizer' as const, 'required' as const, 'optional' as const),
  type: fc.constantFrom('systemuser', 'contact', 'account', 'unresolved'),
  id: fc.option(crmIds, { nil: null }),
  address: fc.option(fc.constant('someone@example.org'), { nil: null }),
});

const snapshot = (ref: fc.Arbitrary<CrmRef>): fc.Arbitrary<CrmSnapshot> =>
  fc.record({
    ref,
    statecode: fc.option(fc.integer({ min: 0, max: 4 }), { nil: null }),
    scheduledStart: fc.option(instant.map((date) => date.toISOString()), { nil: null }),
    owner: fc.option(fc.record({ entity: fc.constantFrom('systemuser', 'team'), id: crmIds }), { nil: null }),
    organizer: fc.option(party, { nil: null }),
    requiredAttendees: fc.array(party, { maxLength: 4 }),
    optionalAttendees: fc.array(party, { maxLength: 3 }),
    globalObjectId: fc.constant(null),
    messageId: fc.constant(null),
    takenAt: fc.constant(null),
  });

const link = (ref: fc.Arbitrary<CrmRef>): fc.Arbitrary<Link> =>
  fc.record({
    crm: ref,
    userId: userIds,
    crmUserId: fc.option(crmIds, { nil: null }),
    itemKind: fc.constantFrom('event' as const, 'contact' as const, 'message' as const, 'todoTask' as const),
    itemId: fc.constantFrom('item-1', 'item-2', 'item-3', 'item-4'),
    role: fc.constantFrom('organizer' as const, 'attendee' as const, 'owner' as const, 'other' as const),
    listId: fc.constant(null),
    source: fc.constant('property'),
    updatedAt: fc.constant('2025-01-01T00:00:00.000Z'),
  });

const facts: fc.Arbitrary<Facts> = crmRef.chain((ref) =>
  fc.record({
    origin: fc.constantFrom('crm' as const, 'outlook' as const),
    change: fc.oneof({ weight: 9, arbitrary: fc.constant('deleted' as const) }, { weight: 1, arbitrary: fc.constantFrom('created' as const, 'updated' as const) }),
    entity: entities,
    crmRef: fc.option(fc.constant(ref), { nil: null, freq: 5 }),
    record: fc.option(snapshot(fc.constant(ref)), { nil: null, freq: 5 }),
    actor: fc.option(fc.record({ role: fc.constantFrom('organizer' as const, 'attendee' as const, 'owner' as const, 'other' as const), userId: userIds, crmUserId: fc.option(crmIds, { nil: null }) }), {
      nil: null,
      freq: 5,
    }),
    links: fc.array(link(fc.oneof(fc.constant(ref), crmRef)), { maxLength: 6 }),
  }),
);

/**
 * Any configuration, including overrides the schema refuses (a skip row set to propagate): decide()
 * must keep the table's skip rows even if an unvalidated policy reached it.
 */
const policy: fc.Arbitrary<PolicyConfig> = fc.record({
  rules: fc.dictionary(fc.constantFrom(...RULE_IDS), fc.record({ action: fc.constantFrom('skip' as const, 'propagate' as const) }), { maxKeys: 6 }),
  organizerMeetingMethod: fc.constantFrom('delete' as const, 'cancel' as const),
  outlookOrganizerDeleteRequiresFutureStart: fc.boolean(),
  keepSeriesWithPastOccurrences: fc.boolean(),
});

const now = instant;
const RUNS = { numRuns: 2000 };
const PROPAGATING = new Set<string>(RULES.filter((rule) => rule.action === 'propagate').map((rule) => rule.id));
const same = (a: string | null | undefined, b: string | null | undefined) => a != null && b != null && a.toLowerCase() === b.toLowerCase();

function check(predicate: (f: Facts, n: Date, p: PolicyConfig) => void): void {
  fc.assert(fc.property(facts, now, policy, (f, n, p) => predicate(f, n, p)), RUNS);
}

describe('decide() never propagates what the table forbids', () => {
  it('a decision is valid, and a skip has no targets; only table rows that delete ever propagate', () => {
    check((f, n, p) => {
      const decision = Decision.parse(decide(f, n, p));
      if (decision.action === 'skip') expect(decision.targets).toEqual([]);
      else expect(PROPAGATING.has(decision.ruleId)).toBe(true);
    });
  });

  it('e-mails are never deleted, in either direction', () => {
    check((f, n, p) => {
      if (f.entity === 'email') expect(decide(f, n, p).action).toBe('skip');
    });
  });

  it('completed or canceled appointments and tasks are never deleted', () => {
    check((f, n, p) => {
      const statecode = f.record?.statecode;
      if ((f.entity === 'appointment' || f.entity === 'task') && (statecode === 1 || statecode === 2)) expect(decide(f, n, p).action).toBe('skip');
    });
  });

  it('a CRM-side appointment whose start is not after now is never deleted in Outlook', () => {
    check((f, n, p) => {
      const start = f.record?.scheduledStart;
      const future = start !== null && start !== undefined && Date.parse(start) > n.getTime();
      if (f.origin === 'crm' && f.entity === 'appointment' && !future) expect(decide(f, n, p).action).toBe('skip');
    });
  });

  it('an attendee delete never reaches CRM', () => {
    check((f, n, p) => {
      if (f.origin === 'outlook' && f.entity === 'appointment' && f.actor?.role !== 'organizer') expect(decide(f, n, p).targets.filter((t) => t.side === 'crm')).toEqual([]);
    });
  });

  it("the owner's contact is never deleted from the CRM side", () => {
    check((f, n, p) => {
      if (f.origin !== 'crm' || f.entity !== 'contact') return;
      const owner = f.record?.owner ?? null;
      for (const target of decide(f, n, p).targets) {
        expect(owner).not.toBeNull();
        expect(target.side).toBe('outlook');
        if (target.side !== 'outlook') continue;
        expect(same(target.crmUserId, owner?.id)).toBe(false);
        const source = f.links.find((l) => l.userId === target.userId && l.itemId === target.itemId && l.itemKind === 'contact');
        expect(source?.role).not.toBe('owner');
      }
    });
  });

  it('Outlook-side deletes only ever act on CRM, as the deleting user', () => {
    check((f, n, p) => {
      if (f.origin !== 'outlook') return;
      for (const target of decide(f, n, p).targets) {
        expect(target).toMatchObject({ side: 'crm', actAs: { userId: f.actor?.userId }, privilegeCheck: 'enforced-by-impersonation' });
      }
    });
  });

  it('a linked item is targeted only through a link to this very record', () => {
    check((f, n, p) => {
      const ref = f.crmRef ?? f.record?.ref;
      for (const target of decide(f, n, p).targets) {
        if (target.side !== 'outlook' || target.itemId === null) continue;
        const links = f.links.filter((l) => l.itemId === target.itemId && l.userId === target.userId && l.itemKind === target.itemKind);
        expect(links.some((l) => l.crm.entity === ref?.entity && same(l.crm.id, ref?.id))).toBe(true);
      }
    });
  });

  it('is deterministic: same facts, same now, same policy, same decision', () => {
    check((f, n, p) => {
      expect(decide(f, n, p)).toEqual(decide(structuredClone(f), new Date(n.getTime()), structuredClone(p)));
    });
  });
});
