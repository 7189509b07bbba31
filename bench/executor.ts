/**
 * The executor the bench plugs into the processor's seam: the service's own (src/app/execute-seam.ts:
 * store ports, sandbox clients, execution budget, pending → retry), with a switch between the two Outlook
 * strategies compared — the `$batch` fan-out and one request at a time — and a count of what the fan-out sent.
 */
import { createExecuteSeam, executorDeps } from '../src/app/execute-seam.js';
import type { Config } from '../src/config.js';
import { graphOutlookOps } from '../src/execute/adapters.js';
import { createExecutor } from '../src/execute/executor.js';
import type { OutlookOps } from '../src/execute/ports.js';
import type { Execute } from '../src/pipeline/processor.js';
import { systemClock } from '../src/net/retry.js';
import type { Store } from '../src/store/index.js';
import type { BenchInfra } from './infra.js';
import { oneAtATimeOutlookOps } from './one-at-a-time.js';

export type Strategy = 'batched' | 'one-at-a-time';

export interface BenchExecutors {
  /** The processor's seam. */
  execute: Execute;
  use(strategy: Strategy): void;
  /** Items the `$batch` fan-out sent since the last `use` (first attempts and retries). */
  itemsSent(): number;
  /** Resolves when no execution is running. */
  idle(): Promise<void>;
}

/** The composition root's executor and seam (src/app), with the Outlook port switchable and counted. */
export function createBenchExecutors(infra: BenchInfra, config: Config, store: Store): BenchExecutors {
  let items = 0;
  const deps = executorDeps({ config, store, graph: infra.graph, dataverse: infra.dataverse, clock: systemClock });
  const batched = graphOutlookOps(infra.graph, { clock: systemClock, onBatch: ({ size }) => (items += size) });
  const outlook: Record<Strategy, OutlookOps> = { batched, 'one-at-a-time': oneAtATimeOutlookOps(infra.graph, batched) };
  const seams = {
    batched: createExecuteSeam(createExecutor({ ...deps, outlook: outlook.batched })),
    'one-at-a-time': createExecuteSeam(createExecutor({ ...deps, outlook: outlook['one-at-a-time'] })),
  };
  let current: Strategy = 'batched';
  let running = 0;
  return {
    async execute(decision, facts, event) {
      running += 1;
      try {
        return await seams[current](decision, facts, event);
      } finally {
        running -= 1;
      }
    },
    use(strategy) {
      current = strategy;
      items = 0;
    },
    itemsSent: () => items,
    async idle() {
      while (running > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}
