/**
 * The queue worker for the self-hosted run, with the Functions queue-trigger semantics (host.json):
 * batches of `batchSize`, a failed message becomes visible again after `visibilityTimeout`, and after
 * `maxDequeueCount` failed attempts it moves to the poison queue — here with a decision record saying why.
 * Empty polls back off exponentially up to `maxPollMs`, as the Functions host does.
 */
import type { Config } from '../config.js';
import { handleOverDelivered, handleQueueMessage, type QueueHandlerDeps } from '../handlers/queue-message.js';
import type { ReceivedMessage } from '../store/queue.js';

const MIN_POLL_MS = 50;

export interface QueueWorker {
  /** Receives one batch and handles it; answers how many messages it took. */
  runOnce(): Promise<number>;
  /** Stops polling and waits for the batch in hand. */
  stop(): Promise<void>;
}

export function createQueueWorker(deps: QueueHandlerDeps, queueConfig: Config['queue']): QueueWorker & { start(): void } {
  const { queue } = deps.store;
  const log = deps.log.child({ component: 'queue-worker' });
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const moveToPoison = async (message: ReceivedMessage) => {
    await queue.poison(message);
    await queue.complete(message);
    log.warn('message moved to poison queue', { messageId: message.messageId, dequeueCount: message.dequeueCount });
  };

  const handle = async (message: ReceivedMessage) => {
    const meta = { messageId: message.messageId, dequeueCount: message.dequeueCount };
    if (message.dequeueCount > queueConfig.maxDequeueCount) {
      // Delivered more often than allowed without an answer (e.g. a crash mid-processing).
      await handleOverDelivered(message.text, meta, deps);
      await moveToPoison(message);
      return;
    }
    try {
      await handleQueueMessage(message.text, meta, deps);
    } catch {
      if (message.dequeueCount >= queueConfig.maxDequeueCount) await moveToPoison(message);
      else await queue.retryLater(message, queueConfig.visibilityTimeoutSeconds);
      return;
    }
    await queue.complete(message);
  };

  const runOnce = async () => {
    const messages = await queue.receive(queueConfig.batchSize, Math.max(queueConfig.leaseSeconds, queueConfig.visibilityTimeoutSeconds));
    const results = await Promise.allSettled(messages.map(handle));
    for (const r of results) if (r.status === 'rejected') log.error('queue message not settled', { error: r.reason });
    return messages.length;
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const poll = async () => {
    let delay = MIN_POLL_MS;
    while (running) {
      let taken = 0;
      try {
        taken = await runOnce();
      } catch (error) {
        log.warn('queue poll failed', { error });
      }
      delay = taken > 0 ? MIN_POLL_MS : Math.min(delay * 2, queueConfig.maxPollMs);
      if (taken === 0 && running) await sleep(delay);
    }
  };

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      loop = poll();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
    },
  };
}
