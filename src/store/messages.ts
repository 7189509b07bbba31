/**
 * Messages on the `changes` queue. Change events go to the processor; lifecycle notices (Graph
 * subscription reauthorization, removal, missed notifications) go to the subscription manager.
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

export const QueueMessage = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('change'), event: DomainEvent, traceparent: Traceparent }),
  z.object({ kind: z.literal('lifecycle'), notice: LifecycleNotice, traceparent: Traceparent }),
]);

export type LifecycleNotice = z.infer<typeof LifecycleNotice>;

/** State-table namespace where lifecycle notices wait while no subscription manager is configured. */
export const PENDING_LIFECYCLE_NAMESPACE = 'lifecycle-pending';
export type QueueMessage = z.infer<typeof QueueMessage>;

export type EnqueueResult = 'enqueued' | 'duplicate';
/** Enqueue once per key: the pipeline's enqueueOnce, handed to lower parts (delta catch-up) by the composition root. */
export type EnqueueOnce = (key: string, message: QueueMessage, at: Date) => Promise<EnqueueResult>;
