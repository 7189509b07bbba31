/** `delete-sync release [--all | <eventId…>]`: perform held deletes through the executor. */
import type { Command } from 'commander';
import type { MassDeleteBrake } from '../../brake/brake.js';
import type { OperatorResult, Selection } from '../../brake/operator.js';
import { DeleteSyncError } from '../../errors.js';
import { confirm } from '../confirm.js';
import { cliContext, CommandExit, EXIT_INTERNAL } from '../program.js';
import { formatTable, operatorDeps, print, SYNC_ENV_HELP } from '../sync-env.js';

/** Exactly one of: some event ids, or --all. */
export function selectionOf(ids: string[], options: { all?: boolean }): Selection {
  if (options.all === true && ids.length > 0) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Give event ids or --all, not both', { field: 'eventIds' });
  }
  if (options.all === true) return { all: true };
  if (ids.length === 0) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Name the held deletes (event ids) or use --all', { field: 'eventIds' });
  return { ids };
}

/** Every named id must be held: a typo must not leave the others half done. Nothing is changed before this. */
export async function checkHeld(selection: Selection, brake: MassDeleteBrake): Promise<number> {
  if ('all' in selection) return (await brake.held.list()).length;
  const missing = [];
  for (const id of selection.ids) if ((await brake.held.get(id)) === null) missing.push(id);
  if (missing.length > 0) {
    throw new DeleteSyncError('DS_ERR_NOT_FOUND', `not held (see delete-sync held): ${missing.join(', ')}; nothing was done`, { field: 'eventIds' });
  }
  return selection.ids.length;
}

export function formatResults(results: readonly OperatorResult[]): string {
  if (results.length === 0) return 'Nothing is held.\n';
  return formatTable(['EVENT', 'RESULT', 'DECISION STATUS'], results.map((r) => [r.eventId, r.result, r.status ?? '-']));
}

export interface OperatorCommand {
  name: 'release' | 'discard';
  description: string;
  verb: string;
  run(selection: Selection, deps: Awaited<ReturnType<typeof operatorDeps>>): Promise<OperatorResult[]>;
  /** Results that mean the work did not happen as asked (exit 1). */
  failed(result: OperatorResult): boolean;
}

/** release and discard: the same selection, check, confirmation and answer. */
export function registerOperatorCommand(program: Command, spec: OperatorCommand): void {
  program
    .command(spec.name)
    .description(spec.description)
    .argument('[eventIds...]', `held deletes to ${spec.name} (see delete-sync held)`)
    .option('--all', `${spec.name} every held delete (asks first; --yes to confirm without asking)`)
    .option('--yes', 'confirm --all without being asked')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', `\nExit codes: 0 done; 1 some ${spec.name} did not succeed (see the results); 2 bad usage or an id that is not held (nothing done).\n${SYNC_ENV_HELP}`)
    .action(async (ids: string[], options: { all?: boolean; yes?: boolean; json?: boolean }, command: Command) => {
      const selection = selectionOf(ids, options);
      const deps = await operatorDeps(cliContext(command), { execute: spec.name === 'release' });
      const count = await checkHeld(selection, deps.brake);
      if ('all' in selection && count > 0) await confirm(`${spec.verb} all ${count} held delete(s)`, options.yes === true);
      const results = await spec.run(selection, deps);
      print(options.json, results, () => formatResults(results));
      const failed = results.filter(spec.failed);
      if (failed.length > 0) throw new CommandExit(EXIT_INTERNAL, `${failed.length} of ${results.length} not ${spec.name}d as asked: ${failed.map((r) => r.eventId).join(', ')}`);
    });
}

export function register(program: Command): void {
  registerOperatorCommand(program, {
    name: 'release',
    description: 'Perform deletes held by the mass-delete brake (each recorded in its decision record).',
    verb: 'Perform',
    run: async (selection, deps) => (await import('../../brake/operator.js')).releaseHeld(selection, deps),
    // Released means executed: a record left decided (nothing performed) or failed is not a success.
    failed: (r) => r.result !== 'released' || r.status !== 'executed',
  });
}
