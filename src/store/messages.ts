/**
 * Messages on the `changes` queue. Change events go to the processor; lifecycle notices (Graph
 * subscription reauthorization, removal, missed notifications) go to the subscription manager. A
 * receiver writes once per acknowledged request: the inputs of one Graph POST travel as one `batch`,
 * and an input too large for a queue message (64 KB) waits in the claims table, the message holding
 * only its `claim` id (claim check).
 */
import { z } from 'zod';
import { LifecycleEvent } from '../contracts/graph.js';
import { DomainEvent } from '../domain/event.js';

export const LifecycleNotice = z.object({
  /** Dedupe key: subscription + event + expiration. */
  id: z.string().min(1),
  subscriptionId: z.string().min(1),
  lifecycleEvent: LifecycleEvent,
  tenantId: z.string().nullable(),
  subscriptionExpirationDateTime: z.string().nullable(),
  receivedAt: z.string(),
});

/**
 * The W3C trace context of the request that received the input (src/telemetry/trace-context.ts), so its
 * processing is telemetry of the same operation. Absent while telemetry is off.
 */
const Traceparent = z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/).optional();

const ChangeMessage = z.object({ kind: z.literal('change'), event: DomainEvent, traceparent: Traceparent });
const LifecycleMessage = z.object({ kind: z.literal('lifecycle'), notice: LifecycleNotice, traceparent: Traceparent });

/** One input: what the processor (or the subscription manager) handles, deduplicated by its key. */
export const ItemMessage = z.discriminatedUnion('kind', [ChangeMessage, LifecycleMessage]);

export const QueueMessage = z.discriminatedUnion('kind', [
  ChangeMessage,
  LifecycleMessage,
  /** The inputs of one acknowledged request, in the order received. */
  z.object({ kind: z.literal('batch'), items: z.array(ItemMessage).min(1), traceparent: Traceparent }),
  /** Claim check: the input is in the claims table under this id, written before the enqueue. */
  z.object({ kind: z.literal('claim'), claimId: z.string().min(1), traceparent: Traceparent }),
]);

export type LifecycleNotice = z.infer<typeof LifecycleNotice>;
export type ItemMessage = z.infer<typeof ItemMessage>;

/** State-table namespace where lifecycle notices wait while no subscription manager is configured. */
export const PENDING_LIFECYCLE_NAMESPACE = 'lifecycle-pending';
export type QueueMessage = z.infer<typeof QueueMessage>;

/** The dedupe key of an input: the DomainEvent id, or the lifecycle notice id. */
export function itemKey(item: ItemMessage): string {
  return item.kind === 'change' ? item.event.id : item.notice.id;
}

/** Puts inputs on the queue (the pipeline's enqueue, handed to lower parts such as the delta catch-up by the composition root). */
export type Enqueue = (items: ItemMessage[]) => Promise<void>;
