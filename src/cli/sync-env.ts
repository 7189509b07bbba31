/**
 * What `subscribe`, `subscriptions` and `backfill` share: the sync services built as the hosts build
 * them (src/app/service.ts), from the same environment settings, with logs on stderr. `held`,
 * `release` and `discard` build the service the same way.
 */
import { createService, type Service } from '../app/service.js';
import { loadConfig, type Config } from '../config.js';
import { DeleteSyncError } from '../errors.js';
import { createLogger } from '../log.js';
import type { SyncServices } from '../app/sync.js';

export const SYNC_ENV_HELP = `
Configuration: the service's own settings, from the environment.
  STORAGE_CONNECTION_STRING   the service's storage (or AzureWebJobsStorage / AzureWebJobsStorage__*) — required
  DATAVERSE_URL               the Dataverse environment — required
  AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET
                              sign-in with a client secret; without AZURE_CLIENT_SECRET a managed identity
  SYNC_GROUP_ID, SYNC_USERS   the synced mailboxes (group object id; ids or UPNs) — one of them required
  PUBLIC_BASE_URL             where Graph posts notifications (https://<app>) — required by subscribe
  GRAPH_TENANT_ID             the tenant notifications must name
  TABLE_PREFIX, QUEUE_NAME    as the service uses them (defaults: deletesync, changes)
  GRAPH_BASE_URL, EXTRA_CA_FILE
                              a tenant sandbox instead of Microsoft's cloud (local runs only)`;

export interface SyncCli {
  config: Config;
  sync: SyncServices;
}

/** The service as the hosts build it; warnings and errors go to stderr, so stdout stays the command's answer. */
export function createCliService(config: Config, env: NodeJS.ProcessEnv): Service {
  const log = createLogger({ level: 'warn', sink: (_level, line) => process.stderr.write(`${line}\n`) });
  return createService(config, { log, env });
}

export function openSync(env: NodeJS.ProcessEnv = process.env): SyncCli {
  const config = loadConfig(env);
  if (config.storage.kind === 'embedded') {
    throw new DeleteSyncError('DS_ERR_CONFIG', 'STORAGE_CONNECTION_STRING (or AzureWebJobsStorage) is required: the CLI works on the service\'s storage', {
      field: 'STORAGE_CONNECTION_STRING',
    });
  }
  const { sync } = createCliService(config, env);
  if (sync === null) throw new DeleteSyncError('DS_ERR_CONFIG', 'DATAVERSE_URL is required', { field: 'DATAVERSE_URL' });
  return { config, sync };
}

/** Left-aligned columns, two spaces apart, header first. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
