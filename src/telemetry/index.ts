/**
 * Process-wide telemetry: startTelemetry() wires OpenTelemetry to Application Insights when a
 * connection string is configured, and the record* functions send through the global providers.
 * Without a connection string everything here is a no-op (the OpenTelemetry API's no-op providers).
 *
 * While the exporter is being registered (the distro loads for about a second; the Functions worker does
 * not wait for it), what is recorded is kept and sent once it is up, instead of going to the no-op
 * providers; if it never comes up it is dropped.
 */
import { context, metrics, type Context } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import type { TokenCredential } from '@azure/identity';
import { createTelemetryRecorder, type TelemetryRecorder } from './recorder.js';
import { urlRedactingSpanProcessor } from './redact-spans.js';

export * from './recorder.js';
export { safeAttributes, ALLOWED_ATTRIBUTES, TargetOutcome, ThrottledService } from './attributes.js';
export { activeTraceparent, withTraceparent } from './trace-context.js';

const SCOPE = 'crm-outlook-delete-sync';
/** The role name (cloud_RoleName) when neither OTEL_SERVICE_NAME nor the Functions host names it. */
export const DEFAULT_SERVICE_NAME = 'crm-outlook-delete-sync';
/** Calls kept while the exporter registers; beyond this they are dropped (a start that hangs must not grow memory). */
export const MAX_PENDING_CALLS = 10_000;

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
  /**
   * cloud_RoleName: OTEL_SERVICE_NAME, else the Functions app name (WEBSITE_SITE_NAME, which the distro's
   * Azure detector also reads), else DEFAULT_SERVICE_NAME; never `unknown_service`.
   */
  serviceName?: string;
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
/** Set from the moment startTelemetry is called until the exporter is registered (or failed to be). */
let pending: { call: (r: TelemetryRecorder) => void; context: Context }[] | undefined;

/** Built on first use, after startTelemetry has (or has not) registered the global providers. */
function recorder(): TelemetryRecorder {
  active ??= createTelemetryRecorder({ logger: logs.getLogger(SCOPE), meter: metrics.getMeter(SCOPE) });
  return active;
}

/** Sends now, or keeps the call (with its trace context) until the exporter is registered. */
function send(call: (r: TelemetryRecorder) => void): void {
  if (pending === undefined) call(recorder());
  else if (pending.length < MAX_PENDING_CALLS) pending.push({ call, context: context.active() });
}

function release(deliver: boolean): void {
  const calls = pending ?? [];
  pending = undefined;
  if (deliver) for (const p of calls) context.with(p.context, () => p.call(recorder()));
}

/** Loads the distro (about a second, so modules that merely record telemetry stay cheap to import) and registers it. */
async function registerAzureMonitor(options: TelemetryOptions & { connectionString: string }) {
  const [distro, { ManagedIdentityCredential }] = await Promise.all([import('@azure/monitor-opentelemetry'), import('@azure/identity')]);
  const entra = parseAuthenticationString(options.authenticationString);
  const credential =
    options.credential ??
    (entra === undefined ? undefined : entra.clientId ? new ManagedIdentityCredential({ clientId: entra.clientId }) : new ManagedIdentityCredential());
  // The distro's resource reads OTEL_SERVICE_NAME (its environment detector); name the role when nobody did.
  process.env.OTEL_SERVICE_NAME ??= options.serviceName ?? DEFAULT_SERVICE_NAME;
  distro.useAzureMonitor({
    azureMonitorExporterOptions: { connectionString: options.connectionString, credential },
    spanProcessors: [urlRedactingSpanProcessor()],
  });
  return distro;
}

let started: Promise<TelemetryHandle> | undefined;

/** Where telemetry stands: off, waiting for the exporter (calls are kept), or exporting. */
export function telemetryState(): 'off' | 'starting' | 'on' {
  return pending !== undefined ? 'starting' : started !== undefined ? 'on' : 'off';
}

/**
 * Registers the exporter once per process: a second call (the Functions worker and a caller that waits
 * for it) gets the same handle.
 */
export function startTelemetry(options: TelemetryOptions): Promise<TelemetryHandle> {
  const { connectionString } = options;
  if (!connectionString) return Promise.resolve({ enabled: false, shutdown: async () => {} });
  // Synchronously, before the first await: whatever is recorded from now on waits for the exporter.
  pending ??= [];
  started ??= register({ ...options, connectionString });
  return started;
}

async function register(options: TelemetryOptions & { connectionString: string }): Promise<TelemetryHandle> {
  let distro: Awaited<ReturnType<typeof registerAzureMonitor>>;
  try {
    distro = await registerAzureMonitor(options);
  } catch (error) {
    release(false);
    started = undefined;
    throw error;
  }
  // Instruments made before registration are bound to the no-op meter; make them again.
  active = undefined;
  release(true);
  return {
    enabled: true,
    shutdown: async () => {
      await distro.shutdownAzureMonitor();
      active = undefined;
      started = undefined;
    },
  };
}

/** Both hosts start telemetry from the app settings azd sets (infra/app/api.bicep); off when unset. */
export function startTelemetryFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<TelemetryHandle> {
  return startTelemetry({
    connectionString: env.APPLICATIONINSIGHTS_CONNECTION_STRING,
    authenticationString: env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING,
    serviceName: env.OTEL_SERVICE_NAME || env.WEBSITE_SITE_NAME || DEFAULT_SERVICE_NAME,
  });
}

export const recordDecision: TelemetryRecorder['recordDecision'] = (d) => send((r) => r.recordDecision(d));
export const recordThrottle: TelemetryRecorder['recordThrottle'] = (service, mailboxOrUser, retryAfterSeconds) =>
  send((r) => r.recordThrottle(service, mailboxOrUser, retryAfterSeconds));
export const recordPoison: TelemetryRecorder['recordPoison'] = (info) => send((r) => r.recordPoison(info));
export const recordQueueAge: TelemetryRecorder['recordQueueAge'] = (ms) => send((r) => r.recordQueueAge(ms));
export const recordFanOut: TelemetryRecorder['recordFanOut'] = (n, entity) => send((r) => r.recordFanOut(n, entity));
export const recordHeld: TelemetryRecorder['recordHeld'] = (n, info) => send((r) => r.recordHeld(n, info));
