/**
 * Every row of the deletion table, both directions, end to end: a person deletes in the sandbox (CRM
 * UI or Outlook), the sandbox fires the webhook or Graph notification at the service over HTTP, the
 * receiver queues it in Azurite, the worker decides and executes against the sandbox. Asserted: the
 * final state of both sides, the rule of the recorded decision, one decision for the delete, nothing
 * deleted but the row's own record and copies, nothing deleted twice, nothing poisoned.
 */
import { describe, it } from 'vitest';
import { SCENARIOS } from '../../demo/scenarios.js';
import { expectRowAsTable, useWorld } from '../helpers/e2e-world.js';

const world = useWorld();

describe('deletion table, end to end', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.row}, ${scenario.direction}: ${scenario.action}`, async () => {
      const w = world();
      const since = w.sb.deleteLog.entries().length;
      await expectRowAsTable(w, scenario, await scenario.play(w), since);
    });
  }
});
