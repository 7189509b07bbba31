/**
 * One message from the `changes` queue: parse it, open it (a claim check is read from the claims table; a
 * batch holds several inputs), and for each input it holds: take its dedupe key for this message (the
 * idempotent consumer: an input another message took is dropped), then dispatch it (change → processor,
 * lifecycle → subscription manager, or parked until one exists). When the host gives up on a message,
 * the `poisoned` decision record says why, for each input of it not yet decided.
 */
import { DeleteSyncError, isDeleteSyncError } from '../errors.js';
import { redactText } from '../log.js';
import type { DomainEvent } from '../domain/event.js';
import type { DecisionRecord } from '../store/decisions.js';
import { itemKey, LifecycleNotice, PENDING_LIFECYCLE_NAMESPACE, QueueMessage, type ItemMessage } from '../store/messages.js';
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

async function processItem(item: ItemMessage, deps: PipelineDeps): Promise<void> {
  if (item.kind === 'change') {
    recordQueueAge(Math.max(0, deps.now().getTime() - Date.parse(item.event.receivedAt)));
    await processEvent(item.event, deps);
  } else if (deps.handleLifecycle !== undefined) {
    await deps.handleLifecycle(item.notice);
  } else {
    const { notice } = item;
    await deps.store.state.set(PENDING_LIFECYCLE_NAMESPACE, notice.id, JSON.stringify(notice), deps.now());
    deps.log.warn('lifecycle notice parked for the subscription manager', {
      subscriptionId: notice.subscriptionId,
      lifecycleEvent: notice.lifecycleEvent,
    });
  }
}

/** The inputs a message holds; null for a claim already processed (its row is removed only after that). */
async function openMessage(message: QueueMessage, deps: PipelineDeps): Promise<ItemMessage[] | null> {
  if (message.kind === 'batch') return message.items;
  if (message.kind !== 'claim') return [message];
  const item = await deps.store.claims.get(message.claimId);
  return item === null ? null : [item];
}

/**
 * The inputs in order, each once across every message that holds it; the first failure stops the
 * message (its retry finds the inputs before it decided and carries on).
 */
export function processMessage(message: QueueMessage, meta: MessageMeta, deps: PipelineDeps): Promise<void> {
  // Processing belongs to the receiving request's trace (telemetry): its decisions share that operation.
  return withTraceparent(message.traceparent, () => processItems(message, meta, deps));
}

async function processItems(message: QueueMessage, meta: MessageMeta, deps: PipelineDeps): Promise<void> {
  const items = await openMessage(message, deps);
  if (items === null) {
    deps.log.info('claim already processed and removed', { messageId: meta.messageId });
    return;
  }
  let duplicates = 0;
  for (const item of items) {
    if (await deps.store.dedupe.claim(itemKey(item), meta.messageId, deps.now())) await processItem(item, deps);
    else duplicates += 1;
  }
  if (duplicates > 0) deps.log.info('inputs already taken by another message dropped', { messageId: meta.messageId, duplicates, of: items.length });
  if (message.kind === 'claim') await deps.store.claims.remove(message.claimId);
}

function describe(error: unknown): string {
  if (isDeleteSyncError(error)) return `${error.code}: ${redactText(error.message)}`;
  return error instanceof Error ? redactText(error.message) : 'unknown error';
}

function identify(item: ItemMessage) {
  if (item.kind === 'change') return { id: item.event.id, recordKey: recordKeyOf(item.event, null), event: item.event };
  return { id: item.notice.id, recordKey: `subscription:${item.notice.subscriptionId}`, event: null };
}

function poisonRecord(id: string, recordKey: string, event: DomainEvent | null, meta: MessageMeta, error: unknown, deps: PipelineDeps): DecisionRecord {
  return {
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
}

interface Poisoned {
  record: DecisionRecord;
  event: DomainEvent | null;
  traceparent: string | undefined;
}

/** The poisoned records of a message: one per input not decided yet (one for the message when it cannot be read). */
async function poisonRecords(body: unknown, meta: MessageMeta, error: unknown, deps: PipelineDeps): Promise<Poisoned[]> {
  let items: ItemMessage[] | null = null;
  let traceparent: string | undefined;
  try {
    const message = parseQueueMessage(body);
    traceparent = message.traceparent;
    items = await openMessage(message, deps);
  } catch {
    items = null;
  }
  if (items === null) return [{ record: poisonRecord(`message:${meta.messageId}`, 'unparsed:message', null, meta, error, deps), event: null, traceparent }];
  const records: Poisoned[] = [];
  for (const item of items) {
    // The operator's replay of the poisoned message is a new message: it must be able to take the input.
    await deps.store.dedupe.release(itemKey(item));
    const { id, recordKey, event } = identify(item);
    // An input of a batch decided before the failure keeps its decision; a lone input is poisoned as before.
    if (items.length > 1 && (await deps.store.decisions.getByEvent(id)) !== null) continue;
    records.push({ record: poisonRecord(id, recordKey, event, meta, error, deps), event, traceparent: item.traceparent ?? traceparent });
  }
  return records;
}

/** Writes the `poisoned` decision records. Best effort: if storage is down the message itself is still kept. */
export async function recordPoison(body: unknown, meta: MessageMeta, error: unknown, deps: PipelineDeps): Promise<void> {
  try {
    for (const { record, event, traceparent } of await poisonRecords(body, meta, error, deps)) {
      // The Poison event names the record and the item (why-record finds it by them) and shares the request's operation.
      const subject = event === null ? { eventId: record.id } : subjectOf(event);
      withTraceparent(traceparent, () =>
        recordPoisonTelemetry({ ...subject, errorCode: isDeleteSyncError(error) ? error.code : undefined, dequeueCount: meta.dequeueCount }),
      );
      await deps.store.decisions.put(record);
    }
  } catch (storeError) {
    deps.log.error('poison decision record not written', { messageId: meta.messageId, error: storeError });
  }
}
