/**
 * Request and dependency telemetry carries URLs: Dataverse posts the webhook key as `?code=`, Graph
 * sends `?validationToken=`, storage SAS URLs carry `sig=`. This span processor rewrites every URL
 * attribute through the logger's redaction before anything reads it: at start (live metrics and standard
 * metrics read spans when they end, in the processor ahead of this one) and again at the end, for
 * attributes an instrumentation sets later.
 */
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { redactText } from '../log.js';

type SpanProcessor = NonNullable<AzureMonitorOpenTelemetryOptions['spanProcessors']>[number];
type StartedSpan = Parameters<SpanProcessor['onStart']>[0];
type EndedSpan = Parameters<SpanProcessor['onEnd']>[0];

/** The attributes HTTP instrumentation writes URLs into (old and stable semantic conventions). */
export const URL_ATTRIBUTES = ['http.url', 'url.full', 'http.target', 'url.query'] as const;

function redacted(attributes: Readonly<Record<string, unknown>>): [string, string][] {
  const changed: [string, string][] = [];
  for (const name of URL_ATTRIBUTES) {
    const value = attributes[name];
    if (typeof value !== 'string') continue;
    // url.query holds the query without its '?', which the redaction keys on.
    const clean = name === 'url.query' ? redactText(`?${value}`).slice(1) : redactText(value);
    if (clean !== value) changed.push([name, clean]);
  }
  return changed;
}

export function urlRedactingSpanProcessor(): SpanProcessor {
  return {
    onStart(span: StartedSpan) {
      const attributes = (span as unknown as { attributes?: Record<string, unknown> }).attributes ?? {};
      for (const [name, value] of redacted(attributes)) span.setAttribute(name, value);
    },
    onEnd(span: EndedSpan) {
      // An ended span ignores setAttribute; its attribute object is still the one the exporter reads.
      const attributes = span.attributes as Record<string, unknown>;
      for (const [name, value] of redacted(attributes)) attributes[name] = value;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
}
