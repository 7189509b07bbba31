/**
 * decide(): facts in, decision out. Pure: no I/O and no clock but `now`. An override can only lower a
 * rule from propagate to skip; nothing here can raise a skip row, whatever the configuration says.
 */
import { DEFAULT_POLICY, type PolicyConfig } from './config.js';
import { selectRule } from './select-rule.js';
import { ruleById } from './table.js';
import { planFor } from './targets.js';
import type { Decision, Facts } from './types.js';

export function decide(facts: Facts, now: Date, policy: PolicyConfig = DEFAULT_POLICY): Decision {
  const ruleId = selectRule(facts, now, policy);
  const rule = ruleById(ruleId);
  const overridden = rule.action === 'propagate' && policy.rules[ruleId]?.action === 'skip';
  if (overridden) {
    return { ruleId, action: 'skip', reason: `${rule.reason} Policy override: rule ${ruleId} is set to skip.`, targets: [], followUps: [] };
  }
  const plan = planFor(ruleId, facts, policy);
  return {
    ruleId,
    action: rule.action,
    reason: [rule.reason, ...plan.notes].join(' '),
    targets: rule.action === 'propagate' ? plan.targets : [],
    followUps: plan.followUps,
  };
}
