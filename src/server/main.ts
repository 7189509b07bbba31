/** `npm start`: the self-hosted service until SIGINT/SIGTERM. A bad setting stops start-up naming it. */
import { createService } from '../app/service.js';
import { isDeleteSyncError } from '../errors.js';
import { createLogger } from '../log.js';
import { startService } from './start.js';

const log = createLogger({ level: 'info' });

try {
  const service = await startService({ log, compose: (config, serviceLog) => createService(config, { log: serviceLog }).runtime });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    service.stop().then(
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
