/**
 * URLs in request and dependency telemetry lose their secrets before anything reads them: the real SDK
 * tracer provider, the redacting processor, and processors before and after it (as the distro orders
 * them: its own span processor, which feeds live and standard metrics when a span ends, comes first).
 */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { urlRedactingSpanProcessor } from '../../../src/telemetry/redact-spans.js';

const KEY = 'webhook-key-0123456789abcdef';

function provider() {
  const exporter = new InMemorySpanExporter();
  const seenAtEndByEarlierProcessor: Record<string, unknown>[] = [];
  const earlier: SpanProcessor = {
    onStart: () => undefined,
    onEnd: (span: ReadableSpan) => void seenAtEndByEarlierProcessor.push({ ...span.attributes }),
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const tracer = new BasicTracerProvider({ spanProcessors: [earlier, urlRedactingSpanProcessor(), new SimpleSpanProcessor(exporter)] }).getTracer('test');
  return { tracer, exporter, seenAtEndByEarlierProcessor };
}

describe('urlRedactingSpanProcessor', () => {
  it('removes ?code= from an incoming request span, for the exporter and for processors that read spans at their end', () => {
    const { tracer, exporter, seenAtEndByEarlierProcessor } = provider();
    const span = tracer.startSpan('POST', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.method': 'POST',
        'http.url': `http://127.0.0.1:7071/api/dataverse/webhook?code=${KEY}`,
        'http.target': `/api/dataverse/webhook?code=${KEY}`,
        'url.full': `http://127.0.0.1:7071/api/dataverse/webhook?code=${KEY}`,
        'url.query': `code=${KEY}`,
      },
    });
    span.end();

    const [exported] = exporter.getFinishedSpans();
    expect(JSON.stringify(exported!.attributes)).not.toContain(KEY);
    expect(JSON.stringify(seenAtEndByEarlierProcessor)).not.toContain(KEY);
    expect(exported!.attributes['http.url']).toBe('http://127.0.0.1:7071/api/dataverse/webhook?code=[redacted]');
    expect(exported!.attributes['http.target']).toBe('/api/dataverse/webhook?code=[redacted]');
  });

  it('also catches a URL set after the span started (validation tokens, storage SAS signatures)', () => {
    const { tracer, exporter } = provider();
    const span = tracer.startSpan('GET', { kind: SpanKind.CLIENT });
    span.setAttribute('url.full', 'https://acct.queue.core.windows.net/changes/messages?sv=2024&sig=c2VjcmV0&se=2030');
    span.setAttribute('http.target', '/api/graph/notifications?validationToken=abc%20def');
    span.end();
    const attributes = exporter.getFinishedSpans()[0]!.attributes;
    expect(attributes['url.full']).toBe('https://acct.queue.core.windows.net/changes/messages?sv=2024&sig=[redacted]&se=2030');
    expect(attributes['http.target']).toBe('/api/graph/notifications?validationToken=[redacted]');
  });

  it('leaves URLs without secrets as they are', () => {
    const { tracer, exporter } = provider();
    tracer.startSpan('GET', { attributes: { 'http.url': 'https://graph.microsoft.com/v1.0/users/u1/events?$top=10' } }).end();
    expect(exporter.getFinishedSpans()[0]!.attributes['http.url']).toBe('https://graph.microsoft.com/v1.0/users/u1/events?$top=10');
  });
});
