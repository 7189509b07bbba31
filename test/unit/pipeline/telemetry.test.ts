import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../src/domain/event.js';
import { normalizeDataverseWebhook } from '../../../src/domain/normalize-dataverse.js';
import { handleQueueMessage, type QueueHandlerDeps } from '../../../src/handlers/queue-message.js';
import { recordPoison } from '../../../src/pipeline/message.js';
import { queueDeps } from '../../helpers/queue-deps.js';
import type { Store } from '../../../src/store/index.js';
import { CUSTOM_EVENT_ATTRIBUTE, METRIC_NAMES } from '../../../src/telemetry/index.js';
import { useTestAzurite } from '../../helpers/azurite.js';
import { DELETE_APPOINTMENT, fixtureJson } from '../../helpers/requests.js';
import { testStore } from '../../helpers/store.js';
import { counterValue, histogramPoints, inMemorySinks } from '../telemetry/inMemorySinks.js';

const testAzurite = useTestAzurite();
const sinks = inMemorySinks();
beforeAll(() => {
  logs.setGlobalLoggerProvider(sinks.loggerProvider);
  metrics.setGlobalMeterProvider(sinks.meterProvider);
});
afterAll(() => sinks.shutdown());

let store: Store;
beforeEach(() => {
  ({ store } = testStore(testAzurite().connectionString));
});

const RECEIVED = new Date('2025-01-01T00:00:00Z');
/** 1.5 s after receipt and before the fixture meeting's start: the delete propagates. */
const PROCESSED = new Date('2025-01-01T00:00:01.500Z');

function crmDelete(operationId: string): DomainEvent {
  const body = fixtureJson(DELETE_APPOINTMENT);
  body.OperationId = operationId;
  return normalizeDataverseWebhook(JSON.stringify(body), {}, RECEIVED);
}

const deps = (): QueueHandlerDeps => queueDeps(store, PROCESSED);

const eventsNamed = (name: string) => sinks.logRecords().filter((r) => r.attributes[CUSTOM_EVENT_ATTRIBUTE] === name);

describe('queue processing telemetry', () => {
  it('sends one DeleteSync.Decision event per decision (not per redelivery), with rule, counts and ids only, and the queue age', async () => {
    const event = crmDelete('00000000-0000-0000-0000-00000000f0a1');
    await handleQueueMessage({ kind: 'change', event }, { messageId: 'm-1', dequeueCount: 1 }, deps());
    // A redelivery of the same message finds the executed record: no second decision event.
    await handleQueueMessage({ kind: 'change', event }, { messageId: 'm-1', dequeueCount: 2 }, deps());

    const [decision, ...more] = eventsNamed('DeleteSync.Decision').filter((r) => r.attributes.eventId === event.id);
    expect(more).toEqual([]);
    expect(decision?.attributes).toMatchObject({
      ruleId: 'crm.appointment.active.future',
      action: 'propagate',
      entity: 'appointment',
      origin: 'crm',
      targetCount: 1,
      'outcome.done': 1,
      crmRecordId: '00000000-0000-0000-0000-0000000a0001',
    });
    const text = JSON.stringify(decision?.attributes);
    expect(text).not.toContain('Quarterly review');
    expect(text).not.toContain('Organizer Name');

    const ages = histogramPoints((await sinks.metrics()).get(METRIC_NAMES.queueAge));
    expect(ages.reduce((n, p) => n + p.count, 0)).toBe(2);
    expect(ages[0]?.sum).toBe(3000);
  });

  it('counts a poisoned message and sends DeleteSync.Poison with its error code and dequeue count', async () => {
    const event = crmDelete('00000000-0000-0000-0000-00000000f0a2');
    const before = counterValue((await sinks.metrics()).get(METRIC_NAMES.poison));
    await recordPoison({ kind: 'change', event }, { messageId: 'm-2', dequeueCount: 5 }, new Error('boom'), deps());

    expect(counterValue((await sinks.metrics()).get(METRIC_NAMES.poison))).toBe(before + 1);
    const poison = eventsNamed('DeleteSync.Poison').find((r) => r.attributes.eventId === event.id);
    expect(poison?.attributes).toMatchObject({ dequeueCount: 5 });
  });
});
