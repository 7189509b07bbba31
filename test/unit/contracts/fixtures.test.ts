/**
 * Every shared fixture either parses with the contract it is an example of, or fails the
 * notification parsers with the documented coded error (a $batch body is not a notification).
 */
import { describe, expect, it } from 'vitest';
import { RemoteExecutionContext } from '../../../src/contracts/dataverse.js';
import {
  BatchRequest,
  BatchResponse,
  ChangeNotificationCollection,
  DeltaPage,
  GraphErrorBody,
  LifecycleNotificationCollection,
  Subscription,
} from '../../../src/contracts/graph.js';
import { parseLifecycleCollection, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { codedError } from './coded-error.js';
import { fixtureJson, fixtureNames, fixtureText } from './fixture-files.js';

describe('Dataverse fixtures', () => {
  it.each(fixtureNames('dataverse'))('%s is a RemoteExecutionContext', (name) => {
    expect(RemoteExecutionContext.safeParse(fixtureJson('dataverse', name)).success).toBe(true);
  });
});

const GRAPH_CONTRACT: Record<string, { safeParse(value: unknown): { success: boolean } }> = {
  'batch-request.json': BatchRequest,
  'batch-response-429.reconstructed.json': BatchResponse,
  'batch-response.json': BatchResponse,
  'delta-calendarview-removed.json': DeltaPage,
  'error-application-access-policy-denied.json': GraphErrorBody,
  'error-mailbox-concurrency.json': GraphErrorBody,
  'lifecycle-missed.json': LifecycleNotificationCollection,
  'lifecycle-reauthorization-required.json': LifecycleNotificationCollection,
  'lifecycle-subscription-removed.json': LifecycleNotificationCollection,
  'notification-event-deleted.reconstructed.json': ChangeNotificationCollection,
  'notification-message-created.json': ChangeNotificationCollection,
  'notification-message-rich.reconstructed.json': ChangeNotificationCollection,
  'subscription-create-response-messages.json': Subscription,
  'throttle-429-response.json': GraphErrorBody,
};

const NOTIFICATIONS = new Set(['notification-event-deleted.reconstructed.json', 'notification-message-created.json', 'notification-message-rich.reconstructed.json']);
const LIFECYCLE = new Set(['lifecycle-missed.json', 'lifecycle-reauthorization-required.json', 'lifecycle-subscription-removed.json']);

describe('Graph fixtures', () => {
  it.each(fixtureNames('graph'))('%s: its contract, or DS_ERR_INVALID_PAYLOAD from the notification parsers', (name) => {
    const contract = GRAPH_CONTRACT[name];
    if (contract !== undefined) expect(contract.safeParse(fixtureJson('graph', name)).success).toBe(true);

    const text = fixtureText('graph', name);
    if (NOTIFICATIONS.has(name)) expect(parseNotificationCollection(text).length).toBeGreaterThan(0);
    else expect(codedError(() => parseNotificationCollection(text))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: expect.stringMatching(/^value/) });

    if (LIFECYCLE.has(name)) expect(parseLifecycleCollection(text).length).toBeGreaterThan(0);
    else expect(codedError(() => parseLifecycleCollection(text))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: expect.stringMatching(/^value/) });
  });

  it('a $batch response keeps the per-item status and Retry-After', () => {
    const batch = BatchResponse.parse(fixtureJson('graph', 'batch-response-429.reconstructed.json'));
    expect(batch.responses.map((item) => item.status)).toEqual([204, 429, 424]);
    expect(batch.responses[1]?.headers?.['Retry-After']).toBe('2.128');
  });

  it('a delta page marks deleted items with @removed', () => {
    const page = DeltaPage.parse(fixtureJson('graph', 'delta-calendarview-removed.json'));
    expect(page.value.filter((item) => item['@removed'] !== undefined).map((item) => item.id)).toEqual(['AAMkADk0MGFkODE3LWE4MmYtNDRhOS04OGQLkRkXbBznTvAADb6ytyAAA=']);
  });
});
