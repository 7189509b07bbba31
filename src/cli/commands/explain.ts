/** `delete-sync explain <file>`: print the decision for one Dataverse webhook body or Graph notification. */
import type { Command } from 'commander';
import { readJsonFile } from '../../contracts/json-file.js';
import { parseOrThrow } from '../../contracts/validate.js';
import { loadPolicyFile } from '../../app/policy-file.js';
import { DEFAULT_POLICY } from '../../policy/config.js';
import { LookedUp } from '../../policy/facts.js';
import { explain } from '../explain.js';
import { parseInstant } from '../parse-instant.js';

interface ExplainOptions {
  now?: string;
  policy?: string;
  facts?: string;
}

const EXAMPLES = `
Input:
  A Dataverse webhook body (RemoteExecutionContext JSON): the decision uses the pre-image or Target it carries.
  A Graph change-notification collection with one notification: give --facts, a JSON object with what the
  service would look up: {"crmRef", "record" (CRM snapshot), "actor" ({role, userId, crmUserId}), "links"}.

Output: one JSON object on stdout (with or without --json): ruleId, action, reason, targets, followUps, now, event.
--now: an ISO-8601 time; without a zone it is UTC (2024-12-01T09:00 = 09:00Z), never the machine's zone.
Bad input: exit 2 and one line on stderr: delete-sync: <code>: <message> (at <field>).

Examples:
  $ delete-sync explain delete-webhook-appointment.json --now 2024-12-01T00:00:00Z
  $ delete-sync explain notification.json --facts facts.json --policy policy.json`;

export function register(program: Command): void {
  program
    .command('explain')
    .description('Explain what the deletion policy decides for one input, without touching any tenant.')
    .argument('<file>', 'Dataverse webhook body or Graph notification collection (JSON)')
    .option('--now <iso>', 'the time to decide at (ISO-8601; no zone = UTC); default: the current time')
    .option('--policy <file>', 'policy overrides (JSON); default: the table')
    .option('--facts <file>', 'looked-up facts for a Graph notification (JSON)')
    .option('--json', 'JSON output (the default: the explanation is a JSON document)')
    .addHelpText('after', EXAMPLES)
    .action((file: string, options: ExplainOptions) => {
      const now = options.now === undefined ? new Date() : parseInstant(options.now, '--now');
      const policy = options.policy === undefined ? DEFAULT_POLICY : loadPolicyFile(options.policy);
      const lookedUp = options.facts === undefined ? null : parseOrThrow(LookedUp, readJsonFile(options.facts), { what: `facts file ${options.facts}` });
      const explanation = explain({ document: readJsonFile(file), lookedUp, now, policy });
      process.stdout.write(`${JSON.stringify(explanation, null, 2)}\n`);
    });
}
