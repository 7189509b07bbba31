/**
 * The queue-trigger entry point both hosts call for one message of the `changes` queue: run it through
 * the pipeline; on failure log it, and on the last allowed attempt write the `poisoned` decision record
 * before rethrowing, so the host moves the message to the poison queue.
 */
import { DeleteSyncError } from '../errors.js';
import { parseQueueMessage, processMessage, recordPoison, type MessageMeta, type PipelineDeps } from '../pipeline/message.js';

export type { MessageMeta } from '../pipeline/message.js';
export type QueueHandlerDeps = PipelineDeps;

export async function handleQueueMessage(body: unknown, meta: MessageMeta, deps: QueueHandlerDeps): Promise<void> {
  try {
    await processMessage(parseQueueMessage(body), meta, deps);
  } catch (error) {
    deps.log.warn('queue message failed', { messageId: meta.messageId, dequeueCount: meta.dequeueCount, error });
    if (meta.dequeueCount >= deps.maxDequeueCount) await recordPoison(body, meta, error, deps);
    throw error;
  }
}

/** A message delivered more often than allowed without an answer (e.g. a crash mid-processing): record why, process nothing. */
export async function handleOverDelivered(body: unknown, meta: MessageMeta, deps: QueueHandlerDeps): Promise<void> {
  const why = new DeleteSyncError('DS_ERR_INTERNAL', `dequeued ${meta.dequeueCount} times without completing`);
  await recordPoison(body, meta, why, deps);
}
