/**
 * `delete-sync backfill [--user …]`: links for the items already in the synced mailboxes, with a progress
 * bar (stderr) and a summary (stdout). Safe to rerun; an interrupted run resumes where it stopped.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { DeleteSyncError } from '../../errors.js';
import type { BackfillSummary } from '../../links/backfill.js';
import type { ImportSummary } from '../../links/import-mappings.js';
import { cliContext, CommandExit, EXIT_INTERRUPTED } from '../program.js';
import { openSync, print, SYNC_ENV_HELP } from '../sync-env.js';

interface BackfillOptions {
  user: string[];
  maxItems?: string;
  importMappings?: boolean;
  json?: boolean;
}

const ABOUT = `
What it does: reads the events, contacts and messages of each mailbox (the synced ones, or --user) and
links every item that matches a CRM record (CRM-id stamp, meeting iCalUId = appointment globalobjectid,
internetMessageId = email messageid). Progress is stored per mailbox and kind: an interrupted run
(Ctrl+C, --max-items, a failure) resumes where it stopped; after a finished run the next is a fresh pass.
--import-mappings first imports server-side sync's exchangesyncidmappings (only rows changed since the last import).
Exit codes: 0 done or stopped at --max-items; 130 interrupted (Ctrl+C; the next run resumes); 1 a service failed; 2 bad usage.`;

function parseMaxItems(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', '--max-items must be a whole number above 0', { field: '--max-items' });
  return n;
}

export function formatSummary(summary: BackfillSummary, imported: ImportSummary | null): string {
  const lines = [
    ...(imported === null ? [] : [`imported mappings: ${imported.rows} rows, ${imported.linked} linked, ${imported.unchanged} unchanged, ${imported.skipped} skipped`]),
    `items read: ${summary.processed} (${summary.linked} linked, ${summary.unchanged} already linked, ${summary.unmatched} not in CRM)`,
    `mailbox kinds done: ${summary.scopesDone} of ${summary.scopesTotal}${summary.resumed ? ' (resumed)' : ''}`,
    summary.complete ? 'complete' : 'stopped early: run again to resume',
  ];
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('backfill')
    .description('Link the items that already exist in the synced mailboxes to their CRM records (resumable).')
    .option('--user <id...>', 'only these mailboxes (object ids); default: the synced ones', [])
    .option('--max-items <n>', 'stop after n items (the next run resumes)')
    .option('--import-mappings', "also import server-side sync's exchangesyncidmappings first")
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', `${ABOUT}\n${SYNC_ENV_HELP}`)
    .action(async (options: BackfillOptions, command: Command) => {
      const maxItems = parseMaxItems(options.maxItems);
      const { sync } = await openSync(cliContext(command));
      const imported = options.importMappings ? await sync.importMappings() : null;
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      const bar = new SingleBar({ format: 'backfill {bar} {value}/{total} mailbox kinds | {items} items, {linked} linked', stream: process.stderr }, Presets.shades_classic);
      let started = false;
      let summary: BackfillSummary;
      try {
        summary = await sync.backfill({
          ...(options.user.length > 0 ? { userIds: options.user } : {}),
          ...(maxItems === undefined ? {} : { maxItems }),
          signal: abort.signal,
          onProgress: (p) => {
            if (!started) bar.start(p.scopesTotal, 0, { items: 0, linked: 0 });
            started = true;
            bar.update(p.scopesDone, { items: p.processed, linked: p.linked });
          },
        });
      } finally {
        bar.stop();
        process.off('SIGINT', stop);
      }
      print(options.json, { imported, ...summary }, () => formatSummary(summary, imported));
      if (abort.signal.aborted) throw new CommandExit(EXIT_INTERRUPTED, 'interrupted: run backfill again to resume');
    });
}
