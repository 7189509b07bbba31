/**
 * The one-request-at-a-time baseline: the executor's Outlook port with its `$batch` fan-out replaced by
 * single requests, each awaited before the next, through the same Graph SDK client. The SDK's own retry
 * handler deals with 429s (it honours Retry-After), as a straightforward implementation would rely on.
 */
import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import type { ItemOp, OpOutcome } from '../src/graph/batch.js';
import type { OutlookOps } from '../src/execute/ports.js';

async function sendOne(client: Client, op: ItemOp): Promise<OpOutcome> {
  try {
    const request = client.api(op.url);
    if (op.method === 'DELETE') await request.delete();
    else await request.post(op.body ?? {});
    return { key: op.key, status: 'done', httpStatus: 204, code: null, attempts: 1, detail: 'single request' };
  } catch (error) {
    const status = error instanceof GraphError ? error.statusCode : null;
    const code = error instanceof GraphError ? error.code : null;
    if (status === 404) return { key: op.key, status: 'already-gone', httpStatus: 404, code, attempts: 1, detail: 'HTTP 404' };
    return { key: op.key, status: 'failed', httpStatus: status, code, attempts: 1, detail: (error as Error).message };
  }
}

export function oneAtATimeOutlookOps(client: Client, batched: OutlookOps): OutlookOps {
  return {
    ...batched,
    async fanOut(ops) {
      const outcomes: OpOutcome[] = [];
      for (const op of ops) outcomes.push(await sendOne(client, op));
      return outcomes;
    },
  };
}
