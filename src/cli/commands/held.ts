/** `delete-sync held`: list the deletes the mass-delete brake is holding, oldest first. */
import type { Command } from 'commander';
import type { MassDeleteBrake } from '../../brake/brake.js';
import type { OperatorDeps } from '../../brake/operator.js';
import { loadConfig } from '../../config.js';
import { createCliService } from '../sync-env.js';

/** The service as the hosts build it (store, brake, executor) from the environment; logs go to stderr. */
export function operatorDepsFromEnv(env: NodeJS.ProcessEnv = process.env): OperatorDeps {
  const config = loadConfig(env);
  return createCliService(config, env).runtime.operator;
}

export async function listHeld(brake: MassDeleteBrake) {
  return (await brake.held.list()).map(({ event: _event, ...summary }) => summary);
}

export function register(program: Command): void {
  program
    .command('held')
    .description('List the propagated deletes the mass-delete brake is holding (JSON, oldest first).')
    .addHelpText('after', '\nThen: delete-sync release <eventId…> | --all, or delete-sync discard <eventId…> | --all.')
    .action(async () => {
      const { brake } = operatorDepsFromEnv();
      process.stdout.write(`${JSON.stringify(await listHeld(brake), null, 2)}\n`);
    });
}
