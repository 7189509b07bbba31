/**
 * The `changes` queue and its poison queue. Message text is base64 of UTF-8 JSON, the encoding the
 * Functions queue trigger expects with `messageEncoding: base64` (host.json), so both hosts read the same.
 */
import type { QueueClient } from '@azure/storage-queue';
import { guard, statusOf } from './errors.js';
import type { QueueMessage } from './messages.js';

export interface ReceivedMessage {
  messageId: string;
  popReceipt: string;
  dequeueCount: number;
  /** Decoded message text (JSON, unless something else put it there). */
  text: string;
}

export interface ChangeQueue {
  send(message: QueueMessage): Promise<void>;
  /** Leases up to `max` messages for `leaseSeconds`. */
  receive(max: number, leaseSeconds: number): Promise<ReceivedMessage[]>;
  /** Deletes a processed message. */
  complete(message: ReceivedMessage): Promise<void>;
  /** Makes a failed message visible again after `delaySeconds` (the Functions `visibilityTimeout`). */
  retryLater(message: ReceivedMessage, delaySeconds: number): Promise<void>;
  /** Copies the message text to the poison queue (the caller then completes the original). */
  poison(message: ReceivedMessage): Promise<void>;
  /** Up to `max` (at most 32, the service's limit for one peek) poison messages, oldest first, left in place. */
  peekPoisoned(max: number): Promise<PoisonedMessage[]>;
  /**
   * Moves one poison message back to the main queue (sent first, then removed, so a crash in between
   * leaves a duplicate, never a loss). False when no visible poison message has that id.
   */
  requeuePoisoned(messageId: string): Promise<boolean>;
}

export interface PoisonedMessage {
  messageId: string;
  insertedOn: string | null;
  /** Decoded message text. */
  text: string;
}

/** How many poison messages one requeue looks through for the id it was given (one receive call). */
const REQUEUE_SCAN = 32;
/** How long the looked-through messages stay hidden if handing them back fails. */
const REQUEUE_LEASE_SECONDS = 30;

export function encodeMessageText(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** Base64 as written by this service and the Functions host; plain text from anything else. */
export function decodeMessageText(text: string): string {
  const trimmed = text.trim();
  if (/^[A-Za-z0-9+/]*={0,2}$/.test(trimmed) && trimmed.length % 4 === 0) {
    const decoded = Buffer.from(trimmed, 'base64').toString('utf8');
    if (Buffer.from(decoded, 'utf8').toString('base64') === trimmed) return decoded;
  }
  return text;
}

/** A queue created on first use, and again if it vanished (a restarted in-memory Azurite). */
function lazyQueue(client: QueueClient) {
  let ready: Promise<unknown> | undefined;
  const ensure = () => {
    ready ??= guard(`creation of queue ${client.name}`, () => client.createIfNotExists()).catch((error: unknown) => {
      ready = undefined;
      throw error;
    });
    return ready;
  };
  return async <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    await ensure();
    return guard(`${operation} on queue ${client.name}`, async () => {
      try {
        return await call();
      } catch (error) {
        if (statusOf(error) !== 404 || (error as { code?: string }).code !== 'QueueNotFound') throw error;
        ready = undefined;
        await ensure();
        return call();
      }
    });
  };
}

export function createChangeQueue(main: QueueClient, poisonQueue: QueueClient): ChangeQueue {
  const onMain = lazyQueue(main);
  const onPoison = lazyQueue(poisonQueue);
  return {
    async send(message) {
      await onMain('send', () => main.sendMessage(encodeMessageText(JSON.stringify(message))));
    },
    async receive(max, leaseSeconds) {
      const response = await onMain('receive', () =>
        main.receiveMessages({ numberOfMessages: max, visibilityTimeout: leaseSeconds }),
      );
      return response.receivedMessageItems.map((m) => ({
        messageId: m.messageId,
        popReceipt: m.popReceipt,
        dequeueCount: m.dequeueCount,
        text: decodeMessageText(m.messageText),
      }));
    },
    async complete(message) {
      await onMain('delete', async () => {
        try {
          await main.deleteMessage(message.messageId, message.popReceipt);
        } catch (error) {
          // Already deleted (or lease lost to another worker, which will finish it).
          if (statusOf(error) !== 404) throw error;
        }
      });
    },
    async retryLater(message, delaySeconds) {
      await onMain('update', () =>
        main.updateMessage(message.messageId, message.popReceipt, undefined, delaySeconds),
      );
    },
    async peekPoisoned(max) {
      const response = await onPoison('peek', () => poisonQueue.peekMessages({ numberOfMessages: Math.min(Math.max(max, 1), 32) }));
      return response.peekedMessageItems.map((m) => ({
        messageId: m.messageId,
        insertedOn: m.insertedOn?.toISOString() ?? null,
        text: decodeMessageText(m.messageText),
      }));
    },
    async requeuePoisoned(messageId) {
      const response = await onPoison('receive', () =>
        poisonQueue.receiveMessages({ numberOfMessages: REQUEUE_SCAN, visibilityTimeout: REQUEUE_LEASE_SECONDS }),
      );
      let found = false;
      for (const m of response.receivedMessageItems) {
        if (m.messageId === messageId && !found) {
          found = true;
          await onMain('send', () => main.sendMessage(encodeMessageText(decodeMessageText(m.messageText))));
          await onPoison('delete', () => poisonQueue.deleteMessage(m.messageId, m.popReceipt));
        } else {
          // Looked at, not taken: visible again at once.
          await onPoison('update', () => poisonQueue.updateMessage(m.messageId, m.popReceipt, undefined, 0));
        }
      }
      return found;
    },
    async poison(message) {
      // Poisoned messages must outlive the default 7-day time-to-live: -1 keeps them until removed.
      await onPoison('send', () =>
        poisonQueue.sendMessage(encodeMessageText(message.text), { messageTimeToLive: -1 }),
      );
    },
  };
}
