/**
 * Wiring shared by both hosts: configuration → logger, store, policy → the dependencies of the HTTP
 * handlers and of the queue processor. The executor and subscription manager plug in through `seams`.
 */
import { createBrake } from '../brake/brake.js';
import type { Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { loadPolicyFile } from './policy-file.js';
import { createStore, type Store } from '../store/index.js';
import { recordHeld } from '../telemetry/index.js';
import type { HandlerDeps } from '../handlers/deps.js';
import type { Execute } from '../pipeline/processor.js';
import type { QueueHandlerDeps } from '../handlers/queue-message.js';
import type { OperatorDeps } from '../brake/operator.js';
import { operatorDeps } from '../pipeline/release.js';

export interface Runtime {
  config: Config;
  log: Logger;
  store: Store;
  http: HandlerDeps;
  queue: QueueHandlerDeps;
  /** Held deletes: list, release (through the pipeline), discard. */
  operator: OperatorDeps;
}

export interface RuntimeOptions {
  log?: Logger;
  store?: Store;
  now?: () => Date;
  /** The executor (issue 4) and the subscription manager's lifecycle handler, when they exist. */
  seams?: {
    execute?: Execute;
    handleLifecycle?: QueueHandlerDeps['handleLifecycle'];
    learnLinks?: QueueHandlerDeps['learnLinks'];
    readSnapshot?: QueueHandlerDeps['readSnapshot'];
    occurrenceDeletes?: QueueHandlerDeps['occurrenceDeletes'];
    resolveMailbox?: HandlerDeps['resolveMailbox'];
  };
}

export function createRuntime(config: Config, options: RuntimeOptions = {}): Runtime {
  const log = options.log ?? createLogger({ level: config.logLevel });
  const store = options.store ?? createStore(config);
  const now = options.now ?? (() => new Date());
  const policy = config.policyFile === undefined ? undefined : loadPolicyFile(config.policyFile);
  const brake = createBrake({ store, limits: config.brake, now, log, onHeld: recordHeld });
  const { resolveMailbox, ...seams } = options.seams ?? {};
  const queue: QueueHandlerDeps = {
    store,
    log,
    now,
    policy,
    dryRun: config.dryRun,
    brake,
    maxDequeueCount: config.queue.maxDequeueCount,
    poisonQueueName: config.queue.poisonName,
    ...seams,
  };
  const operator = operatorDeps(queue, brake);
  return { config, log, store, http: { config, store, log, now, operator, resolveMailbox }, queue, operator };
}
