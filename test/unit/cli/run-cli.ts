/**
 * One `delete-sync` command through the real program shell (every command registered, as bin/ does),
 * in this process: exactly the given settings in the environment (nothing of the runner's leaks in),
 * stdout and stderr captured, the exit code runCli answers.
 */
import { vi } from 'vitest';
import { register as registerBackfill } from '../../../src/cli/commands/backfill.js';
import { register as registerDecisions } from '../../../src/cli/commands/decisions.js';
import { register as registerDiscard } from '../../../src/cli/commands/discard.js';
import { register as registerExplain } from '../../../src/cli/commands/explain.js';
import { register as registerHeld } from '../../../src/cli/commands/held.js';
import { register as registerRegister } from '../../../src/cli/commands/register.js';
import { register as registerRelease } from '../../../src/cli/commands/release.js';
import { register as registerSubscribe } from '../../../src/cli/commands/subscribe.js';
import { register as registerSubscriptions } from '../../../src/cli/commands/subscriptions.js';
import { createProgram, runCli } from '../../../src/cli/program.js';
import { SETTING_NAMES } from '../../../src/config.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Every setting the service and the CLI read; unset unless the test gives it. */
const READ = [...SETTING_NAMES, 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'AZURE_AUTHORITY_HOST', 'DELETE_SYNC_ENV_FILE'];

export async function runCommand(env: Record<string, string>, ...args: string[]): Promise<CliRun> {
  const program = createProgram();
  for (const register of [registerExplain, registerRegister, registerHeld, registerRelease, registerDiscard, registerSubscribe, registerSubscriptions, registerBackfill, registerDecisions]) register(program);
  for (const name of READ) vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const out = { stdout: '', stderr: '' };
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out.stdout += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((out.stderr += String(chunk)), true));
  try {
    return { code: await runCli(program, ['node', 'delete-sync', ...args]), ...out };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    vi.unstubAllEnvs();
  }
}
