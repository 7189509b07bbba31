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
}

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
    async poison(message) {
      // Poisoned messages must outlive the default 7-day time-to-live: -1 keeps them until removed.
      await onPoison('send', () =>
        poisonQueue.sendMessage(encodeMessageText(message.text), { messageTimeToLive: -1 }),
      );
    },
  };
}
