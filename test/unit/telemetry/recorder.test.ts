import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTelemetryRecorder,
  CUSTOM_EVENT_ATTRIBUTE,
  EVENT_NAMES,
  METRIC_NAMES,
  type DecisionTelemetry,
  type TelemetryRecorder,
} from '../../../src/telemetry/recorder.js';
import { ALLOWED_ATTRIBUTES } from '../../../src/telemetry/attributes.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { normalizeGraphNotification, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { subjectOf } from '../../../src/telemetry/recorder.js';
import { fixtureJson } from '../contracts/fixture-files.js';
import { counterValue, histogramPoints, inMemorySinks } from './inMemorySinks.js';

/** Fields that pass to the event unchanged, under the same names. */
const passThrough = {
  eventId: 'crm:7d1e2b4c-0f7a-4c59-9a55-0c2f3b1a9e10',
  correlationId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  ruleId: 'crm.appointment.active.future',
  action: 'propagate',
  entity: 'appointment',
  origin: 'crm',
  change: 'deleted',
} as const;

const appointmentDelete: DecisionTelemetry = {
  ...passThrough,
  crmRef: { entity: 'appointment', id: '7d1e2b4c-0f7a-4c59-9a55-0c2f3b1a9e10' },
  mailbox: null,
  targetCount: 3,
  outcomes: { done: 2, 'already-gone': 1 },
  durationMs: 412.5,
};

describe('createTelemetryRecorder', () => {
  let sinks: ReturnType<typeof inMemorySinks>;
  let telemetry: TelemetryRecorder;

  beforeEach(() => {
    sinks = inMemorySinks();
    telemetry = createTelemetryRecorder({
      logger: sinks.loggerProvider.getLogger('test'),
      meter: sinks.meterProvider.getMeter('test'),
    });
  });
  afterEach(() => sinks.shutdown());

  it('emits each decision as an App Insights custom event with rule, action, type, origin, counts and duration', () => {
    telemetry.recordDecision(appointmentDelete);

    const records = sinks.logRecords();
    expect(records).toHaveLength(1);
    expect(records[0]!.attributes).toEqual({
      [CUSTOM_EVENT_ATTRIBUTE]: 'DeleteSync.Decision',
      ...passThrough,
      crmEntity: 'appointment',
      crmRecordId: '7d1e2b4c-0f7a-4c59-9a55-0c2f3b1a9e10',
      targetCount: 3,
      durationMs: 412.5,
      dryRun: false,
      'outcome.done': 2,
      'outcome.already-gone': 1,
    });
  });

  it('carries the mailbox item id for Outlook-side deletes, so "why was this item (not) deleted" can find it', () => {
    telemetry.recordDecision({
      ...appointmentDelete,
      eventId: 'graph:sub-1:AAMkAGI2TG93AAA=',
      ruleId: 'outlook.appointment.attendee',
      action: 'skip',
      origin: 'outlook',
      mailbox: { userId: '5f6a1c2e-8b8e-4f2a-9c51-7c0b2a6d3e44', itemId: 'AAMkAGI2TG93AAA=' },
      targetCount: 0,
      outcomes: {},
      dryRun: true,
    });

    const attributes = sinks.logRecords()[0]!.attributes;
    expect(attributes).toMatchObject({
      ruleId: 'outlook.appointment.attendee',
      action: 'skip',
      origin: 'outlook',
      mailboxUserId: '5f6a1c2e-8b8e-4f2a-9c51-7c0b2a6d3e44',
      mailboxItemId: 'AAMkAGI2TG93AAA=',
      targetCount: 0,
      dryRun: true,
    });
    expect(Object.keys(attributes).filter((k) => k.startsWith('outcome.'))).toEqual([]);
  });

  it('drops what is not an id: extra fields, UPNs, free text', () => {
    const leaky = {
      ...appointmentDelete,
      subject: 'Board meeting: layoffs',
      organizerAddress: 'ceo@contoso.com',
      accessToken: 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.e30.sig',
      ruleId: 'free text with spaces',
      mailbox: { userId: 'alice@contoso.com', itemId: 'AAMkAGI2TG93AAA=' },
    } as DecisionTelemetry;
    telemetry.recordDecision(leaky);

    const attributes = sinks.logRecords()[0]!.attributes;
    for (const forbidden of ['subject', 'organizerAddress', 'accessToken', 'ruleId', 'mailboxUserId']) {
      expect(attributes).not.toHaveProperty(forbidden);
    }
    expect(JSON.stringify(attributes)).not.toMatch(/contoso\.com|layoffs|eyJ0eXAi/);
    expect(attributes.mailboxItemId).toBe('AAMkAGI2TG93AAA=');
  });

  it('counts throttling per service on the metric and names the mailbox only on the event', async () => {
    telemetry.recordThrottle('graph', '5f6a1c2e-8b8e-4f2a-9c51-7c0b2a6d3e44', 12);
    telemetry.recordThrottle('graph');
    telemetry.recordThrottle('dataverse', 'bob@contoso.com');

    const metrics = await sinks.metrics();
    const throttled = metrics.get(METRIC_NAMES.throttled);
    expect(counterValue(throttled, { service: 'graph' })).toBe(2);
    expect(counterValue(throttled, { service: 'dataverse' })).toBe(1);
    expect(throttled!.dataPoints.every((p) => Object.keys(p.attributes).join() === 'service')).toBe(true);

    const events = sinks.logRecords().map((r) => r.attributes);
    expect(events).toEqual([
      {
        [CUSTOM_EVENT_ATTRIBUTE]: EVENT_NAMES.throttled,
        service: 'graph',
        mailboxUserId: '5f6a1c2e-8b8e-4f2a-9c51-7c0b2a6d3e44',
        retryAfterSeconds: 12,
      },
      { [CUSTOM_EVENT_ATTRIBUTE]: EVENT_NAMES.throttled, service: 'graph' },
      { [CUSTOM_EVENT_ATTRIBUTE]: EVENT_NAMES.throttled, service: 'dataverse' },
    ]);
  });

  it('records queue age and fan-out as histograms, poison and held as counters with events', async () => {
    telemetry.recordQueueAge(1_500);
    telemetry.recordQueueAge(500);
    telemetry.recordFanOut(7, 'appointment');
    telemetry.recordPoison({ eventId: 'crm:abc', errorCode: 'DS_ERR_UPSTREAM', dequeueCount: 5 });
    telemetry.recordHeld(40, { ruleId: 'crm.contact.all-but-owner', eventId: 'crm:def' });

    const metrics = await sinks.metrics();
    expect(histogramPoints(metrics.get(METRIC_NAMES.queueAge))).toEqual([{ count: 2, sum: 2_000, attributes: {} }]);
    expect(histogramPoints(metrics.get(METRIC_NAMES.fanOut))).toEqual([
      { count: 1, sum: 7, attributes: { entity: 'appointment' } },
    ]);
    expect(counterValue(metrics.get(METRIC_NAMES.poison))).toBe(1);
    expect(counterValue(metrics.get(METRIC_NAMES.held))).toBe(40);

    expect(sinks.logRecords().map((r) => r.attributes)).toEqual([
      { [CUSTOM_EVENT_ATTRIBUTE]: EVENT_NAMES.poison, eventId: 'crm:abc', errorCode: 'DS_ERR_UPSTREAM', dequeueCount: 5 },
      { [CUSTOM_EVENT_ATTRIBUTE]: EVENT_NAMES.held, ruleId: 'crm.contact.all-but-owner', eventId: 'crm:def', heldCount: 40 },
    ]);
  });

  it('held and poison events name the input, the record and the mailbox item, as decisions do', () => {
    const crmDelete = normalizeDataverseWebhook(fixtureJson('dataverse', 'delete-webhook-appointment.reconstructed.json'), {}, new Date('2025-01-01T00:00:00Z'));
    const [notification] = parseNotificationCollection(fixtureJson('graph', 'notification-event-deleted.reconstructed.json'));
    const outlookDelete = normalizeGraphNotification(notification!, new Date('2025-01-01T00:00:00Z'));
    const linkedRecord = { entity: 'appointment', id: '0b6c7f1e-3d2a-4f55-8e61-2a9d4c7b1e05' } as const;

    telemetry.recordHeld(1, { ...subjectOf(crmDelete), ruleId: 'crm.appointment.active.future' });
    telemetry.recordPoison({ ...subjectOf(outlookDelete, linkedRecord), errorCode: 'DS_ERR_UPSTREAM', dequeueCount: 5 });

    const [held, poison] = sinks.logRecords().map((r) => r.attributes);
    expect(held).toMatchObject({
      eventId: crmDelete.id,
      entity: 'appointment',
      origin: 'crm',
      change: 'deleted',
      crmEntity: crmDelete.crm!.ref.entity,
      crmRecordId: crmDelete.crm!.ref.id,
      ruleId: 'crm.appointment.active.future',
      heldCount: 1,
    });
    expect(poison).toMatchObject({
      eventId: outlookDelete.id,
      origin: 'outlook',
      crmRecordId: linkedRecord.id,
      mailboxUserId: outlookDelete.outlook!.userId,
      mailboxItemId: outlookDelete.outlook!.itemId,
      errorCode: 'DS_ERR_UPSTREAM',
    });
  });

  it('never emits an attribute outside the allow-list', () => {
    telemetry.recordDecision({ ...appointmentDelete, outcomes: { done: 1, skipped: 1, denied: 1, failed: 1, 'dry-run': 1 } });
    telemetry.recordThrottle('graph', 'x');
    telemetry.recordPoison({ errorCode: 'DS_ERR_INTERNAL' });
    telemetry.recordHeld(2);

    const names = new Set(sinks.logRecords().flatMap((r) => Object.keys(r.attributes)));
    names.delete(CUSTOM_EVENT_ATTRIBUTE);
    expect(names.size).toBeGreaterThan(10);
    for (const name of names) expect(Object.hasOwn(ALLOWED_ATTRIBUTES, name), name).toBe(true);
  });
});
