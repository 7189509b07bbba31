/**
 * The recording side of the Graph conformance check: every call a sandbox answers is checked against
 * the metadata extract as it happens, and the violations are kept for the test to assert on.
 */
import type { GraphExchange } from '../../sandbox/index.js';
import { GraphMetadata } from './graph-metadata.js';

export interface GraphConformance {
  /** Hand to the sandbox's `graph.record`. */
  record(exchange: GraphExchange): void;
  /** Calls checked so far. */
  readonly checked: number;
  /** One line per violation, with the call. */
  readonly violations: string[];
}

export function graphConformance(metadata = new GraphMetadata()): GraphConformance {
  const violations: string[] = [];
  let checked = 0;
  return {
    record({ request, response }) {
      if (response === 'drop') return;
      checked += 1;
      const found = metadata.check({ method: request.method, path: request.path, query: request.query, body: request.body, status: response.status, responseBody: response.body });
      for (const v of found) if (!violations.includes(v)) violations.push(v);
    },
    get checked() {
      return checked;
    },
    violations,
  };
}
