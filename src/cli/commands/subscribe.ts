/** `delete-sync subscribe`: what the subscription timer does, now — create, renew, recreate and remove. */
import type { Command } from 'commander';
import type { SubscriptionOutcome } from '../../graph/subscriptions.js';
import { formatTable, openSync, SYNC_ENV_HELP } from '../sync-env.js';

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
    .addHelpText('after', SYNC_ENV_HELP)
    .action(async (options: { retryBlocked?: boolean; json?: boolean }) => {
      const outcomes = await openSync().sync.checkSubscriptions({ retryBlocked: options.retryBlocked === true });
      process.stdout.write(options.json ? `${JSON.stringify(outcomes, null, 2)}\n` : formatOutcomes(outcomes));
    });
}
