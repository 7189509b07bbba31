/**
 * Timers: the subscription check and the To Do poll from the shared timer table (src/handlers/timers.ts),
 * on its NCRONTAB schedules, over the worker process's one service.
 */
import azfunc, { type InvocationContext, type Timer } from '@azure/functions';
import { DeleteSyncError } from '../src/errors.js';
import { TIMERS, type SyncJobs } from '../src/handlers/timers.js';
import { functionsService } from './lib/runtime.js';

const { app } = azfunc;

/** The process's one service (shared with the HTTP and queue functions). */
function syncJobs(): SyncJobs {
  const { sync } = functionsService();
  if (sync === null) throw new DeleteSyncError('DS_ERR_CONFIG', 'DATAVERSE_URL is required for the sync timers', { field: 'DATAVERSE_URL' });
  return sync;
}

export async function subscriptionCheck(_timer: Timer, _context: InvocationContext): Promise<void> {
  await TIMERS.subscriptionCheck.run(syncJobs());
}

export async function todoPoll(_timer: Timer, _context: InvocationContext): Promise<void> {
  await TIMERS.todoPoll.run(syncJobs());
}

app.timer('subscriptionCheck', { schedule: TIMERS.subscriptionCheck.schedule, runOnStartup: false, handler: subscriptionCheck });
app.timer('todoPoll', { schedule: TIMERS.todoPoll.schedule, runOnStartup: false, handler: todoPoll });
