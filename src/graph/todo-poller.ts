/**
 * To Do polling. Graph offers no app-only subscriptions to `todoTask`, so a timer runs the tasks delta of
 * every list of every synced mailbox from its stored delta link; removed tasks become delete events on
 * the queue (the same as any other delete). A list seen for the first time gets its baseline. One
 * mailbox failing (no To Do, access denied, throttled) is reported and does not stop the others.
 */
import { catchUp, type DeltaDeps } from './delta.js';
import { describeGraphFailure } from './errors.js';

export interface TodoPollResult {
  userId: string;
  lists: number;
  /** Lists polled for the first time (baseline only). */
  baselines: number;
  removed: number;
  enqueued: number;
  error: string | null;
}

export async function pollTodo(userIds: readonly string[], deps: DeltaDeps): Promise<TodoPollResult[]> {
  const log = deps.log.child({ component: 'todo-poller' });
  const results: TodoPollResult[] = [];
  for (const userId of userIds) {
    const result: TodoPollResult = { userId, lists: 0, baselines: 0, removed: 0, enqueued: 0, error: null };
    try {
      for (const round of await catchUp(userId, 'todoTask', deps)) {
        result.lists += 1;
        if (round.baseline) result.baselines += 1;
        result.removed += round.removed;
        result.enqueued += round.enqueued;
      }
    } catch (error) {
      result.error = describeGraphFailure(error);
      log.warn('To Do poll failed for a mailbox', { userId, detail: result.error });
    }
    results.push(result);
  }
  return results;
}
