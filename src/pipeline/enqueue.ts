/**
 * The receivers' one write: the inputs of one acknowledged request go onto the queue as one message
 * (a `batch` when there are several), with no dedupe here — duplicates are dropped by the processor
 * (see store/dedupe.ts), where they cost the sender nothing. Azure queue messages hold 64 KB of base64
 * text, so inputs are packed into as few messages as fit, and an input that alone would not fit is
 * stored in the claims table first and enqueued by reference (claim check).
 */
import type { Store } from '../store/index.js';
import type { ItemMessage, QueueMessage } from '../store/messages.js';
import { activeTraceparent } from '../telemetry/index.js';

/** JSON bytes whose base64 stays within the 64 KiB queue-message limit (64 KiB × 3/4 = 49,152), with room to spare. */
export const MAX_MESSAGE_JSON_BYTES = 48_000;

/** `{"kind":"batch","items":[` … `]}` around the items' JSON, joined by commas. */
const BATCH_OVERHEAD = Buffer.byteLength('{"kind":"batch","items":[]}');

interface Sized {
  item: ItemMessage;
  bytes: number;
}

/** Consecutive inputs packed into messages of at most MAX_MESSAGE_JSON_BYTES; an input too large alone is left for a claim. */
function pack(items: ItemMessage[]): { messages: QueueMessage[]; oversized: ItemMessage[] } {
  const messages: QueueMessage[] = [];
  const oversized: ItemMessage[] = [];
  let group: Sized[] = [];
  let groupBytes = BATCH_OVERHEAD;
  const flush = () => {
    if (group.length === 1) messages.push(group[0]!.item);
    else if (group.length > 1) messages.push({ kind: 'batch', items: group.map((g) => g.item) });
    group = [];
    groupBytes = BATCH_OVERHEAD;
  };
  for (const item of items) {
    const bytes = Buffer.byteLength(JSON.stringify(item));
    if (bytes > MAX_MESSAGE_JSON_BYTES) {
      oversized.push(item);
      continue;
    }
    if (groupBytes + bytes + 1 > MAX_MESSAGE_JSON_BYTES) flush();
    group.push({ item, bytes });
    groupBytes += bytes + 1;
  }
  flush();
  return { messages, oversized };
}

export async function enqueue(store: Store, items: ItemMessage[], at: Date): Promise<void> {
  const { messages, oversized } = pack(items);
  // Each message carries the receiving request's trace, so its decision is telemetry of the same operation.
  const traceparent = activeTraceparent();
  const send = (message: QueueMessage) => store.queue.send(traceparent === undefined ? message : { ...message, traceparent });
  await Promise.all([
    ...messages.map(send),
    // The claim row is written before its message: a message never names a claim that is not there yet.
    ...oversized.map(async (item) => send({ kind: 'claim', claimId: await store.claims.put(item, at) })),
  ]);
}
