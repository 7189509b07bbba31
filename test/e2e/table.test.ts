/**
 * Every row of the deletion table, both directions, end to end: a person deletes in the sandbox (CRM
 * UI or Outlook), the sandbox fires the webhook or Graph notification at the service over HTTP, the
 * receiver queues it in Azurite, the worker decides and executes against the sandbox. Asserted: the
 * final state of both sides, the rule of the recorded decision, and that nothing was deleted twice.
 */
import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../demo/scenarios.js';
import { useWorld } from '../helpers/e2e-world.js';

const world = useWorld();

describe('deletion table, end to end', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.row}, ${scenario.direction}: ${scenario.action}`, async () => {
      const observed = await scenario.play(world());
      const { ruleId, ...state } = scenario.expected;
      expect({ crm: observed.crm, outlook: observed.outlook }).toEqual(state);
      expect(observed.ruleId).toBe(ruleId);
      expect(world().sb.deleteLog.deletedTwice()).toEqual([]);
    });
  }
});
