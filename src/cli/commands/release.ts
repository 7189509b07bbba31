/** `delete-sync release [--all | <eventId…>]`: perform held deletes through the executor. */
import type { Command } from 'commander';
import { releaseHeld, type Selection } from '../../brake/operator.js';
import { DeleteSyncError } from '../../errors.js';
import { operatorDepsFromEnv } from './held.js';

/** Exactly one of: some event ids, or --all. */
export function selectionOf(ids: string[], options: { all?: boolean }): Selection {
  if (options.all === true && ids.length > 0) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Give event ids or --all, not both', { field: 'eventIds' });
  }
  if (options.all === true) return { all: true };
  if (ids.length === 0) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Name the held deletes (event ids) or use --all', { field: 'eventIds' });
  return { ids };
}

export function register(program: Command): void {
  program
    .command('release')
    .description('Perform deletes held by the mass-delete brake (each recorded in its decision record).')
    .argument('[eventIds...]', 'held deletes to release (see delete-sync held)')
    .option('--all', 'release every held delete')
    .action(async (ids: string[], options: { all?: boolean }) => {
      const results = await releaseHeld(selectionOf(ids, options), operatorDepsFromEnv());
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    });
}
