/** Real payloads (test/fixtures, copied from ../shared/fixtures) and plain handler requests built from them. */
import { readFileSync } from 'node:fs';
import type { HandlerRequest } from '../../src/handlers/http.js';
import type { GraphSubscription } from '../../src/store/subscriptions.js';
import { FIXTURES_URL } from './fixtures.js';
import { TEST_TENANT_ID } from './store.js';


export function fixtureText(relative: string): string {
  return readFileSync(new URL(relative, FIXTURES_URL), 'utf8');
}

export function fixtureJson<T = Record<string, unknown>>(relative: string): T {
  return JSON.parse(fixtureText(relative)) as T;
}

export const DELETE_APPOINTMENT = 'dataverse/delete-webhook-appointment.reconstructed.json';
export const EVENT_DELETED = 'graph/notification-event-deleted.reconstructed.json';
export const LIFECYCLE_REAUTHORIZE = 'graph/lifecycle-reauthorization-required.json';

export function request(over: Partial<HandlerRequest> & { body?: string | Buffer }): HandlerRequest {
  const { body, ...rest } = over;
  const rawBody = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  return {
    method: 'POST',
    path: '/',
    query: {},
    ...rest,
    headers: { 'content-type': 'application/json', ...rest.headers },
    rawBody,
  };
}

/** The subscription the Graph fixtures name (`{subscription_guid}`, clientState `secretClientValue`). */
export function fixtureSubscription(over: Partial<GraphSubscription> = {}): GraphSubscription {
  return {
    id: '{subscription_guid}',
    resource: 'users/{user_guid}/events',
    changeType: 'created,updated,deleted',
    clientState: 'secretClientValue',
    tenantId: TEST_TENANT_ID,
    userId: '{user_guid}',
    itemKind: 'event',
    expirationDateTime: '2030-01-01T00:00:00.000Z',
    notificationUrl: 'https://example.invalid/api/graph/notifications',
    lifecycleNotificationUrl: 'https://example.invalid/api/graph/lifecycle',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

/** The subscription the reauthorization fixture names. */
export function lifecycleSubscription(): GraphSubscription {
  return fixtureSubscription({ id: 'e3898f08-5cd0-4a6a-80fc-6addbfb73b7b', clientState: '{secret client state}' });
}

/** The Delete fixture as another delivery of another operation (a fresh OperationId), so tests do not dedupe each other. */
export function deleteBody(operationId: string, change: (body: Record<string, unknown>) => void = () => undefined): string {
  const body = fixtureJson(DELETE_APPOINTMENT);
  body.OperationId = operationId;
  change(body);
  return JSON.stringify(body);
}
