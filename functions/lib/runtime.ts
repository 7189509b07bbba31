/**
 * The Functions host's service: built once per worker process from the app settings, on first use (so
 * importing a function module — as tests do — reads no settings and opens no connection). The HTTP and
 * queue functions use its runtime, the timers its sync services: one store, one credential, one set of clients.
 */
import { loadConfig } from '../../src/config.js';
import { createService, type Service } from '../../src/app/service.js';
import type { Runtime } from '../../src/app/runtime.js';
import { consoleSink, createLogger } from '../../src/log.js';
import { startTelemetryFromEnv } from '../../src/telemetry/index.js';

let service: Service | undefined;

export function functionsService(): Service {
  if (service === undefined) {
    const config = loadConfig(process.env);
    const log = createLogger({ level: config.logLevel, sink: consoleSink });
    service = createService(config, { log });
    // Decisions are sent as custom events once the exporter is up; the host's own App Insights logging stays on.
    startTelemetryFromEnv().catch((error: unknown) => log.error('telemetry did not start', { error }));
  }
  return service;
}

export function functionsRuntime(): Runtime {
  return functionsService().runtime;
}
