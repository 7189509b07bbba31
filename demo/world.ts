/**
 * A whole local world for the demo and the end-to-end tests: Azurite, the tenant sandbox and the service
 * as `npm start` runs it (composition root, Fastify host over real HTTP, queue worker), set up the way
 * a deployment is: the Dataverse webhook, steps and pre-images registered with the code behind
 * `delete-sync register`, Graph subscriptions and the To Do baseline made by the sync services the
 * self-hosted timers run.
 *
 * `quiesce()` waits until nothing moves any more: no notification or webhook in flight, the queue
 * empty (a message being processed still counts), and nothing new seen in a whole round.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { startTenantSandbox, type DirectoryUser, type TenantSandbox } from '../sandbox/index.js';
import { createService, type Service } from '../src/app/service.js';
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
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startWorld(options: WorldOptions = {}): Promise<World> {
  const dir = await mkdtemp(path.join(tmpdir(), 'delete-sync-world-'));
  const stops: (() => Promise<void>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const [azurite, sb]: [RunningAzurite, TenantSandbox] = await Promise.all([startAzurite(), startTenantSandbox()]);
    stops.push(() => azurite.stop(), () => sb.close());
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
    const caFile = path.join(dir, 'sandbox-ca.pem');
    await writeFile(caFile, sb.ca);
    const port = await freePort();
    const webhookKey = randomBytes(24).toString('base64url');
    const env: Record<string, string> = {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      STORAGE_CONNECTION_STRING: azurite.connectionString,
      DATAVERSE_WEBHOOK_KEY: webhookKey,
      ADMIN_KEY: randomBytes(24).toString('base64url'),
      GRAPH_TENANT_ID: sb.tenantId,
      GRAPH_BASE_URL: sb.graphUrl,
      DATAVERSE_URL: sb.dataverseUrl,
      EXTRA_CA_FILE: caFile,
      SYNC_USERS: Object.values(users).map((u) => u.id).join(','),
      AZURE_TENANT_ID: sb.tenantId,
      AZURE_CLIENT_ID: sb.client.clientId,
      AZURE_CLIENT_SECRET: sb.client.clientSecret,
      AZURE_AUTHORITY_HOST: sb.loginUrl,
      VISIBILITY_TIMEOUT_SECONDS: '1',
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
    const endpointUrl = `${service.url}/api/dataverse/webhook`;
    const plan = planRegistration({ dataverseUrl: sb.dataverseUrl, endpointUrl, key: webhookKey }, await readRegistration(dataverse), await readMessageFilters(dataverse));
    await applyPlan(dataverse, plan);

    // As the subscription and To Do timers do it (each runs once at start, then on its interval).
    const sync = composed.sync;
    if (sync === null) throw new Error('the service was composed without sync services');
    await sync.checkSubscriptions();
    await sync.pollTodo();

    const length = async (name: string) => {
      const queue = new QueueClient(azurite.connectionString, name);
      return (await queue.exists()) ? ((await queue.getProperties()).approximateMessagesCount ?? 0) : 0;
    };
    const queueLength = () => length(service.config.queue.name);
    const progress = () => `${sb.graph.deliveries.length}|${sb.dataverse.deliveries().length}|${sb.deleteLog.entries().length}`;

    async function quiesce(timeoutMs = 20_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      let seen = '';
      for (;;) {
        await Promise.all([sb.graph.notificationsIdle(), sb.dataverse.settle()]);
        const length = await queueLength();
        const now = progress();
        if (length === 0 && now === seen) return;
        seen = length === 0 ? now : '';
        if (Date.now() > deadline) throw new Error(`not quiet after ${timeoutMs} ms (queue ${length})`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }

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
