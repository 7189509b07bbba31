/**
 * What the sandbox answered, when: every Graph call (a `$batch` item counts as its own call) and every
 * Dataverse Web API request, with status and Retry-After. From these the tests measure whether the
 * service waited out each Retry-After before asking again, and how often it asked.
 */
import diagnostics from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TenantSandbox } from '../../sandbox/index.js';

export interface Answered {
  at: number;
  method: string;
  path: string;
  /** HTTP status, or 0 for a dropped connection. */
  status: number;
  retryAfterMs: number | null;
}

export interface Observer {
  graph: Answered[];
  /** Every HTTP request the Dataverse Web API answered (method, URL, status, Retry-After). */
  dataverseHttp: Answered[];
}

export function observe(sb: TenantSandbox): Observer {
  const seen: Observer = { graph: [], dataverseHttp: [] };
  const dataversePort = Number(new URL(sb.dataverseUrl).port);
  // Node publishes every finished server response; the sandbox's Dataverse listener is one of them.
  diagnostics.subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    if (request.socket.localPort !== dataversePort) return;
    // Fastify passes headers to writeHead, where getHeader() cannot see them; the head as sent has them.
    const head = String((response as unknown as { _header?: string })._header ?? '');
    const header = /\r\nretry-after:\s*([^\r]+)/i.exec(head)?.[1];
    seen.dataverseHttp.push({
      at: Date.now(),
      method: request.method ?? '',
      path: (request.url ?? '').split('?')[0]!.toLowerCase(),
      status: response.statusCode,
      retryAfterMs: header === undefined ? null : Number(header) * 1000,
    });
  });
  const execute = sb.graph.execute.bind(sb.graph);
  sb.graph.execute = async (request, caller) => {
    const answer = await execute(request, caller);
    const status = answer === 'drop' ? 0 : answer.status;
    const header = answer === 'drop' ? undefined : answer.headers['Retry-After'];
    seen.graph.push({ at: Date.now(), method: request.method, path: request.path.toLowerCase(), status, retryAfterMs: header === undefined ? null : Number(header) * 1000 });
    return answer;
  };
  return seen;
}

export interface RetryAfterGap {
  path: string;
  retryAfterMs: number;
  /** Time from the 429 to the next request for the same item. */
  gapMs: number;
}

/**
 * For each 429 on an item that was asked again: the Retry-After and the time until it was (from the
 * answer to the next answer for the same method and path, so the gap is a lower bound of the wait). A
 * `$batch` envelope is no item (each batch carries other requests), so it is left out.
 */
export function retryGaps(answered: Answered[]): RetryAfterGap[] {
  const gaps: RetryAfterGap[] = [];
  answered.forEach((a, i) => {
    if (a.status !== 429 || a.retryAfterMs === null || a.path.startsWith('/$batch')) return;
    const next = answered.slice(i + 1).find((b) => b.method === a.method && b.path === a.path);
    if (next) gaps.push({ path: a.path, retryAfterMs: a.retryAfterMs, gapMs: next.at - a.at });
  });
  return gaps;
}
