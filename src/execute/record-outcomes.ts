/**
 * The executor's outcomes in the decision record's shape (src/store/decisions.ts): one row per decision
 * target. Follow-up work (contact comeback) has no target index and is not part of that list; `pending`
 * has no status there because the processor must not settle the record — it lets the message be retried
 * (see `hasPending`) and, after the last try, poisons it with these outcomes. A CRM skip that carries
 * Dataverse's code is the deleting user's refusal: `denied`.
 */
import type { TargetOutcome as RecordOutcome } from '../store/decisions.js';
import type { TargetOutcome } from './outcome.js';

const STATUS: Record<TargetOutcome['status'], RecordOutcome['status']> = {
  deleted: 'done',
  canceled: 'done',
  ended: 'done',
  'already-gone': 'already-gone',
  'not-found': 'skipped',
  skipped: 'skipped',
  planned: 'dry-run',
  failed: 'failed',
  pending: 'failed',
  restored: 'done',
  remembered: 'done',
};

export function toRecordOutcomes(outcomes: readonly TargetOutcome[]): RecordOutcome[] {
  return outcomes.flatMap((o) =>
    o.targetIndex === null
      ? []
      : [
          {
            targetIndex: o.targetIndex,
            status: o.side === 'crm' && o.status === 'skipped' && o.code !== null ? 'denied' : STATUS[o.status],
            httpStatus: o.httpStatus,
            code: o.code,
            detail: o.status === 'pending' ? `pending: ${o.detail}` : o.detail,
            at: o.at,
            attempts: o.attempts,
          },
        ],
  );
}
