/**
 * The service as the bench runs it: the real configuration, runtime, handlers and Fastify host, each
 * variant on its own tables and queue in the shared Azurite so the variants never see each other's data.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import type { HandlerDeps } from '../src/handlers/deps.js';
import { handleQueueMessage, type QueueHandlerDeps } from '../src/handlers/queue-message.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../src/app/runtime.js';
import { createLogger } from '../src/log.js';
import { buildServer } from '../src/server/app.js';
import type { Store } from '../src/store/index.js';
import type { QueueMessage } from '../src/store/messages.js';
import type { BenchInfra } from './infra.js';

/** Logs at the service's default level (so the work of writing them is measured) into nothing. */
export const benchLog = createLogger({ level: 'info', sink: () => undefined });

export interface BenchEnv {
  env: Record<string, string>;
  webhookKey: string;
}

/**
 * `name` keeps tables and queues apart. The worker polls at most every 100 ms when idle (the default
 * backoff reaches 2 s, which would add up to 2 s of idle waiting to a single fan-out measurement).
 */
export function benchEnv(infra: BenchInfra, name: string): BenchEnv {
  const webhookKey = randomBytes(24).toString('base64url');
  return {
    webhookKey,
    env: {
      STORAGE_CONNECTION_STRING: infra.azurite.connectionString,
      DATAVERSE_WEBHOOK_KEY: webhookKey,
      ADMIN_KEY: randomBytes(24).toString('base64url'),
      GRAPH_TENANT_ID: infra.sandbox.tenantId,
      TABLE_PREFIX: `bench${name}`,
      QUEUE_NAME: `bench-${name}`,
      POISON_QUEUE_NAME: `bench-${name}-poison`,
      QUEUE_MAX_POLL_MS: '100',
      PORT: '0',
      HOST: '127.0.0.1',
    },
  };
}

export function benchRuntime(bench: BenchEnv, options: RuntimeOptions = {}): Runtime {
  return createRuntime(loadConfig(bench.env), { log: benchLog, ...options });
}

export interface RunningHost {
  url: string;
  close(): Promise<void>;
}

/** The Fastify host over the given handler dependencies, on a free loopback port. */
export async function startHost(deps: HandlerDeps): Promise<RunningHost> {
  const app = await buildServer(deps);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

export interface InlineProcessing {
  store: Store;
  /** Resolves when no inline processing is running (requests abandoned by the load generator finish too). */
  idle(): Promise<void>;
}

/**
 * The naive way (Microsoft's Node webhook sample): the same receivers, but where they would enqueue,
 * the message is processed — facts, decision, Graph/Dataverse deletes — before the answer is sent.
 */
export function processInline(store: Store, queue: QueueHandlerDeps): InlineProcessing {
  let n = 0;
  let running = 0;
  const send = async (message: QueueMessage) => {
    n += 1;
    running += 1;
    try {
      await handleQueueMessage(message, { messageId: `inline-${n}`, dequeueCount: 1 }, queue);
    } finally {
      running -= 1;
    }
  };
  const idle = async () => {
    while (running > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  };
  return { store: { ...store, queue: { ...store.queue, send } }, idle };
}
