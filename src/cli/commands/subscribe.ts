/** `delete-sync subscribe`: what the subscription timer does, now — create, renew, recreate and remove. */
import type { Command } from 'commander';
import type { SubscriptionOutcome } from '../../graph/subscriptions.js';
import { cliContext, CommandExit, EXIT_INTERNAL } from '../program.js';
import { formatTable, openSync, print, SYNC_ENV_HELP } from '../sync-env.js';

export function formatOutcomes(outcomes: readonly SubscriptionOutcome[]): string {
  const rows = outcomes.map((o) => [o.userId, o.itemKind, o.action, o.subscriptionId ?? '-', o.detail]);
  const count = (action: SubscriptionOutcome['action']) => outcomes.filter((o) => o.action === action).length;
  const summary = (['created', 'renewed', 'recreated', 'kept', 'removed', 'blocked', 'failed'] as const)
    .map((a) => `${count(a)} ${a}`)
    .join(', ');
  return `${formatTable(['USER', 'KIND', 'ACTION', 'SUBSCRIPTION', 'DETAIL'], rows)}${summary}\n`;
}

export function register(program: Command): void {
  program
    .command('subscribe')
    .description('Create, renew or recreate the Graph subscriptions of the synced mailboxes now (the timer does the same every run).')
    .option('--retry-blocked', 'also try mailboxes recorded as blocked (subscription quota or permission), after fixing the cause')
    .option('--json', 'print the outcomes as JSON')
    .addHelpText('after', `\nExit codes: 0 every mailbox subscribed; 1 a subscription failed or a mailbox is blocked (see DETAIL); 2 bad settings.\n${SYNC_ENV_HELP}`)
    .action(async (options: { retryBlocked?: boolean; json?: boolean }, command: Command) => {
      const { sync } = await openSync(cliContext(command));
      const outcomes = await sync.checkSubscriptions({ retryBlocked: options.retryBlocked === true });
      print(options.json, outcomes, () => formatOutcomes(outcomes));
      const bad = outcomes.filter((o) => o.action === 'failed' || o.action === 'blocked');
      if (bad.length > 0) throw new CommandExit(EXIT_INTERNAL, `${bad.length} of ${outcomes.length} subscriptions failed or blocked`);
    });
}
