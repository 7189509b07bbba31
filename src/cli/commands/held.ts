/** `delete-sync held`: list the deletes the mass-delete brake is holding, oldest first. */
import type { Command } from 'commander';
import type { MassDeleteBrake } from '../../brake/brake.js';
import { cliContext } from '../program.js';
import { formatTable, operatorDeps, print, SYNC_ENV_HELP } from '../sync-env.js';

export async function listHeld(brake: MassDeleteBrake) {
  return (await brake.held.list()).map(({ event: _event, ...summary }) => summary);
}

type HeldSummary = Awaited<ReturnType<typeof listHeld>>[number];

export function formatHeld(held: readonly HeldSummary[]): string {
  if (held.length === 0) return 'Nothing is held.\n';
  return formatTable(
    ['EVENT', 'HELD AT', 'LIMIT', 'INITIATOR', 'RULE', 'RECORD', 'TARGETS'],
    held.map((h) => [h.eventId, h.heldAt, h.limit, h.initiator, h.ruleId, h.recordKey, String(h.targetCount)]),
  );
}

export function register(program: Command): void {
  program
    .command('held')
    .description('List the propagated deletes the mass-delete brake is holding, oldest first.')
    .option('--json', 'print them as JSON')
    .addHelpText('after', `\nThen: delete-sync release <eventId…> | --all, or delete-sync discard <eventId…> | --all.\n${SYNC_ENV_HELP}`)
    .action(async (options: { json?: boolean }, command: Command) => {
      const { brake } = await operatorDeps(cliContext(command), { execute: false });
      const held = await listHeld(brake);
      print(options.json, held, () => formatHeld(held));
    });
}
