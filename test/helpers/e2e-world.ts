/**
 * One world (Azurite + tenant sandbox + the service over HTTP) per end-to-end test file: started before
 * the file's tests, stopped after. Scenarios make their own records, so tests in a file do not collide.
 */
import { expect } from 'vitest';
import type { Observed, Scenario } from '../../demo/scenarios.js';
import { startWorld, type World, type WorldOptions } from '../../demo/world.js';
import { conformanceProblems, recordDataverse } from '../conformance/dataverse.js';
import { graphConformance } from '../conformance/graph-calls.js';
import { usePerFile } from './per-file.js';

/**
 * The world for one file. Every Dataverse call the service makes in it is recorded and, when the file
 * ends, checked against the pinned table reference (test/conformance/dataverse.ts): a violation, or a
 * call to a table with no pinned extract, fails the file. Every Graph call its sandbox answers is checked
 * against the Graph v1.0 metadata (test/conformance/graph-metadata.ts): a violation fails the file too.
 */
export function useWorld(options: WorldOptions = {}): () => World {
  let dataverse: ReturnType<typeof recordDataverse> | undefined;
  const graph = graphConformance();
  const onSandbox: WorldOptions['onSandbox'] = (sb) => {
    dataverse = recordDataverse(sb.dataverse);
    sb.graph.record(graph.record);
    options.onSandbox?.(sb);
  };
  return usePerFile('the world', () => startWorld({ ...options, onSandbox }), async (world) => {
    const report = dataverse?.report();
    await world.close();
    expect(report ? conformanceProblems(report) : ['no Dataverse recording'], 'Dataverse calls the real service would refuse, type otherwise, or that went unchecked').toEqual([]);
    expect(graph.checked, 'Graph calls checked').toBeGreaterThan(0);
    expect(graph.violations, 'Graph calls the v1.0 metadata does not allow').toEqual([]);
  });
}

/**
 * What a played table row must end as: both sides as the table says, the rule it names, exactly one
 * decision for the triggering delete (none where the table expects none), no delete of anything but the
 * play's own record and copies since the `since`-th delete-log entry, nothing deleted twice, nothing poisoned.
 */
export async function expectRowAsTable(w: World, scenario: Scenario, observed: Observed, since: number): Promise<void> {
  const { ruleId, ...state } = scenario.expected;
  expect({ crm: observed.crm, outlook: observed.outlook }).toEqual(state);
  expect(observed.ruleId).toBe(ruleId);

  const { decision, tracked } = observed;
  const same = decision === null ? [] : (await w.store.decisions.listByRecord(decision.recordKey, 100)).filter((d) => d.input?.eventId === decision.input?.eventId);
  expect(same, 'one decision per real delete').toHaveLength(ruleId === null ? 0 : 1);

  const key = (side: string, scope: string, id: string) => `${side}|${scope}|${id}`.toLowerCase();
  const own = new Set([key('dataverse', tracked.ref.entity, tracked.ref.id), ...Object.values(tracked.copies).map((c) => key('graph', c.user.id, c.itemId))]);
  const others = w.sb.deleteLog.entries().slice(since).filter((r) => r.status < 300 && !own.has(key(r.side, r.scope, r.id)));
  expect(others, 'deleted something the row does not touch').toEqual([]);
  expect(w.sb.deleteLog.deletedTwice()).toEqual([]);
  expect(await w.poisoned()).toBe(0);
}
