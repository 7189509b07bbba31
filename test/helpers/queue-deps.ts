/** The queue handler's deps over a test store and a fixed clock, with an executor that answers every target done. */
import type { QueueHandlerDeps } from '../../src/handlers/queue-message.js';
import { silentLogger } from '../../src/log.js';
import type { Execute } from '../../src/pipeline/processor.js';
import type { Store } from '../../src/store/index.js';

export function allDone(at: Date, seen?: (eventId: string) => void): Execute {
  return async (decision, _facts, event) => {
    seen?.(event.id);
    return decision.targets.map((_, targetIndex) => ({ targetIndex, status: 'done' as const, httpStatus: 204, code: null, detail: 'deleted', at: at.toISOString() }));
  };
}

export function queueDeps(store: Store, now: Date, over: Partial<QueueHandlerDeps> = {}): QueueHandlerDeps {
  return { store, log: silentLogger, now: () => now, dryRun: false, maxDequeueCount: 5, poisonQueueName: 'changes-poison', execute: allDone(now), ...over };
}
