/**
 * JSON batching (`POST /v1.0/$batch`): at most 20 requests, each routed through the same handlers and
 * the same per-mailbox limits as a direct call, so each can get its own 429 with its own Retry-After.
 * Requests without `dependsOn` run in parallel, but Outlook requests (mailbox items: events, messages,
 * contacts, folders, To Do) at most four at a time per batch, as Graph sends them to Outlook ("Combine
 * multiple HTTP requests using JSON batching"); a failed dependency answers 424. The outer status is 200
 * whatever the items' statuses; responses come back in completion order, not request order.
 */
import { z } from 'zod';
import { batchInput, type BatchRequestItem } from './schemas.js';
import { badRequest, graphError, json, type GraphResponse } from './responses.js';

export const maxBatchRequests = 20;
/** Outlook requests of one batch Graph runs at once. */
export const outlookRequestsAtOnce = 4;

const OUTLOOK_PATH = /^\/?(v1\.0\/)?(users\/[^/]+|me)\/(events|calendar|calendars|calendarview|calendargroups|messages|mailfolders|contacts|contactfolders|todo)\b/i;

/** Runs at most `limit` tasks at once, in the order they ask. */
function gate(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await task();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

export interface SubRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
}

export type Execute = (request: SubRequest) => Promise<GraphResponse>;

export async function runBatch(body: unknown, execute: Execute): Promise<GraphResponse> {
  const parsed = batchInput.safeParse(body);
  if (!parsed.success) return badRequest(`Invalid batch payload: ${z.prettifyError(parsed.error).split('\n')[0] ?? ''}`);
  const { requests } = parsed.data;
  if (requests.length > maxBatchRequests) return badRequest(`Number of batch request steps exceeds the maximum of ${maxBatchRequests}.`);
  if (new Set(requests.map((r) => r.id)).size !== requests.length) return badRequest('Batch request contains duplicate request ids.');
  const ids = new Set(requests.map((r) => r.id));
  const missing = requests.find((r) => r.dependsOn?.some((d) => !ids.has(d)));
  if (missing) return badRequest(`Request '${missing.id}' depends on a request that is not in the batch.`);

  const done = new Map<string, Promise<GraphResponse>>();
  const responses: Record<string, unknown>[] = [];
  const outlook = gate(outlookRequestsAtOnce);
  const start = (item: BatchRequestItem): Promise<GraphResponse> => {
    let running = done.get(item.id);
    if (!running) {
      running = (async () => {
        const deps = await Promise.all((item.dependsOn ?? []).map((id) => start(requests.find((r) => r.id === id) as BatchRequestItem)));
        if (deps.some((d) => d.status >= 400)) return graphError(424, 'FailedDependency', 'The request failed because it depended on a request that failed.');
        return OUTLOOK_PATH.test(item.url) ? outlook(() => runOne(item, execute)) : runOne(item, execute);
      })();
      done.set(item.id, running);
      void running.then((response) => responses.push({ id: item.id, status: response.status, headers: response.headers, ...(response.body !== undefined ? { body: response.body } : {}) }));
    }
    return running;
  };
  await Promise.all(requests.map(start));
  return json(200, { responses });
}

async function runOne(item: BatchRequestItem, execute: Execute): Promise<GraphResponse> {
  if (/^https?:/i.test(item.url)) return badRequest('Batch request URLs must be relative.');
  const headers = Object.fromEntries(Object.entries(item.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  if (item.body !== undefined && !headers['content-type']) return badRequest('Content-Type header is required when a request body is present.');
  const [rawPath, rawQuery] = item.url.replace(/^\/?(v1\.0\/)?/i, '/').split('?') as [string, string | undefined];
  if (/^\/\$batch\/?$/i.test(rawPath)) return badRequest('A batch request cannot contain another batch request.');
  return execute({ method: item.method.toUpperCase(), path: rawPath, query: new URLSearchParams(rawQuery ?? ''), headers, body: item.body });
}
