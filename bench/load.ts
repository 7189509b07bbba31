/**
 * One load step with autocannon: a fixed offered rate (`overallRate`) for a fixed time, each request's
 * body made fresh by `next()`. Latencies are autocannon's, corrected for coordinated omission (a request
 * that could not be sent on time because the server was slow counts the wait), so a saturated server
 * shows it in p99 instead of hiding it by sending less.
 */
import autocannon from 'autocannon';

export interface LoadRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadStep {
  offeredRate: number;
  /** Answered 2xx per second over the step. */
  sustainedRate: number;
  sent: number;
  ok: number;
  failed: number;
  timeouts: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** CPU time of this whole process (host, load generator, sandbox) per 2xx answer, in ms. */
  cpuMsPerAnswer: number;
}

export interface LoadOptions {
  durationSeconds: number;
  /** Open connections; enough that slow answers do not cap the rate below what is offered. */
  connections: number;
  /** Seconds before a request counts as timed out (Graph gives up after 3 s; Dataverse after 60 s). */
  timeoutSeconds: number;
}

export async function runLoadStep(baseUrl: string, rate: number, next: () => LoadRequest, options: LoadOptions): Promise<LoadStep> {
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: baseUrl,
    connections: Math.min(options.connections, rate),
    duration: options.durationSeconds,
    overallRate: rate,
    timeout: options.timeoutSeconds,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const { path, headers, body } = next();
          return { ...request, method: 'POST', path, headers, body };
        },
      },
    ],
  });
  const cpu = process.cpuUsage(cpuBefore);
  const ok = result['2xx'];
  return {
    offeredRate: rate,
    sustainedRate: ok / result.duration,
    sent: result.requests.sent,
    ok,
    failed: result.non2xx + result.errors,
    timeouts: result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    cpuMsPerAnswer: (cpu.user + cpu.system) / 1000 / Math.max(ok, 1),
  };
}
