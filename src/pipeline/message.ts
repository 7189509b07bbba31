/**
 * One message from the `changes` queue: parse it, dispatch it (change → processor, lifecycle →
 * subscription manager, or parked until one exists), and, when the host gives up on it, the `poisoned`
 * decision record saying why.
 */
import { DeleteSyncError, isDeleteSyncError } from '../errors.js';
import { redactText } from '../log.js';
import type { DecisionRecord } from '../store/decisions.js';
import { LifecycleNotice, PENDING_LIFECYCLE_NAMESPACE, QueueMessage } from '../store/messages.js';
import { recordPoison as recordPoisonTelemetry, recordQueueAge, subjectOf, withTraceparent } from '../telemetry/index.js';
import { inputSummary, processEvent, recordKeyOf, type ProcessorDeps } from './processor.js';

export interface MessageMeta {
  messageId: string;
  /** 1 on first delivery. */
  dequeueCount: number;
}

export interface PipelineDeps extends ProcessorDeps {
  maxDequeueCount: number;
  poisonQueueName: string;
  /**
   * The subscription manager's port (reauthorize, recreate, delta catch-up). Until one is injected,
   * notices are parked in the state table (namespace `lifecycle-pending`) for it to pick up.
   */
  handleLifecycle?: (notice: LifecycleNotice) => Promise<void>;
}

/** Accepts the text the worker reads or the value the Functions trigger hands over (already JSON-parsed). */
export function parseQueueMessage(body: unknown): QueueMessage {
  let value = body;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    try {
      value = JSON.parse(body.toString()) as unknown;
    } catch {
      throw new DeleteSyncError('DS_ERR_BAD_JSON', 'Queue message is not valid JSON', { field: '$' });
    }
  }
  const parsed = QueueMessage.safeParse(value);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') || '$';
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Queue message does not match the message contract', { field });
  }
  return parsed.data;
}

/** Processing belongs to the receiving request's trace (telemetry): its decision shares that operation. */
export function processMessage(message: QueueMessage, deps: PipelineDeps): Promise<void> {
  return withTraceparent(message.traceparent, () => dispatch(message, deps));
}

async function dispatch(message: QueueMessage, deps: PipelineDeps): Promise<void> {
  if (message.kind === 'change') {
    recordQueueAge(Math.max(0, deps.now().getTime() - Date.parse(message.event.receivedAt)));
    await processEvent(message.event, deps);
  } else if (deps.handleLifecycle !== undefined) {
    await deps.handleLifecycle(message.notice);
  } else {
    const { notice } = message;
    await deps.store.state.set(PENDING_LIFECYCLE_NAMESPACE, notice.id, JSON.stringify(notice), deps.now());
    deps.log.warn('lifecycle notice parked for the subscription manager', {
      subscriptionId: notice.subscriptionId,
      lifecycleEvent: notice.lifecycleEvent,
    });
  }
}

function describe(error: unknown): string {
  if (isDeleteSyncError(error)) return `${error.code}: ${redactText(error.message)}`;
  return error instanceof Error ? redactText(error.message) : 'unknown error';
}

function identify(message: QueueMessage | null, meta: MessageMeta) {
  if (message === null) return { id: `message:${meta.messageId}`, recordKey: 'unparsed:message', event: null };
  if (message.kind === 'change') {
    return { id: message.event.id, recordKey: recordKeyOf(message.event, null), event: message.event };
  }
  return { id: message.notice.id, recordKey: `subscription:${message.notice.subscriptionId}`, event: null };
}

/** Writes the `poisoned` decision record. Best effort: if storage is down the message itself is still kept. */
export async function recordPoison(body: unknown, meta: MessageMeta, error: unknown, deps: PipelineDeps): Promise<void> {
  let message: QueueMessage | null = null;
  try {
    message = parseQueueMessage(body);
  } catch {
    message = null;
  }
  const { id, recordKey, event } = identify(message, meta);
  // The Poison event names the record and the item (why-record finds it by them) and shares the request's operation.
  const subject = event === null ? { eventId: id } : subjectOf(event);
  withTraceparent(message?.traceparent, () =>
    recordPoisonTelemetry({ ...subject, errorCode: isDeleteSyncError(error) ? error.code : undefined, dequeueCount: meta.dequeueCount }),
  );
  const record: DecisionRecord = {
    id,
    recordKey,
    decidedAt: deps.now().toISOString(),
    status: 'poisoned',
    input: event === null ? null : inputSummary(event),
    facts: null,
    ruleId: 'system.poison',
    action: 'skip',
    reason: `Processing failed ${meta.dequeueCount} times (last error ${describe(error)}); the message was moved to the queue ${deps.poisonQueueName} and nothing was executed for it.`,
    targets: [],
    followUps: [],
    outcomes: [],
    dryRun: deps.dryRun,
  };
  try {
    await deps.store.decisions.put(record);
  } catch (storeError) {
    deps.log.error('poison decision record not written', { messageId: meta.messageId, error: storeError });
  }
}
