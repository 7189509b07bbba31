/** `delete-sync discard [--all | <eventId…>]`: drop held deletes; their decision records say so. */
import type { Command } from 'commander';
import { registerOperatorCommand } from './release.js';

export function register(program: Command): void {
  registerOperatorCommand(program, {
    name: 'discard',
    description: 'Drop deletes held by the mass-delete brake: nothing is deleted, the decision records say discarded.',
    verb: 'Drop',
    run: async (selection, deps) => (await import('../../brake/operator.js')).discardHeld(selection, deps),
    failed: (r) => r.result !== 'discarded',
  });
}
