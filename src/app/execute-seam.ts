/**
 * The executor behind the processor's `execute` seam: its ports over the store and the real clients,
 * and its outcomes in the decision record's shape. Work left `pending` (throttled past the budget,
 * upstream down) fails the message so the queue delivers it again; redelivery executes the stored
 * decision once more, where deletes already made answer 404 = already gone.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../config.js';
import type { DataverseClient } from '../dataverse/client.js';
import { DeleteSyncError } from '../errors.js';
import { dataverseMailboxResolver } from '../dataverse/mailbox-resolver.js';
import { dataverseCrmOps, graphOutlookOps } from '../execute/adapters.js';
import type { Executor } from '../execute/executor.js';
import { hasPending } from '../execute/outcome.js';
import type { ExecutorDeps, TombstoneWriter } from '../execute/ports.js';
import { toRecordOutcomes } from '../execute/record-outcomes.js';
import { storeFollowUps, storeLinks } from '../execute/store-ports.js';
import type { Execute } from '../pipeline/processor.js';
import type { Clock } from '../net/retry.js';
import type { Store } from '../store/index.js';

/**
 * One execution's time: well inside the lease a message is held for (the worker and the Functions host
 * hold it 10 minutes), so a message is never delivered twice at once.
 */
export const EXECUTION_BUDGET_MS = 120_000;

function storeTombstones(store: Pick<Store, 'tombstones'>, clock: Clock): TombstoneWriter {
  return {
    write: (target, decisionId) => store.tombstones.put({ target, decisionId, createdAt: new Date(clock.now()).toISOString() }),
    writeMany: (targets, decisionId) => {
      const createdAt = new Date(clock.now()).toISOString();
      return store.tombstones.putMany(targets.map((target) => ({ target, decisionId, createdAt })));
    },
    remove: (target) => store.tombstones.remove(target),
  };
}

export function executorDeps(parts: { config: Config; store: Store; graph: Client; dataverse: DataverseClient; clock: Clock }): ExecutorDeps {
  const { config, store, graph, dataverse, clock } = parts;
  return {
    tombstones: storeTombstones(store, clock),
    links: storeLinks(store),
    followUps: storeFollowUps(store),
    mailboxes: dataverseMailboxResolver(dataverse),
    outlook: graphOutlookOps(graph, { clock }),
    crm: dataverseCrmOps(dataverse),
    clock,
    dryRun: config.dryRun,
    budgetMs: EXECUTION_BUDGET_MS,
  };
}

export function createExecuteSeam(executor: Executor): Execute {
  return async (decision, facts, event) => {
    const outcomes = await executor.execute(decision, facts, event);
    if (hasPending(outcomes)) {
      const left = outcomes.filter((o) => o.status === 'pending').length;
      throw new DeleteSyncError('DS_ERR_UPSTREAM', `${left} target(s) not finished; the message will be retried`);
    }
    return toRecordOutcomes(outcomes);
  };
}
