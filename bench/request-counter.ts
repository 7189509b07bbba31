/**
 * Counts the HTTP requests this process sends, per origin, with the time each was sent, by standing in
 * as the global undici dispatcher (which Node's fetch — and so the Graph SDK and the Dataverse client —
 * goes through). It also trusts the sandbox CA, as src/net/ca.ts does for the service.
 */
import tls from 'node:tls';
import { Agent, setGlobalDispatcher, type Dispatcher } from 'undici';

class CountingAgent extends Agent {
  readonly sent = new Map<string, number[]>();

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const origin = String(options.origin ?? '');
    let times = this.sent.get(origin);
    if (times === undefined) this.sent.set(origin, (times = []));
    times.push(Date.now());
    return super.dispatch(options, handler);
  }
}

export interface RequestCounter {
  /** Requests sent to `origin` (e.g. the sandbox's graphUrl) so far. */
  count(origin: string): number;
  /** When each request to `origin` at or after `since` (epoch ms) was sent, in order. */
  sentSince(origin: string, since: number): number[];
}

export function installRequestCounter(ca: string): RequestCounter {
  const agent = new CountingAgent({ connect: { ca: [...tls.rootCertificates, ca] } });
  setGlobalDispatcher(agent);
  const times = (origin: string) => agent.sent.get(new URL(origin).origin) ?? [];
  return {
    count: (origin) => times(origin).length,
    sentSince: (origin, since) => times(origin).filter((t) => t >= since),
  };
}
