/**
 * `delete-sync decisions [--record entity:id | --item user:item]`: the decision trail, newest first, read
 * from the service's storage (what GET /api/decisions answers, without the admin key or the host).
 */
import type { Command } from 'commander';
import { DeleteSyncError } from '../../errors.js';
import { crmRecordKey, outlookItemKey, type DecisionRecord } from '../../store/decisions.js';
import { cliContext } from '../program.js';
import { formatTable, openStore, print, SYNC_ENV_HELP } from '../sync-env.js';

const MAX_LIMIT = 500;

interface DecisionsOptions {
  record?: string;
  item?: string;
  limit: string;
  json?: boolean;
}

/** The record key to look under: a CRM record (entity:id), or an Outlook item linked to nothing (user:item). */
export function recordKeyOf(options: Pick<DecisionsOptions, 'record' | 'item'>): string | null {
  if (options.record !== undefined && options.item !== undefined) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Give --record or --item, not both', { field: '--record' });
  if (options.record !== undefined) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*):([^:\s]+)$/.exec(options.record.trim());
    if (match === null) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', '--record must be entity:id, e.g. appointment:<guid>', { field: '--record' });
    return crmRecordKey({ entity: match[1]!, id: match[2]! });
  }
  if (options.item !== undefined) {
    const colon = options.item.indexOf(':');
    if (colon <= 0 || colon === options.item.length - 1) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', '--item must be <user object id>:<item id>', { field: '--item' });
    return outlookItemKey(options.item.slice(0, colon), options.item.slice(colon + 1));
  }
  return null;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `--limit must be a whole number from 1 to ${MAX_LIMIT}`, { field: '--limit' });
  return n;
}

export function formatDecisions(decisions: readonly DecisionRecord[]): string {
  if (decisions.length === 0) return 'No decisions.\n';
  return formatTable(
    ['DECIDED AT', 'STATUS', 'RULE', 'ACTION', 'RECORD', 'ORIGIN', 'OUTCOMES', 'EVENT'],
    decisions.map((d) => [
      d.decidedAt,
      d.status,
      d.ruleId,
      d.action,
      d.recordKey,
      d.input?.origin ?? '-',
      d.outcomes.map((o) => o.status).join(',') || '-',
      d.id,
    ]),
  );
}

export function register(program: Command): void {
  program
    .command('decisions')
    .description('Show the decision trail, newest first: all decisions, or those about one CRM record or Outlook item.')
    .option('--record <entity:id>', 'one CRM record, e.g. appointment:<guid>')
    .option('--item <user:item>', 'one Outlook item that was linked to no CRM record (<user object id>:<item id>)')
    .option('--limit <n>', `at most n decisions (1–${MAX_LIMIT})`, '50')
    .option('--json', 'print the full decision records (facts, targets, outcomes) as JSON')
    .addHelpText('after', `\nEach decision: the rule (src/policy/table.ts), the action, and what happened to each target.\n${SYNC_ENV_HELP}`)
    .action(async (options: DecisionsOptions, command: Command) => {
      const key = recordKeyOf(options);
      const limit = parseLimit(options.limit);
      const store = await openStore(cliContext(command));
      const decisions = key === null ? await store.decisions.listRecent(limit) : await store.decisions.listByRecord(key, limit);
      print(options.json, decisions, () => formatDecisions(decisions));
    });
}
