/**
 * `npm start`: the self-hosted service until SIGINT/SIGTERM. Settings: the environment plus the settings
 * file (DELETE_SYNC_ENV_FILE, else ./.env), as `delete-sync` reads them. A bad setting stops start-up naming it.
 */
import { isDeleteSyncError } from '../errors.js';
import { createLogger } from '../log.js';
import { loadSettings } from '../settings-file.js';
import { startTelemetryFromEnv } from '../telemetry/index.js';
import type { SyncServices } from '../app/sync.js';
import type { RunningTimers } from './timers.js';

const log = createLogger({ level: 'info' });

try {
  // Telemetry before the service's modules: the HTTP instrumentation only sees what is loaded after it,
  // so requests reach Application Insights (their URLs redacted) only in this order.
  const { env, file } = loadSettings();
  if (file !== null) log.info('settings file read', { file });
  const telemetry = await startTelemetryFromEnv(env);
  const [{ createService }, { startService }, { startTimers, syncTimerJobs }] = await Promise.all([
    import('../app/service.js'),
    import('./start.js'),
    import('./timers.js'),
  ]);
  let sync: SyncServices | null = null;
  const service = await startService({
    env,
    log,
    compose: (config, serviceLog) => {
      const composed = createService(config, { log: serviceLog, env });
      sync = composed.sync;
      return composed.runtime;
    },
  });
  // The sync timers need the notification URL and at least one synced mailbox; without them nothing is subscribed.
  const { sync: syncSettings } = service.config;
  const configured = syncSettings.publicBaseUrl !== undefined && (syncSettings.groupId !== undefined || syncSettings.users.length > 0);
  const timers: RunningTimers | null = sync !== null && configured ? startTimers(syncTimerJobs(sync, syncSettings), log) : null;
  if (timers === null) log.warn('sync timers not started: set DATAVERSE_URL, PUBLIC_BASE_URL and SYNC_GROUP_ID or SYNC_USERS');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    Promise.all([timers?.stop(), service.stop()])
      .then(() => telemetry.shutdown())
      .then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  log.error('start-up failed', isDeleteSyncError(error) ? { errorCode: error.code, field: error.field, error } : { error });
  process.exit(1);
}
