/**
 * The Functions host's runtime: built once per worker process from the app settings, on first use (so
 * importing a function module — as tests do — reads no settings and opens no connection).
 */
import { loadConfig } from '../../src/config.js';
import { createService } from '../../src/app/service.js';
import type { Runtime } from '../../src/handlers/runtime.js';
import { consoleSink, createLogger } from '../../src/log.js';

let runtime: Runtime | undefined;

export function functionsRuntime(): Runtime {
  if (runtime === undefined) {
    const config = loadConfig(process.env);
    runtime = createService(config, { log: createLogger({ level: config.logLevel, sink: consoleSink }) }).runtime;
  }
  return runtime;
}
