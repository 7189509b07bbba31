/**
 * Graph delivers at least once and in any order. With every notification sent twice and each delayed at
 * random (so they overtake each other), the table's rows end exactly as they do with clean delivery:
 * one decision per delete, nothing deleted twice, nothing poisoned.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SCENARIOS, sideState } from '../../demo/scenarios.js';
import { trackedMeeting } from '../../demo/tracked.js';
import { crmRecordKey } from '../../src/store/decisions.js';
import { expectRowAsTable, useWorld } from '../helpers/e2e-world.js';

const world = useWorld();

beforeAll(() => {
  const settings = world().sb.graph.notificationSettings;
  settings.duplicateRate = 1;
  settings.maxDelayMs = 150;
});


describe('duplicate and out-of-order Graph notifications change nothing', () => {
  const rows = ['appointment-future-crm', 'appointment-organizer-outlook', 'appointment-attendee-outlook', 'contact-crm', 'email-outlook'];
  for (const name of rows) {
    const scenario = SCENARIOS.find((s) => s.name === name);
    if (scenario === undefined) throw new Error(`no scenario ${name}`);
    it(`${scenario.row}, ${scenario.direction}: every notification twice, in any order`, async () => {
      const w = world();
      const deliveredBefore = w.sb.graph.deliveries.length;
      const since = w.sb.deleteLog.entries().length;
      const observed = await scenario.play(w);
      // Each notification really came twice; the trigger still has exactly one decision.
      const delivered = w.sb.graph.deliveries.slice(deliveredBefore).filter((d) => d.outcome === 'delivered');
      const resources = new Set(delivered.map((d) => `${d.event}|${d.resource}`));
      expect(resources.size).toBeGreaterThan(0);
      expect(delivered.length).toBeGreaterThanOrEqual(2 * resources.size);
      await expectRowAsTable(w, scenario, observed, since);
    });
  }

  it('an update and the delete of the same meeting racing each other end as the delete alone', async () => {
    const w = world();
    const { olga, alice, bob } = w.users;
    const meeting = await trackedMeeting(w, 'Moved, then dropped', { organizer: olga, attendees: [alice, bob], startInDays: 6 });
    const organizerCopy = meeting.copies.olga!;
    w.sb.graph.userUpdatesItem(olga.id, 'event', organizerCopy.itemId, { subject: 'Moved, then dropped (new time)' });
    w.sb.graph.userDeletesItem(olga.id, 'event', organizerCopy.itemId);
    await w.quiesce();

    expect(sideState(w, meeting)).toEqual({ crm: false, outlook: { olga: false, alice: false, bob: false } });
    const deletes = (await w.store.decisions.listByRecord(crmRecordKey(meeting.ref), 100)).filter((d) => d.input?.change === 'deleted');
    expect(deletes.map((d) => d.ruleId).sort()).toEqual(['crm.appointment.active.future', 'outlook.appointment.active.organizer']);
    expect(w.sb.deleteLog.deletedTwice()).toEqual([]);
    expect(await w.poisoned()).toBe(0);
  });
});
