/**
 * Confirmation for commands that act on everything or remove things (`register --remove`, `release --all`,
 * `discard --all`): `--yes` confirms; otherwise a person at a terminal is asked and must type `yes`; with
 * no terminal (a script, CI) the command refuses rather than guess.
 */
import { createInterface } from 'node:readline/promises';
import { DeleteSyncError } from '../errors.js';

export interface ConfirmIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream;
}

export async function confirm(what: string, yes: boolean, io: ConfirmIo = { input: process.stdin, output: process.stderr }): Promise<void> {
  if (yes) return;
  if (io.input.isTTY !== true) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `${what}: add --yes to confirm (no terminal to ask on)`, { field: '--yes' });
  }
  const rl = createInterface({ input: io.input, output: io.output });
  try {
    const answer = await rl.question(`${what}. Type yes to continue: `);
    if (answer.trim().toLowerCase() !== 'yes') throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `${what}: not confirmed, nothing was done`, { field: '--yes' });
  } finally {
    rl.close();
  }
}
