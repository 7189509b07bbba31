/**
 * Policy overrides, from a JSON file validated at start-up. Defaults are the table. An override may
 * turn a propagating rule into `skip`, never the reverse: a row where the table keeps the record
 * (emails, inactive records, attendee deletes, the owner's contact, unknown state) cannot become a
 * delete, because a wrong delete is data loss.
 */
import { z } from 'zod';
import { parseOrThrow } from '../contracts/validate.js';
import { RULE_IDS, isForbiddenToPropagate, type RuleId } from './table.js';
import { Action } from './types.js';

export const RuleOverride = z.strictObject({ action: Action });

export const PolicyConfig = z
  .strictObject({
    /** Per-rule overrides, keyed by rule id. */
    rules: z.partialRecord(z.enum(RULE_IDS), RuleOverride).default({}),
    /** What happens to the organizer's copy of a meeting deleted in CRM: delete it, or cancel it (Exchange notifies attendees). */
    organizerMeetingMethod: z.enum(['delete', 'cancel']).default('delete'),
    /** Microsoft's server-side sync refinement: an organizer's Outlook delete of a meeting that already started stays in CRM. */
    outlookOrganizerDeleteRequiresFutureStart: z.boolean().default(false),
    /** An organizer's Outlook delete of a whole series keeps the CRM series when any occurrence has started (deleting the CRM master deletes its past instances too). */
    keepSeriesWithPastOccurrences: z.boolean().default(false),
  })
  .superRefine((config, context) => {
    for (const [id, override] of Object.entries(config.rules) as [RuleId, z.infer<typeof RuleOverride> | undefined][]) {
      if (override?.action === 'propagate' && isForbiddenToPropagate(id)) {
        context.addIssue({
          code: 'custom',
          path: ['rules', id, 'action'],
          message: `rule ${id} keeps the record by the table and cannot be set to propagate (a wrong delete is data loss)`,
        });
      }
    }
  });

export type PolicyConfig = z.output<typeof PolicyConfig>;

export const DEFAULT_POLICY: PolicyConfig = PolicyConfig.parse({});

/** Validates an already parsed policy document; `source` names it in the message. */
export function parsePolicyConfig(value: unknown, source = 'policy'): PolicyConfig {
  return parseOrThrow(PolicyConfig, value, { code: 'DS_ERR_POLICY_FILE', what: source });
}
