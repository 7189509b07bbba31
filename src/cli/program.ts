/**
 * The `delete-sync` program shell: help, version, the options every command shares, usage errors and
 * coded errors, so every subcommand answers alike: its result on stdout (a table, or JSON with --json),
 * or exactly one line on stderr. Exit codes: 0 done; 1 a service the command called failed, or some of
 * the work did not succeed (the output says which); 2 bad usage, input or settings; 130 interrupted.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { DeleteSyncError, isDeleteSyncError, type ErrorCode } from '../errors.js';
import { loadSettings } from '../settings-file.js';
import { DEFAULT_TIMEOUT_SECONDS } from './sign-in.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERRUPTED = 130;

/** Failures of a service the command called (Dataverse, storage) or of the command itself, not of what the user typed: exit 1. */
const NOT_INPUT_CODES: ReadonlySet<ErrorCode> = new Set(['DS_ERR_UPSTREAM', 'DS_ERR_THROTTLED', 'DS_ERR_STORAGE_UNAVAILABLE', 'DS_ERR_UNAUTHORIZED', 'DS_ERR_FORBIDDEN', 'DS_ERR_INTERNAL']);

/** A command that printed its result but did not fully succeed: this exit code, and optionally one stderr line. */
export class CommandExit extends Error {
  constructor(
    readonly exitCode: number,
    readonly line?: string,
  ) {
    super(line ?? `exit ${exitCode}`);
  }
}

/** The package's version, from the package.json above this file (src/cli or dist/src/cli). */
function packageVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'crm-outlook-delete-sync' && pkg.version) return pkg.version;
    }
  }
  return 'unknown';
}

export function createProgram(): Command {
  return new Command('delete-sync')
    .description('Keeps deletions between Dynamics 365 / Dataverse (CRM) and Outlook / Exchange Online correct for every tracked record.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .option('--env-file <path>', 'read settings from this file (NAME=value lines); default: DELETE_SYNC_ENV_FILE, else ./.env when present')
    .addOption(new Option('--timeout <seconds>', 'longest wait for any sign-in or network answer').default(String(DEFAULT_TIMEOUT_SECONDS)))
    .option('--verbose', 'log what the command does on stderr (info level; the default is warnings only)')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
}

/** What every command reads from the options shared on the program. */
export interface CliContext {
  /** The environment plus the settings file (src/settings-file.ts), as `npm start` reads it. */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  verbose: boolean;
}

export function cliContext(command: Command): CliContext {
  const globals = command.optsWithGlobals<{ envFile?: string; timeout: string; verbose?: boolean }>();
  const seconds = Number(globals.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', '--timeout must be a number of seconds above 0, at most 3600', { field: '--timeout' });
  }
  return { env: loadSettings({ file: globals.envFile }).env, timeoutMs: Math.round(seconds * 1000), verbose: globals.verbose === true };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Formats an error as the single stderr line and chooses the exit code. */
export function describeFailure(error: unknown): { line: string; exitCode: number } {
  if (isDeleteSyncError(error)) {
    const at = error.field === undefined ? '' : ` (at ${error.field})`;
    return { line: `delete-sync: ${error.code}: ${oneLine(error.message)}${at}`, exitCode: NOT_INPUT_CODES.has(error.code) ? EXIT_INTERNAL : EXIT_BAD_INPUT };
  }
  if (error instanceof CommanderError) {
    return { line: `delete-sync: usage: ${oneLine(error.message.replace(/^error: /, ''))}`, exitCode: EXIT_BAD_INPUT };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: `delete-sync: DS_ERR_INTERNAL: ${oneLine(message)}`, exitCode: EXIT_INTERNAL };
}

/** Runs the program; returns the process exit code instead of exiting, so output is flushed first. */
export async function runCli(program: Command, argv: readonly string[]): Promise<number> {
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    // Help and --version end the parse through exitOverride with their own (zero) exit code.
    if (error instanceof CommanderError && error.exitCode === 0) return EXIT_OK;
    // No subcommand: commander has already printed the help to stderr.
    if (error instanceof CommanderError && error.code === 'commander.help') return EXIT_BAD_INPUT;
    if (error instanceof CommandExit) {
      if (error.line !== undefined) process.stderr.write(`delete-sync: ${error.line}\n`);
      return error.exitCode;
    }
    const { line, exitCode } = describeFailure(error);
    process.stderr.write(`${line}\n`);
    return exitCode;
  }
}
