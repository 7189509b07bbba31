/**
 * Dedupe, then enqueue. The key is claimed before sending and marked after, so a redelivered input is
 * answered 2xx without a second message, and an input whose enqueue failed is enqueued on the retry.
 */
import type { Store } from '../store/index.js';
import type { EnqueueResult, QueueMessage } from '../store/messages.js';
import { activeTraceparent } from '../telemetry/index.js';

export async function enqueueOnce(store: Store, key: string, message: QueueMessage, at: Date): Promise<EnqueueResult> {
  const claimed = await store.dedupe.claim(key, at);
  if (claimed === null) return 'duplicate';
  const traceparent = activeTraceparent();
  await store.queue.send(traceparent === undefined ? message : { ...message, traceparent });
  await store.dedupe.markEnqueued(key, claimed);
  return 'enqueued';
}
