/** `delete-sync subscriptions`: the stored subscriptions with expiry, renewal time and health. */
import type { Command } from 'commander';
import type { SubscriptionRow } from '../../graph/subscriptions.js';
import { cliContext } from '../program.js';
import { formatTable, openSync, print, SYNC_ENV_HELP } from '../sync-env.js';

export function formatRows(rows: readonly SubscriptionRow[]): string {
  if (rows.length === 0) return 'No subscriptions yet: run delete-sync subscribe.\n';
  return formatTable(
    ['USER', 'KIND', 'SUBSCRIPTION', 'EXPIRES', 'RENEW AT', 'HEALTH', 'DETAIL'],
    rows.map((r) => [r.userId, r.itemKind, r.subscriptionId ?? '-', r.expirationDateTime ?? '-', r.renewAt ?? '-', r.health, r.detail]),
  );
}

const HEALTH = `
Health: ok; renew-due (past half its lifetime: the next run renews it); expired (the next run recreates
it and catches up); failing (the last create or renewal failed; retried every run); blocked (Graph
answered 403: the mailbox's 1,000-subscription quota or the app's access; fix, then subscribe --retry-blocked).`;

export function register(program: Command): void {
  program
    .command('subscriptions')
    .description('List the Graph subscriptions the service keeps, with expiry and health.')
    .option('--json', 'print the rows as JSON')
    .addHelpText('after', `${HEALTH}\n${SYNC_ENV_HELP}`)
    .action(async (options: { json?: boolean }, command: Command) => {
      const rows = await (await openSync(cliContext(command))).sync.subscriptions();
      print(options.json, rows, () => formatRows(rows));
    });
}
