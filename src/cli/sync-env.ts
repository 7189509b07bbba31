/**
 * What the commands that work on the service's storage and tenant share: the service built as the hosts
 * build it (src/app/service.ts), from the same settings `npm start` reads (the environment and the
 * settings file), with logs on stderr (warnings, or everything with --verbose), every network wait bounded
 * by --timeout, and a sign-in first so a wrong secret, tenant or certificate is one clear line.
 * The service is imported when a command needs it, so `--help`, `explain` and `--version` start fast.
 */
import type { Service } from '../app/service.js';
import { loadConfig, type Config } from '../config.js';
import type { OperatorDeps } from '../brake/operator.js';
import { DeleteSyncError } from '../errors.js';
import { createLogger } from '../log.js';
import type { SyncServices } from '../app/sync.js';
import type { CliContext } from './program.js';

export const SYNC_ENV_HELP = `
Configuration: the service's own settings, from the environment or the settings file (--env-file,
DELETE_SYNC_ENV_FILE, else ./.env), exactly as npm start reads them.
  STORAGE_CONNECTION_STRING   the service's storage (or AzureWebJobsStorage / AzureWebJobsStorage__*) — required
  DATAVERSE_URL               the Dataverse environment — required
  AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST
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

/** The settings a command on the service's storage needs; storage is required (no embedded Azurite here). */
function storedConfig(ctx: CliContext): Config {
  const config = loadConfig(ctx.env);
  if (config.storage.kind === 'embedded') {
    throw new DeleteSyncError('DS_ERR_CONFIG', "STORAGE_CONNECTION_STRING (or AzureWebJobsStorage) is required: the CLI works on the service's storage", {
      field: 'STORAGE_CONNECTION_STRING',
    });
  }
  return config;
}

/**
 * The service as the hosts build it, signed in (when it has a tenant) before anything else happens;
 * `signIn: false` for doctor, whose own first check is the sign-in.
 */
export async function createCliService(config: Config, ctx: CliContext, options: { signIn?: boolean } = {}): Promise<Service> {
  const [{ createService }, { createCredential, credentialConfigFromEnv }, { configureFetch, readCaFile }, { signIn, timedCredential }, { GRAPH_SCOPE }] = await Promise.all([
    import('../app/service.js'),
    import('../graph/auth.js'),
    import('../net/ca.js'),
    import('./sign-in.js'),
    import('../graph/client.js'),
  ]);
  const log = createLogger({ level: ctx.verbose ? 'info' : 'warn', sink: (_level, line) => process.stderr.write(`${line}\n`) });
  const ca = config.extraCaFile === undefined ? undefined : readCaFile(config.extraCaFile, 'EXTRA_CA_FILE');
  const credential = config.dataverseUrl === undefined ? undefined : timedCredential(createCredential(credentialConfigFromEnv(ctx.env, ca)), ctx.timeoutMs);
  const service = createService(config, { log, env: ctx.env, ...(credential === undefined ? {} : { credential }) });
  // After the service (which trusts EXTRA_CA_FILE the same way): every fetch is bounded too.
  configureFetch({ ca, timeoutMs: ctx.timeoutMs });
  if (credential !== undefined && config.dataverseUrl !== undefined && options.signIn !== false) {
    await signIn(credential, [`${config.dataverseUrl.replace(/\/+$/, '')}/.default`, GRAPH_SCOPE], {
      authorityHost: ctx.env.AZURE_AUTHORITY_HOST || 'https://login.microsoftonline.com',
      tenantId: ctx.env.AZURE_TENANT_ID,
      ca,
      timeoutMs: ctx.timeoutMs,
    });
  }
  return service;
}

export async function openSync(ctx: CliContext): Promise<SyncCli> {
  const config = storedConfig(ctx);
  if (config.dataverseUrl === undefined) throw new DeleteSyncError('DS_ERR_CONFIG', 'DATAVERSE_URL is required', { field: 'DATAVERSE_URL' });
  const { sync } = await createCliService(config, ctx);
  if (sync === null) throw new DeleteSyncError('DS_ERR_CONFIG', 'DATAVERSE_URL is required', { field: 'DATAVERSE_URL' });
  return { config, sync };
}

/**
 * The brake and the processor as the hosts build them. `execute`: the command performs deletes (release),
 * so without DATAVERSE_URL there is nothing to perform them with and it refuses before touching anything.
 */
export async function operatorDeps(ctx: CliContext, options: { execute: boolean }): Promise<OperatorDeps> {
  const config = storedConfig(ctx);
  if (options.execute && config.dataverseUrl === undefined) {
    throw new DeleteSyncError('DS_ERR_CONFIG', 'DATAVERSE_URL is required to perform held deletes; nothing was released', { field: 'DATAVERSE_URL' });
  }
  const service = await createCliService(config, ctx);
  if (options.execute && service.executor === null) {
    throw new DeleteSyncError('DS_ERR_CONFIG', 'no executor: DATAVERSE_URL is required to perform held deletes; nothing was released', { field: 'DATAVERSE_URL' });
  }
  return service.runtime.operator;
}

/** Only the storage (decision records): no tenant, no sign-in. */
export async function openStore(ctx: CliContext) {
  const config = storedConfig(ctx);
  const { createStore } = await import('../store/index.js');
  return createStore(config);
}

/** Left-aligned columns, two spaces apart, header first. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** The command's answer: JSON for scripts, else the table for people. */
export function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json === true ? `${JSON.stringify(value, null, 2)}\n` : human());
}
