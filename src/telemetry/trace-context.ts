/**
 * The request that received an input, carried through the queue: its W3C `traceparent` is written on
 * the queue message at enqueue time and put back around the processing of that message, so the
 * decision's custom event (and the Graph and Dataverse calls made for it) share the request's
 * operation_Id in Application Insights. Both are no-ops while telemetry is off: without a registered
 * propagator there is nothing to write, and a message without a traceparent is processed as it is.
 */
import { context, propagation } from '@opentelemetry/api';

/** The active trace context, as a traceparent; undefined when there is none (telemetry off, no request). */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** Runs `fn` as part of the trace `traceparent` names (the receiving request's); the propagator ignores a malformed one. */
export function withTraceparent<T>(traceparent: string | undefined, fn: () => T): T {
  if (traceparent === undefined) return fn();
  return context.with(propagation.extract(context.active(), { traceparent }), fn);
}
