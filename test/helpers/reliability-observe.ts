/**
 * What the sandbox answered, when: every Graph call (a `$batch` item counts as its own call) with its
 * status and Retry-After, and every Dataverse admission. From these the tests measure whether the
 * service waited out each Retry-After before asking again, and how often it asked.
 */
import type { FaultSide, TenantSandbox } from '../../sandbox/index.js';

export interface Answered {
  at: number;
  method: string;
  path: string;
  /** HTTP status, or 0 for a dropped connection. */
  status: number;
  retryAfterMs: number | null;
}

export interface Admitted {
  at: number;
  outcome: string;
  retryAfterMs: number | null;
}

export interface Observer {
  graph: Answered[];
  dataverse: Admitted[];
}

export function observe(sb: TenantSandbox): Observer {
  const seen: Observer = { graph: [], dataverse: [] };
  const execute = sb.graph.execute.bind(sb.graph);
  sb.graph.execute = async (request, caller) => {
    const answer = await execute(request, caller);
    const status = answer === 'drop' ? 0 : answer.status;
    const header = answer === 'drop' ? undefined : answer.headers['Retry-After'];
    seen.graph.push({ at: Date.now(), method: request.method, path: request.path.toLowerCase(), status, retryAfterMs: header === undefined ? null : Number(header) * 1000 });
    return answer;
  };
  const admit = sb.faults.admit.bind(sb.faults);
  sb.faults.admit = (side: FaultSide, key: string | undefined) => {
    const admission = admit(side, key);
    if (side === 'dataverse') {
      seen.dataverse.push({ at: Date.now(), outcome: admission.outcome, retryAfterMs: admission.outcome === 'throttled' ? admission.retryAfterSeconds * 1000 : null });
    }
    return admission;
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
 * For each Graph 429 on an item that was asked again: the Retry-After and the time until it was. A
 * `$batch` envelope is no item (each batch carries other requests), so it is left out.
 */
export function graphRetryGaps(answered: Answered[]): RetryAfterGap[] {
  const gaps: RetryAfterGap[] = [];
  answered.forEach((a, i) => {
    if (a.status !== 429 || a.retryAfterMs === null || a.path.startsWith('/$batch')) return;
    const next = answered.slice(i + 1).find((b) => b.method === a.method && b.path === a.path);
    if (next) gaps.push({ path: a.path, retryAfterMs: a.retryAfterMs, gapMs: next.at - a.at });
  });
  return gaps;
}
