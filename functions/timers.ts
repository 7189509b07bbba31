/**
 * Timers: the subscription check (create, renew at half life, recreate, remove) and the To Do poll. The
 * schedules are NCRONTAB; the self-hosted run uses SUBSCRIPTION_CHECK_MINUTES / TODO_POLL_MINUTES instead.
 */
import azfunc, { type InvocationContext, type Timer } from '@azure/functions';
import { DeleteSyncError } from '../src/errors.js';
import type { SyncServices } from '../src/sync/services.js';
import { functionsService } from './lib/runtime.js';

const { app } = azfunc;

/** Every 30 minutes: renewal happens at half of a 3- or 7-day lifetime, so this is frequent enough. */
export const SUBSCRIPTION_CHECK_SCHEDULE = '0 */30 * * * *';
/** Every 5 minutes: how late a To Do delete may be noticed. */
export const TODO_POLL_SCHEDULE = '0 */5 * * * *';

/** The process's one service (shared with the HTTP and queue functions). */
function syncServices(): SyncServices {
  const { sync } = functionsService();
  if (sync === null) throw new DeleteSyncError('DS_ERR_CONFIG', 'DATAVERSE_URL is required for the sync timers', { field: 'DATAVERSE_URL' });
  return sync;
}

export async function subscriptionCheck(_timer: Timer, _context: InvocationContext): Promise<void> {
  await syncServices().checkSubscriptions();
}

export async function todoPoll(_timer: Timer, _context: InvocationContext): Promise<void> {
  await syncServices().pollTodo();
}

app.timer('subscriptionCheck', { schedule: SUBSCRIPTION_CHECK_SCHEDULE, runOnStartup: false, handler: subscriptionCheck });
app.timer('todoPoll', { schedule: TODO_POLL_SCHEDULE, runOnStartup: false, handler: todoPoll });
