/**
 * Every shared fixture either parses with the contract it is an example of, or fails the
 * notification parsers with the documented coded error (a $batch body is not a notification).
 */
import { describe, expect, it } from 'vitest';
import { Entity, EntityCollection, EntityReference, Money, OptionSetValue, RemoteExecutionContext, XrmDate, unwrapSystemScalar } from '../../../src/contracts/dataverse.js';
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

const TYPED_VALUE: Record<string, { safeParse(value: unknown): { success: boolean } }> = {
  Entity,
  EntityCollection,
  EntityReference,
  Money,
  OptionSetValue,
};

/** Every `__type`-marked xrm value and every `/Date(…)/` string anywhere in a document. */
function typedValues(value: unknown, found: { kind: string; value: unknown }[] = []): { kind: string; value: unknown }[] {
  const scalar = unwrapSystemScalar(value);
  if (typeof scalar === 'string' && scalar.startsWith('/Date(')) found.push({ kind: 'Date', value });
  if (Array.isArray(value)) for (const item of value) typedValues(item, found);
  else if (typeof value === 'object' && value !== null) {
    const marker = (value as { __type?: unknown }).__type;
    const kind = typeof marker === 'string' ? marker.split(':')[0] : undefined;
    if (kind !== undefined && marker !== undefined && String(marker).endsWith('/xrm/2011/Contracts')) found.push({ kind, value });
    for (const child of Object.values(value)) typedValues(child, found);
  }
  return found;
}

describe('Dataverse fixtures', () => {
  it.each(fixtureNames('dataverse'))('%s is a RemoteExecutionContext', (name) => {
    expect(RemoteExecutionContext.safeParse(fixtureJson('dataverse', name)).success).toBe(true);
  });

  it.each(fixtureNames('dataverse'))('%s: every typed value and date matches its schema', (name) => {
    const values = typedValues(fixtureJson('dataverse', name));
    expect(values.length).toBeGreaterThan(0);
    for (const { kind, value } of values) {
      const schema = kind === 'Date' ? XrmDate : TYPED_VALUE[kind];
      expect(schema, `a schema for ${kind}`).toBeDefined();
      expect(schema?.safeParse(value).success, `${kind} ${JSON.stringify(value).slice(0, 120)}`).toBe(true);
    }
  });

  it('Money, multi-select choices and dates as they were captured', () => {
    const money = typedValues(fixtureJson('dataverse', 'create-webhook-alltypes-async-money-optionset.json')).filter((found) => found.kind === 'Money');
    expect(money.map((found) => Money.parse(found.value).Value)).toContain(2154.32);
    expect(XrmDate.parse('/Date(1724647396000+0300)/')).toBe('2024-08-26T04:43:16.000Z');
    expect(XrmDate.parse({ __type: 'DateTime:#System', __value: '/Date(1527757524000)/' })).toBe('2018-05-31T09:05:24.000Z');
    expect(XrmDate.safeParse('2024-08-26T04:43:16Z').success).toBe(false);
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
    const captured = (fixtureJson('graph', name) as { value?: unknown[] }).value?.length;
    if (NOTIFICATIONS.has(name)) expect(parseNotificationCollection(text)).toHaveLength(captured ?? -1);
    else expect(codedError(() => parseNotificationCollection(text))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: expect.stringMatching(/^value/) });

    if (LIFECYCLE.has(name)) expect(parseLifecycleCollection(text)).toHaveLength(captured ?? -1);
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
