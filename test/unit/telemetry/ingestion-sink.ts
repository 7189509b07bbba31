/**
 * A loopback stand-in for Application Insights' ingestion endpoint: HTTPS (the exporter's connection
 * string parser makes every endpoint https), `POST /v2.1/track` with a JSON array of Breeze envelopes,
 * gzip when the exporter compresses (it does for Microsoft's hosts only), answered as the service answers
 * (`itemsReceived`, `itemsAccepted`, `errors`). Live metrics posts to the same host (LiveEndpoint); those
 * calls are answered 200 and kept apart.
 *
 * `rows()` maps what arrived to the classic Application Insights tables the queries read, one envelope a
 * row, as the ingestion service stores them (baseData.properties → customDimensions, tags → operation_Id,
 * cloud_RoleName; a metric data point's value is the sum over `count` measurements → valueSum, valueCount).
 */
import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { createCertificate } from '../../../sandbox/tls.js';

export interface Envelope {
  name: string;
  time: string;
  iKey: string;
  tags: Record<string, string>;
  data: { baseType: string; baseData: Record<string, unknown> & { properties?: Record<string, string> } };
}

export interface IngestionSink {
  /** https://127.0.0.1:<port>/ */
  url: string;
  /** The certificate to trust (NODE_EXTRA_CA_CERTS of the process that sends). */
  ca: string;
  envelopes: Envelope[];
  /** Every request body as text, for "no secret anywhere" checks. */
  bodies: string[];
  paths: string[];
  close(): Promise<void>;
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return (request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
}

export async function startIngestionSink(): Promise<IngestionSink> {
  const { cert, key } = await createCertificate();
  const envelopes: Envelope[] = [];
  const bodies: string[] = [];
  const paths: string[] = [];
  const server = createServer({ cert, key }, (request, response) => {
    void body(request).then((text) => {
      const path = (request.url ?? '').split('?')[0]!;
      paths.push(path);
      bodies.push(text);
      let received = 0;
      if (request.method === 'POST' && path === '/v2.1/track') {
        const items = JSON.parse(text) as Envelope[];
        envelopes.push(...items);
        received = items.length;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ itemsReceived: received, itemsAccepted: received, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/`,
    ca: cert,
    envelopes,
    bodies,
    paths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Columns every table row carries (the ones the queries and these tests read). */
interface Common {
  timestamp: string;
  operation_Id: string;
  operation_ParentId: string;
  cloud_RoleName: string;
  customDimensions: Record<string, string>;
}
export type CustomEventRow = Common & { name: string };
export type RequestRow = Common & { id: string; name: string; url: string; resultCode: string };
export type CustomMetricRow = Common & { name: string; valueSum: number; valueCount: number; valueMax: number };

export function rows(envelopes: readonly Envelope[]) {
  const common = (e: Envelope): Common => ({
    timestamp: e.time,
    operation_Id: e.tags['ai.operation.id'] ?? '',
    operation_ParentId: e.tags['ai.operation.parentId'] ?? '',
    cloud_RoleName: e.tags['ai.cloud.role'] ?? '',
    customDimensions: e.data.baseData.properties ?? {},
  });
  const of = (baseType: string) => envelopes.filter((e) => e.data.baseType === baseType);
  return {
    customEvents: of('EventData').map((e): CustomEventRow => ({ ...common(e), name: String(e.data.baseData.name) })),
    requests: of('RequestData').map(
      (e): RequestRow => ({ ...common(e), id: String(e.data.baseData.id), name: String(e.data.baseData.name), url: String(e.data.baseData.url), resultCode: String(e.data.baseData.responseCode) }),
    ),
    customMetrics: of('MetricData').flatMap((e) =>
      (e.data.baseData.metrics as { name: string; value: number; count?: number; max?: number }[]).map(
        (m): CustomMetricRow => ({ ...common(e), name: m.name, valueSum: m.value, valueCount: m.count ?? 1, valueMax: m.max ?? m.value }),
      ),
    ),
  };
}
