/** The policy file named by POLICY_FILE (or `explain --policy`): read here, validated by the policy's schema. */
import { readJsonFile } from '../contracts/json-file.js';
import { parsePolicyConfig, type PolicyConfig } from '../policy/config.js';

export function loadPolicyFile(path: string): PolicyConfig {
  return parsePolicyConfig(readJsonFile(path, 'DS_ERR_POLICY_FILE'), `policy file ${path}`);
}
