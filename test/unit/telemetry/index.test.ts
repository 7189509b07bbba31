import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import {
  CUSTOM_EVENT_ATTRIBUTE,
  METRIC_NAMES,
  recordDecision,
  recordFanOut,
  recordHeld,
  recordPoison,
  recordQueueAge,
  recordThrottle,
  parseAuthenticationString,
  startTelemetry,
  startTelemetryFromEnv,
} from '../../../src/telemetry/index.js';
import { counterValue, histogramPoints, inMemorySinks } from './inMemorySinks.js';

describe('process-wide telemetry', () => {
  const sinks = inMemorySinks();

  beforeAll(() => {
    // Stand-ins for the providers useAzureMonitor registers in Azure.
    logs.setGlobalLoggerProvider(sinks.loggerProvider);
    metrics.setGlobalMeterProvider(sinks.meterProvider);
  });
  afterAll(() => sinks.shutdown());

  it('stays off without a connection string and leaves the global providers alone', async () => {
    const handle = await startTelemetry({ connectionString: undefined, authenticationString: 'Authorization=AAD;ClientId=ignored' });
    expect(handle.enabled).toBe(false);
    await handle.shutdown();
    expect(metrics.getMeterProvider()).toBe(sinks.meterProvider);
  });

  it('hosts start it from the app settings: without APPLICATIONINSIGHTS_CONNECTION_STRING it stays off', async () => {
    const handle = await startTelemetryFromEnv({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD;ClientId=ignored' });
    expect(handle.enabled).toBe(false);
    expect(metrics.getMeterProvider()).toBe(sinks.meterProvider);
  });

  it('sends through the global providers', async () => {
    recordDecision({
      eventId: 'graph:sub-9:AAMkADk=',
      ruleId: 'outlook.task.active',
      action: 'propagate',
      entity: 'task',
      origin: 'outlook',
      change: 'deleted',
      crmRef: { entity: 'task', id: '0b6c7f1e-3d2a-4f55-8e61-2a9d4c7b1e05' },
      mailbox: { userId: '5f6a1c2e-8b8e-4f2a-9c51-7c0b2a6d3e44', itemId: 'AAMkADk=' },
      targetCount: 1,
      outcomes: { denied: 1 },
      durationMs: 80,
    });
    recordThrottle('dataverse');
    recordPoison();
    recordQueueAge(250);
    recordFanOut(1);
    recordHeld(3);

    const events = sinks.logRecords().map((r) => r.attributes[CUSTOM_EVENT_ATTRIBUTE]);
    expect(events).toEqual(['DeleteSync.Decision', 'DeleteSync.Throttled', 'DeleteSync.Poison', 'DeleteSync.Held']);
    expect(sinks.logRecords()[0]!.attributes).toMatchObject({ crmRecordId: '0b6c7f1e-3d2a-4f55-8e61-2a9d4c7b1e05', 'outcome.denied': 1 });

    const m = await sinks.metrics();
    expect(counterValue(m.get(METRIC_NAMES.throttled), { service: 'dataverse' })).toBe(1);
    expect(counterValue(m.get(METRIC_NAMES.poison))).toBe(1);
    expect(counterValue(m.get(METRIC_NAMES.held))).toBe(3);
    expect(histogramPoints(m.get(METRIC_NAMES.queueAge))[0]?.sum).toBe(250);
    expect(histogramPoints(m.get(METRIC_NAMES.fanOut))[0]?.count).toBe(1);
  });
});

describe('parseAuthenticationString', () => {
  it('reads the Functions host format, in any key case and order', () => {
    expect(parseAuthenticationString('Authorization=AAD;ClientId=0d2a6f1e-1111-4c2b-9a7e-3f5e9b8c7d6a')).toEqual({
      clientId: '0d2a6f1e-1111-4c2b-9a7e-3f5e9b8c7d6a',
    });
    expect(parseAuthenticationString('clientid=abc; authorization=aad')).toEqual({ clientId: 'abc' });
  });

  it('means the system-assigned identity without a ClientId, and no Entra auth otherwise', () => {
    expect(parseAuthenticationString('Authorization=AAD')).toEqual({ clientId: undefined });
    expect(parseAuthenticationString('ClientId=abc')).toBeUndefined();
    expect(parseAuthenticationString('')).toBeUndefined();
    expect(parseAuthenticationString(undefined)).toBeUndefined();
  });
});
