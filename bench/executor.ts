/**
 * The executor the bench plugs into the processor's seam: the real one (src/execute) over the store and
 * the sandbox clients, with a switch between the two Outlook strategies compared — the `$batch` fan-out
 * and one request at a time — and counters for what the fan-out sent.
 */
import { dataverseCrmOps, dataverseMailboxResolver, graphOutlookOps } from '../src/execute/adapters.js';
import { createExecutor } from '../src/execute/executor.js';
import type { OutlookOps, TombstoneWriter } from '../src/execute/ports.js';
import { toRecordOutcomes } from '../src/execute/record-outcomes.js';
import { storeFollowUps, storeLinks } from '../src/execute/store-ports.js';
import type { Execute } from '../src/handlers/processor.js';
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

/** Long enough for the slowest baseline (500 single requests at 50 ms and their retries). */
const BUDGET_MS = 5 * 60_000;

function storeTombstones(store: Store): TombstoneWriter {
  return {
    write: (target, decisionId) => store.tombstones.put({ target, decisionId, createdAt: new Date().toISOString() }),
    remove: (target) => store.tombstones.remove(target),
  };
}

export function createBenchExecutors(infra: BenchInfra, store: Store): BenchExecutors {
  const tombstones = storeTombstones(store);
  let items = 0;
  const batched = graphOutlookOps(infra.graph, { onBatch: ({ size }) => (items += size) });
  const outlook: Record<Strategy, OutlookOps> = { batched, 'one-at-a-time': oneAtATimeOutlookOps(infra.graph, batched) };
  const executorFor = (strategy: Strategy) =>
    createExecutor({
      tombstones,
      links: storeLinks(store),
      followUps: storeFollowUps(store),
      mailboxes: dataverseMailboxResolver(infra.dataverse),
      outlook: outlook[strategy],
      crm: dataverseCrmOps(infra.dataverse),
      clock: systemClock,
      dryRun: false,
      budgetMs: BUDGET_MS,
    });
  const executors = { batched: executorFor('batched'), 'one-at-a-time': executorFor('one-at-a-time') };
  let current: Strategy = 'batched';
  let running = 0;
  return {
    async execute(decision, facts, event) {
      running += 1;
      try {
        return toRecordOutcomes(await executors[current].execute(decision, facts, event));
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
