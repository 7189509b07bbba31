/**
 * Starts the self-hosted service: configuration, storage (the configured account, or an embedded Azurite
 * with data under `.data/`), the Fastify host and the queue worker. `npm start` runs this; so can tests.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../config.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../app/runtime.js';
import { ROUTES } from '../handlers/routes.js';
import { createLogger, type Logger } from '../log.js';
import { buildServer } from './app.js';
import { startAzurite, type AzuritePorts, type RunningAzurite } from './azurite.js';
import { createQueueWorker } from './worker.js';

export interface StartOptions {
  env?: Record<string, string | undefined>;
  /** Where embedded Azurite data and generated local keys live; `.data` in the working directory by default. */
  dataDir?: string;
  log?: Logger;
  seams?: RuntimeOptions['seams'];
  /** Builds the runtime from the loaded settings (`npm start`: the composition root, src/app/service.ts); default createRuntime with `seams`. */
  compose?: (config: Config, log: Logger) => Runtime;
}

export interface RunningService {
  /** Base URL, e.g. http://127.0.0.1:7071 */
  url: string;
  config: Config;
  runtime: Runtime;
  server: FastifyInstance;
  /** The embedded Azurite, when STORAGE_CONNECTION_STRING was not set. */
  azurite: RunningAzurite | undefined;
  stop(): Promise<void>;
}

const KEYS_FILE = 'local-keys.json';
const AZURITE_PORTS_FILE = 'azurite-ports.json';

type LocalKeys = { DATAVERSE_WEBHOOK_KEY?: string; ADMIN_KEY?: string };

/**
 * A local run gets a random key for each of the webhook key and the admin key it was not given (a
 * webhook header counts as the webhook's), kept in `.data/local-keys.json` (mode 600) so they survive
 * restarts. Setting one key never drops the other. Their values are never logged; the file's path is.
 */
async function localKeys(env: Record<string, string | undefined>, dataDir: string, log: Logger): Promise<LocalKeys> {
  const missing = {
    DATAVERSE_WEBHOOK_KEY: !env.DATAVERSE_WEBHOOK_KEY && !env.DATAVERSE_WEBHOOK_HEADER,
    ADMIN_KEY: !env.ADMIN_KEY,
  };
  if (!missing.DATAVERSE_WEBHOOK_KEY && !missing.ADMIN_KEY) return {};
  const file = path.join(dataDir, KEYS_FILE);
  const stored: LocalKeys = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as LocalKeys) : {};
  const keys: LocalKeys = {
    DATAVERSE_WEBHOOK_KEY: stored.DATAVERSE_WEBHOOK_KEY ?? randomBytes(24).toString('base64url'),
    ADMIN_KEY: stored.ADMIN_KEY ?? randomBytes(24).toString('base64url'),
  };
  if (stored.DATAVERSE_WEBHOOK_KEY === undefined || stored.ADMIN_KEY === undefined) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
  }
  const used = (Object.keys(missing) as (keyof LocalKeys)[]).filter((name) => missing[name]);
  log.warn('using generated local keys for the settings not given', { file, settings: used });
  return Object.fromEntries(used.map((name) => [name, keys[name]]));
}

/**
 * The embedded Azurite listens on the same ports every start (kept in `.data/azurite-ports.json`), so a
 * connection string or Storage Explorer set up once keeps working; new free ports if those are taken.
 */
async function startEmbeddedAzurite(dataDir: string, log: Logger): Promise<RunningAzurite> {
  const location = path.join(dataDir, 'azurite');
  await mkdir(location, { recursive: true });
  const file = path.join(dataDir, AZURITE_PORTS_FILE);
  const previous = existsSync(file) ? (JSON.parse(await readFile(file, 'utf8')) as AzuritePorts) : undefined;
  let azurite: RunningAzurite;
  try {
    azurite = await startAzurite({ location, ports: previous });
  } catch (error) {
    if (previous === undefined) throw error;
    // Taken, e.g. by an Azurite a previous run left behind: new ports, and the connection string changes.
    log.warn('the embedded Azurite could not listen on its previous ports; it listens on new ones', { previous, error });
    azurite = await startAzurite({ location });
  }
  if (previous === undefined || JSON.stringify(previous) !== JSON.stringify(azurite.ports)) {
    await writeFile(file, `${JSON.stringify(azurite.ports)}\n`);
  }
  return azurite;
}

export async function startService(options: StartOptions = {}): Promise<RunningService> {
  const env = { ...(options.env ?? process.env) };
  const dataDir = path.resolve(options.dataDir ?? '.data');
  const bootLog = options.log ?? createLogger({ level: 'info' });
  Object.assign(env, await localKeys(env, dataDir, bootLog));

  let config = loadConfig(env);
  let azurite: RunningAzurite | undefined;
  if (config.storage.kind === 'embedded') {
    azurite = await startEmbeddedAzurite(dataDir, bootLog);
    config = loadConfig({ ...env, STORAGE_CONNECTION_STRING: azurite.connectionString });
    bootLog.info('embedded Azurite started', { location: path.join(dataDir, 'azurite'), ports: azurite.ports });
  }
  const log = options.log ?? createLogger({ level: config.logLevel });
  try {
    const runtime = options.compose ? options.compose(config, log) : createRuntime(config, { log, seams: options.seams });
    const server = await buildServer(runtime.http);
    await server.listen({ port: config.port, host: config.host });
    const address = server.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    const worker = createQueueWorker(runtime.queue, config.queue);
    worker.start();
    log.info('listening', {
      url,
      endpoints: [...new Set(Object.values(ROUTES).map((r) => `${url}/api/${r.route}`))],
      queue: config.queue.name,
    });
    return {
      url,
      config,
      runtime,
      server,
      azurite,
      async stop() {
        await worker.stop();
        await server.close();
        await azurite?.stop();
      },
    };
  } catch (error) {
    await azurite?.stop();
    throw error;
  }
}
