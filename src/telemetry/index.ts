/**
 * Process-wide telemetry: startTelemetry() wires OpenTelemetry to Application Insights when a
 * connection string is configured, and the record* functions send through the global providers.
 * Without a connection string everything here is a no-op (the OpenTelemetry API's no-op providers).
 */
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import type { TokenCredential } from '@azure/identity';
import { createTelemetryRecorder, type TelemetryRecorder } from './recorder.js';

export * from './recorder.js';
export { safeAttributes, ALLOWED_ATTRIBUTES, TargetOutcome, ThrottledService } from './attributes.js';

const SCOPE = 'crm-outlook-delete-sync';

export interface TelemetryOptions {
  /** APPLICATIONINSIGHTS_CONNECTION_STRING; unset → telemetry stays off. */
  connectionString: string | undefined;
  /**
   * APPLICATIONINSIGHTS_AUTHENTICATION_STRING, the setting the Functions host itself reads:
   * `Authorization=AAD;ClientId=<user-assigned identity>`. In Azure, App Insights has local auth
   * disabled and accepts only Entra tokens (the identity holds Monitoring Metrics Publisher).
   */
  authenticationString: string | undefined;
  /** Overrides the credential derived from authenticationString. */
  credential?: TokenCredential;
}

/** Entra authentication asked for by the authentication string; undefined = instrumentation key only. */
export function parseAuthenticationString(value: string | undefined): { clientId: string | undefined } | undefined {
  if (!value) return undefined;
  const parts = new Map(
    value
      .split(';')
      .map((p) => p.split('=').map((s) => s.trim()))
      .filter((kv): kv is [string, string] => kv.length === 2 && kv[0] !== '')
      .map(([k, v]) => [k.toLowerCase(), v]),
  );
  if (parts.get('authorization')?.toUpperCase() !== 'AAD') return undefined;
  return { clientId: parts.get('clientid') || undefined };
}

export interface TelemetryHandle {
  enabled: boolean;
  /** Flushes and stops exporting; safe to call when disabled. */
  shutdown(): Promise<void>;
}

let active: TelemetryRecorder | undefined;

/** Built on first use, after startTelemetry has (or has not) registered the global providers. */
function recorder(): TelemetryRecorder {
  active ??= createTelemetryRecorder({ logger: logs.getLogger(SCOPE), meter: metrics.getMeter(SCOPE) });
  return active;
}

/**
 * The distro is loaded only here (it takes about a second), so modules that merely record telemetry
 * stay cheap to import.
 */
export async function startTelemetry(options: TelemetryOptions): Promise<TelemetryHandle> {
  if (!options.connectionString) return { enabled: false, shutdown: async () => {} };
  const [{ useAzureMonitor, shutdownAzureMonitor }, { ManagedIdentityCredential }] = await Promise.all([
    import('@azure/monitor-opentelemetry'),
    import('@azure/identity'),
  ]);
  const entra = parseAuthenticationString(options.authenticationString);
  const credential =
    options.credential ??
    (entra === undefined
      ? undefined
      : entra.clientId
        ? new ManagedIdentityCredential({ clientId: entra.clientId })
        : new ManagedIdentityCredential());
  useAzureMonitor({
    azureMonitorExporterOptions: { connectionString: options.connectionString, credential },
  });
  // Instruments made before registration are bound to the no-op meter; make them again.
  active = undefined;
  return {
    enabled: true,
    shutdown: async () => {
      await shutdownAzureMonitor();
      active = undefined;
    },
  };
}

/** Both hosts start telemetry from the app settings azd sets (infra/app/api.bicep); off when unset. */
export function startTelemetryFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<TelemetryHandle> {
  return startTelemetry({
    connectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING,
    authenticationString: env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
  });
}

export const recordDecision: TelemetryRecorder['recordDecision'] = (d) => recorder().recordDecision(d);
export const recordThrottle: TelemetryRecorder['recordThrottle'] = (service, mailboxOrUser, retryAfterSeconds) =>
  recorder().recordThrottle(service, mailboxOrUser, retryAfterSeconds);
export const recordPoison: TelemetryRecorder['recordPoison'] = (info) => recorder().recordPoison(info);
export const recordQueueAge: TelemetryRecorder['recordQueueAge'] = (ms) => recorder().recordQueueAge(ms);
export const recordFanOut: TelemetryRecorder['recordFanOut'] = (n, entity) => recorder().recordFanOut(n, entity);
export const recordHeld: TelemetryRecorder['recordHeld'] = (n, info) => recorder().recordHeld(n, info);
