/**
 * The `delete-sync` program shell: help, usage errors and coded errors, so every subcommand answers
 * alike: its result on stdout, or exactly one line on stderr: exit 2 for bad input, 1 when a service it
 * called failed or something broke.
 */
import { Command, CommanderError } from 'commander';
import { isDeleteSyncError, type ErrorCode } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

/** Failures of a service the command called (Dataverse, storage) or of the command itself, not of what the user typed: exit 1. */
const NOT_INPUT_CODES: ReadonlySet<ErrorCode> = new Set(['DS_ERR_UPSTREAM', 'DS_ERR_THROTTLED', 'DS_ERR_STORAGE_UNAVAILABLE', 'DS_ERR_UNAUTHORIZED', 'DS_ERR_FORBIDDEN', 'DS_ERR_INTERNAL']);

export function createProgram(): Command {
  return new Command('delete-sync')
    .description('Keeps deletions between Dynamics 365 / Dataverse (CRM) and Outlook / Exchange Online correct for every tracked record.')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ outputError: () => undefined });
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
    const { line, exitCode } = describeFailure(error);
    process.stderr.write(`${line}\n`);
    return exitCode;
  }
}
