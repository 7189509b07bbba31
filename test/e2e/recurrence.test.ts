/**
 * Recurring meetings beyond the table rows (test/e2e/table.test.ts plays those): the protections. A
 * CRM-side series delete leaves every past occurrence in every mailbox; a wrong link (an instance linked
 * to the series master) never cancels the series; an organizer who cuts the series back in Outlook is
 * not taken as deleting its occurrences; an occurrence with no link of its own is found through the
 * series link and its original start.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../demo/scenarios.js';
import { trackedSeries } from '../../demo/recurrence-scenarios.js';
import { crmRecordKey } from '../../src/store/decisions.js';
import { useWorld } from '../helpers/e2e-world.js';

void SCENARIOS; // scenarios.ts first: it loads the recurrence scenarios.
const world = useWorld();
const DAY = 86_400_000;
const window = () => [Date.now() - 30 * DAY, Date.now() + 60 * DAY] as const;

describe('recurring meetings: protections', () => {
  it('a series deleted in CRM ends at now: every started occurrence stays in every mailbox, every later one goes', async () => {
    const w = world();
    const { olga, alice } = w.users;
    const s = await trackedSeries(w, 'Weekly forecast', olga, [alice]);
    const since = w.sb.deleteLog.entries().length;
    await w.sb.dataverse.userDeletes(olga.systemUserId, 'recurringappointmentmaster', s.series.id);
    await w.quiesce();
    for (const name of ['olga', 'alice']) {
      const master = s.masters[name]!;
      const left = w.sb.graph.occurrences(master.user.id, master.itemId, ...window());
      const starts = left.map((o) => Date.parse(String(o.originalStart)));
      expect(starts).toHaveLength(3);
      expect(starts.every((at) => at <= Date.now())).toBe(true);
    }
    const [decision] = (await w.store.decisions.listByRecord(crmRecordKey(s.series), 10)).filter((d) => d.input?.origin === 'crm');
    expect(decision?.outcomes.map((o) => o.status)).toEqual(['done']);
    // Nothing in Outlook was deleted: the series was shortened, not removed.
    expect(w.sb.deleteLog.entries().slice(since).filter((e) => e.side === 'graph')).toEqual([]);
  });

  it('an occurrence linked to nothing is found through the series link and its original start', async () => {
    const w = world();
    const { olga, alice } = w.users;
    const s = await trackedSeries(w, 'Unlinked occurrence', olga, [alice]);
    for (const link of await w.store.links.listByRecord(s.instances[4]!)) await w.store.links.remove(link);
    const target = s.occurrence('olga', 4);
    await w.sb.dataverse.userDeletes(olga.systemUserId, 'appointment', s.instances[4]!.id);
    await w.quiesce();
    expect(w.sb.graph.item(olga.id, 'event', target.itemId)).toBeUndefined();
    expect(w.sb.graph.item(olga.id, 'event', s.masters.olga!.itemId)).toBeDefined();
    expect(w.sb.graph.occurrences(olga.id, s.masters.olga!.itemId, ...window())).toHaveLength(5);
  });

  it('an instance wrongly linked to the series master never cancels the series', async () => {
    const w = world();
    const { olga, alice } = w.users;
    const s = await trackedSeries(w, 'Wrong link', olga, [alice]);
    for (const link of await w.store.links.listByRecord(s.instances[4]!)) await w.store.links.remove(link);
    const master = s.masters.olga!;
    await w.store.links.put({ crm: s.instances[4]!, userId: olga.id, crmUserId: olga.systemUserId, itemKind: 'event', itemId: master.itemId, role: 'organizer', listId: null, source: 'test', updatedAt: new Date().toISOString() });
    await w.sb.dataverse.userDeletes(olga.systemUserId, 'appointment', s.instances[4]!.id);
    await w.quiesce();
    expect(w.sb.graph.item(olga.id, 'event', master.itemId)).toBeDefined();
    expect(w.sb.graph.occurrences(olga.id, master.itemId, ...window())).toHaveLength(6);
    const [decision] = (await w.store.decisions.listByRecord(crmRecordKey(s.instances[4]!), 10)).filter((d) => d.input?.origin === 'crm');
    expect(decision?.ruleId).toBe('crm.occurrence.active.future');
    expect(decision?.outcomes.find((o) => o.targetIndex === 0)).toMatchObject({ status: 'skipped' }); // target 0: the organizer's copy
  });

  it('an organizer who cuts the series back in Outlook deletes no CRM instance (the recurrence changed: not occurrence deletes)', async () => {
    const w = world();
    const { olga, alice } = w.users;
    const s = await trackedSeries(w, 'Cut back', olga, [alice]);
    const before = w.sb.dataverse.instancesOf(s.series.id).length;
    const since = w.sb.deleteLog.entries().length;
    const master = w.sb.graph.item(olga.id, 'event', s.masters.olga!.itemId)!;
    const recurrence = master.recurrence as { pattern: unknown; range: Record<string, unknown> };
    const lastPast = new Date(Date.now() - DAY).toISOString().slice(0, 10);
    w.sb.graph.userUpdatesItem(olga.id, 'event', s.masters.olga!.itemId, { recurrence: { pattern: recurrence.pattern, range: { type: 'endDate', startDate: recurrence.range.startDate, endDate: lastPast } } });
    await w.quiesce();
    expect(w.sb.graph.occurrences(olga.id, s.masters.olga!.itemId, ...window())).toHaveLength(3);
    expect(w.sb.dataverse.instancesOf(s.series.id)).toHaveLength(before);
    expect(w.sb.deleteLog.entries().slice(since).filter((e) => e.side === 'dataverse')).toEqual([]);
  });
});
