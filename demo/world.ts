/**
 * A whole local world for the demo and the end-to-end tests: Azurite, the tenant sandbox and the service
 * as `npm start` runs it (composition root, Fastify host over real HTTP, queue worker), set up the way
 * a deployment is: the Dataverse webhook, steps and pre-images registered with the code behind
 * `delete-sync register`, Graph subscriptions and the To Do baseline made by the sync services the
 * self-hosted timers run.
 *
 * Its parts (scratch folder and teardown, free port, service settings, registration, the wait until quiet) are exported for the
 * reliability world, which runs the same service in a child process.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { startTenantSandbox, type DirectoryUser, type TenantSandbox } from '../sandbox/index.js';
import { createService, type Service } from '../src/app/service.js';
import type { DataverseClient } from '../src/dataverse/client.js';
import { applyPlan, planRegistration, readMessageFilters, readRegistration } from '../src/dataverse/registration.js';
import { createLogger, type LogSink } from '../src/log.js';
import { startAzurite, type RunningAzurite } from '../src/server/azurite.js';
import { startService, type RunningService } from '../src/server/start.js';
import type { Store } from '../src/store/index.js';

export interface WorldUsers {
  /** Organizer of meetings; holds Delete. */
  olga: DirectoryUser;
  /** Attendee and contact owner; holds Delete. */
  alice: DirectoryUser;
  /** Attendee; holds no Delete privilege in any role. */
  bob: DirectoryUser;
}

export interface World {
  sb: TenantSandbox;
  users: WorldUsers;
  service: RunningService;
  store: Store;
  /** The composition the host serves (clients, executor). */
  composed: Service;
  /** One To Do poll of every synced mailbox (the self-hosted timer's job, run on demand). */
  pollTodo(): Promise<void>;
  /** Waits until every notification, webhook and queue message has been handled. */
  quiesce(timeoutMs?: number): Promise<void>;
  /** Messages in the poison queue (given up after the last attempt). */
  poisoned(): Promise<number>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /** Where the service logs go; nothing by default. */
  logSink?: LogSink;
  /** Service settings to add or replace (e.g. MAX_DEQUEUE_COUNT). */
  env?: Record<string, string>;
  /** Called with the sandbox as soon as it runs, before the service makes its first call (recording hooks). */
  onSandbox?: (sb: TenantSandbox) => void;
}

/** A free loopback port, for a service started on it afterwards (in this process or a child). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface WorldSettings {
  sb: TenantSandbox;
  /** A scratch folder; the sandbox's CA certificate is written there for the service to trust. */
  dir: string;
  storageConnectionString: string;
  port: number;
  syncUsers: readonly DirectoryUser[];
  webhookKey: string;
  adminKey: string;
}

/** The settings a deployment gives the service, pointed at this world's storage and tenant sandbox. */
export async function worldEnv(settings: WorldSettings): Promise<Record<string, string>> {
  const { sb, port } = settings;
  const caFile = path.join(settings.dir, 'sandbox-ca.pem');
  await writeFile(caFile, sb.ca);
  return {
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    STORAGE_CONNECTION_STRING: settings.storageConnectionString,
    DATAVERSE_WEBHOOK_KEY: settings.webhookKey,
    ADMIN_KEY: settings.adminKey,
    GRAPH_TENANT_ID: sb.tenantId,
    GRAPH_BASE_URL: sb.graphUrl,
    DATAVERSE_URL: sb.dataverseUrl,
    EXTRA_CA_FILE: caFile,
    SYNC_USERS: settings.syncUsers.map((u) => u.id).join(','),
    AZURE_TENANT_ID: sb.tenantId,
    AZURE_CLIENT_ID: sb.client.clientId,
    AZURE_CLIENT_SECRET: sb.client.clientSecret,
    AZURE_AUTHORITY_HOST: sb.loginUrl,
    VISIBILITY_TIMEOUT_SECONDS: '1',
  };
}

/** Registers the webhook endpoint, steps and pre-images in the sandbox as `delete-sync register` does. */
export async function registerWebhook(dataverse: DataverseClient, sb: TenantSandbox, serviceUrl: string, key: string): Promise<void> {
  const target = { dataverseUrl: sb.dataverseUrl, endpointUrl: `${serviceUrl}/api/dataverse/webhook`, key };
  await applyPlan(dataverse, planRegistration(target, await readRegistration(dataverse), await readMessageFilters(dataverse)));
}

/**
 * A wait until nothing moves: no notification or webhook in flight, the queue empty (a message being
 * processed still counts), and nothing new seen in a whole round.
 */
export function quiescer(
  sb: TenantSandbox,
  queueLength: () => Promise<number>,
  timing: { pollMs: number; timeoutMs: number },
): (timeoutMs?: number) => Promise<void> {
  const progress = () => `${sb.graph.deliveries.length}|${sb.dataverse.deliveries().length}|${sb.deleteLog.entries().length}`;
  return async (timeoutMs = timing.timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    let seen = '';
    for (;;) {
      await Promise.all([sb.graph.notificationsIdle(), sb.dataverse.settle()]);
      const length = await queueLength();
      const now = progress();
      if (length === 0 && now === seen) return;
      seen = length === 0 ? now : '';
      if (Date.now() > deadline) throw new Error(`not quiet after ${timeoutMs} ms (queue ${length})`);
      await new Promise((resolve) => setTimeout(resolve, timing.pollMs));
    }
  };
}

/** A scratch folder and what to stop on close, stopped in reverse order (the folder removed last). */
export async function scratch(prefix: string): Promise<{ dir: string; stops: (() => Promise<void>)[]; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  const stops: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  return { dir, stops, close };
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const { dir, stops, close } = await scratch('delete-sync-world-');
  try {
    const [azurite, sb]: [RunningAzurite, TenantSandbox] = await Promise.all([startAzurite(), startTenantSandbox()]);
    stops.push(() => azurite.stop(), () => sb.close());
    options.onSandbox?.(sb);
    // Throttling is not the point here: answer 429s with an immediate retry.
    sb.faults.set('graph', { retryAfterSeconds: 0 });
    sb.faults.set('dataverse', { retryAfterSeconds: 0 });
    // Nor is Graph's 3 s answer limit: on a loaded machine a slow answer would make the sandbox retry,
    // then delay or drop notifications (its slow-endpoint penalty, tested on its own).
    Object.assign(sb.graph.notificationSettings, { timeoutMs: 15_000, slowMs: 15_000 });
    const users: WorldUsers = {
      olga: sb.directory.add({ displayName: 'Olga Organizer', canDelete: true }),
      alice: sb.directory.add({ displayName: 'Alice Attendee', canDelete: true }),
      bob: sb.directory.add({ displayName: 'Bob NoDelete', canDelete: false }),
    };
    const port = await freePort();
    const webhookKey = randomBytes(24).toString('base64url');
    const env: Record<string, string> = {
      ...(await worldEnv({
        sb,
        dir,
        storageConnectionString: azurite.connectionString,
        port,
        syncUsers: Object.values(users),
        webhookKey,
        adminKey: randomBytes(24).toString('base64url'),
      })),
      PORT: String(port),
      HOST: '127.0.0.1',
      QUEUE_MAX_POLL_MS: '50',
      LOG_LEVEL: 'warn',
      ...options.env,
    };
    const log = createLogger({ level: 'warn', ...(options.logSink ? { sink: options.logSink } : { sink: () => undefined }) });
    let composed: Service | undefined;
    const service = await startService({
      env,
      dataDir: dir,
      log,
      compose: (config, serviceLog) => (composed = createService(config, { log: serviceLog, env })).runtime,
    });
    stops.push(() => service.stop());
    if (composed?.clients == null) throw new Error('the service was composed without clients');
    const { dataverse } = composed.clients;
    const store = service.runtime.store;

    // As `delete-sync register` does it.
    await registerWebhook(dataverse, sb, service.url, webhookKey);

    // As the subscription and To Do timers do it (each runs once at start, then on its interval).
    const sync = composed.sync;
    if (sync === null) throw new Error('the service was composed without sync services');
    await sync.checkSubscriptions();
    await sync.pollTodo();

    const length = async (name: string) => {
      const queue = new QueueClient(azurite.connectionString, name);
      return (await queue.exists()) ? ((await queue.getProperties()).approximateMessagesCount ?? 0) : 0;
    };
    const quiesce = quiescer(sb, () => length(service.config.queue.name), { pollMs: 25, timeoutMs: 20_000 });

    await quiesce();
    return {
      sb,
      users,
      service,
      store,
      composed,
      pollTodo: async () => {
        await sync.pollTodo();
      },
      quiesce,
      poisoned: () => length(service.config.queue.poisonName),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
