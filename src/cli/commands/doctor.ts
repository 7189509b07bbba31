/**
 * `delete-sync doctor`: checks a deployment against the tenant it points at (or the tenant sandbox)
 * and prints one line per check with its fix; a failed check ends it with one coded line on stderr
 * and a non-zero exit. The checks are in ../doctor-checks.ts.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config.js';
import { DeleteSyncError } from '../../errors.js';
import type { CheckResult } from '../doctor-checks.js';
import { cliContext } from '../program.js';
import { createCliService, print, SYNC_ENV_HELP } from '../sync-env.js';

const ABOUT = `
Checks, in order: sign-in (Graph and Dataverse tokens); each Graph application role the service uses,
from the token's roles claim; the Dataverse application user, its privileges and their depth
(RetrieveUserPrivileges) and impersonation of a synced user (WhoAmI with CallerObjectId); the webhook
endpoint, steps and pre-images (as delete-sync register would leave them); the stored subscriptions'
health; and PUBLIC_BASE_URL's notification and lifecycle URLs answering Graph's validation handshake.
Exit codes: 0 every check passed, 2 a check failed or the configuration is incomplete (DS_ERR_CONFIG).`;

export function formatResults(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.check.length));
  const lines = results.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.check.padEnd(width)}  ${r.detail}${r.fix ? ` — fix: ${r.fix}` : ''}`);
  const failed = results.filter((r) => !r.ok).length;
  lines.push(failed === 0 ? `All ${results.length} checks passed.` : `${failed} of ${results.length} checks failed.`);
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  program
    .command('doctor')
    .description('Check sign-in, Graph roles, Dataverse privileges, webhook registration, subscriptions and the public URLs.')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', `${ABOUT}\n${SYNC_ENV_HELP}`)
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = cliContext(command);
      const config = loadConfig(ctx.env);
      const service = await createCliService(config, ctx, { signIn: false });
      if (service.sync === null || service.clients === null || config.dataverseUrl === undefined) {
        throw new DeleteSyncError('DS_ERR_CONFIG', 'DATAVERSE_URL is required', { field: 'DATAVERSE_URL' });
      }
      const { sync, clients } = service;
      // Loaded on use: the other commands start without the checks' modules.
      const { runDoctor } = await import('../doctor-checks.js');
      const results = await runDoctor({
        credential: clients.credential,
        dataverse: clients.dataverse,
        dataverseUrl: config.dataverseUrl,
        syncedUserIds: async () => (await sync.syncedUsers()).users.map((u) => u.id),
        subscriptions: () => sync.subscriptions(),
        usesGroup: config.sync.groupId !== undefined,
        publicBaseUrl: config.sync.publicBaseUrl,
        webhookKey: config.dataverse.webhookKey,
      });
      print(options.json, results, () => formatResults(results));
      const failed = results.filter((r) => !r.ok).length;
      if (failed > 0) throw new DeleteSyncError('DS_ERR_CONFIG', `${failed} of ${results.length} doctor checks failed: the deployment is not ready`);
    });
}
