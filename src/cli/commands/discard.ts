/** `delete-sync discard [--all | <eventId…>]`: drop held deletes; their decision records say so. */
import type { Command } from 'commander';
import { discardHeld } from '../../brake/operator.js';
import { operatorDepsFromEnv } from './held.js';
import { selectionOf } from './release.js';

export function register(program: Command): void {
  program
    .command('discard')
    .description('Drop deletes held by the mass-delete brake: nothing is deleted, the decision records say discarded.')
    .argument('[eventIds...]', 'held deletes to discard (see delete-sync held)')
    .option('--all', 'discard every held delete')
    .action(async (ids: string[], options: { all?: boolean }) => {
      const results = await discardHeld(selectionOf(ids, options), operatorDepsFromEnv());
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    });
}
