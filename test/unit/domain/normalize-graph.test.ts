import { describe, expect, it } from 'vitest';
import type { ChangeNotification } from '../../../src/contracts/graph.js';
import { DomainEvent } from '../../../src/domain/event.js';
import { normalizeGraphNotification, outlookDeleteFromDelta, parseLifecycleCollection, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { codedError } from '../contracts/coded-error.js';
import { fixtureText } from '../contracts/fixture-files.js';

const RECEIVED = new Date('2025-01-02T03:04:05.000Z');

function only(name: string): ChangeNotification {
  const [notification] = parseNotificationCollection(fixtureText('graph', name));
  if (notification === undefined) throw new Error(`${name} has no notification`);
  return notification;
}


function withResource(resource: string, resourceData?: ChangeNotification['resourceData']): ChangeNotification {
  return { ...only('notification-event-deleted.reconstructed.json'), resource, resourceData };
}

describe('normalizeGraphNotification', () => {
  it('an event deleted notification: mailbox, item, etag, dedupe key', () => {
    const event = normalizeGraphNotification(only('notification-event-deleted.reconstructed.json'), RECEIVED);
    expect(DomainEvent.parse(event)).toEqual(event);
    expect(event).toEqual({
      // A delete is keyed by the item alone, as a delta round keys it: seen both ways, it is one input.
      id: 'outlook-deleted:{user_guid}:event:{long_id_string}',
      origin: 'outlook',
      change: 'deleted',
      entity: 'appointment',
      receivedAt: RECEIVED.toISOString(),
      outlook: {
        subscriptionId: '{subscription_guid}',
        tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
        userId: '{user_guid}',
        itemKind: 'event',
        itemId: '{long_id_string}',
        resource: 'Users/{user_guid}/Events/{long_id_string}',
        etag: 'W/"DwAAABYAAACQ2fKdhq8oSKEDSVrdi3lRAAGDUUXn"',
        listId: null,
      },
    });
  });

  it("OData key syntax: Users('id')/messages('id') is an email", () => {
    const event = normalizeGraphNotification(only('notification-message-rich.reconstructed.json'), RECEIVED);
    expect(event).toMatchObject({ entity: 'email', change: 'created' });
    expect(event.outlook).toMatchObject({ userId: '722effaf-0433-4272-9ac4-d5ec11c3cd77', itemKind: 'message', itemId: 'AAMkAGUwNjQ4ZjIxLTQ3Y2Y8AAA=' });
  });

  it('lower-case users/{id}/messages/{id}', () => {
    expect(normalizeGraphNotification(only('notification-message-created.json'), RECEIVED).outlook).toMatchObject({ itemKind: 'message', itemId: '{long_id_string}' });
  });

  it('strips the @tenant suffix Graph puts on user ids when it is the notification tenant', () => {
    const notification = withResource('users/u-1@84bd8158-6d4d-4958-8b9f-9d6445542f95/events/e-1', undefined);
    expect(normalizeGraphNotification(notification, RECEIVED).outlook).toMatchObject({ userId: 'u-1', itemId: 'e-1' });
  });

  it.each([
    ['Users/u-1/Contacts/c-1', 'contact', 'contact', 'c-1', null],
    ['users/u-1/contactFolders/f-1/contacts/c-1', 'contact', 'contact', 'c-1', null],
    ['users/u-1/calendars/cal-1/events/e-1', 'event', 'appointment', 'e-1', null],
    ["users/u-1/mailFolders('Inbox')/messages/m-1", 'message', 'email', 'm-1', null],
    ['users/u-1/todo/lists/l-1/tasks/t-1', 'todoTask', 'task', 't-1', 'l-1'],
  ])('%s → %s', (resource, itemKind, entity, itemId, listId) => {
    const event = normalizeGraphNotification(withResource(resource), RECEIVED);
    expect(event.entity).toBe(entity);
    expect(event.outlook).toMatchObject({ userId: 'u-1', itemKind, itemId, listId, etag: null });
    expect(event.id).toBe(`outlook-deleted:u-1:${itemKind}:${itemId}`);
  });

  it('resourceData.id wins over the path, and @odata.type names the kind when the path does not', () => {
    const event = normalizeGraphNotification(withResource('users/u-1/events/old', { id: 'new', '@odata.type': '#Microsoft.Graph.Event' }), RECEIVED);
    expect(event.outlook?.itemId).toBe('new');
  });

  it('a resource without a mailbox is a coded error', () => {
    expect(codedError(() => normalizeGraphNotification(withResource('groups/g-1/events/e-1'), RECEIVED))).toMatchObject({
      code: 'DS_ERR_INVALID_PAYLOAD',
      field: 'resource',
    });
  });

  it('a resource about something else is unsupported', () => {
    expect(codedError(() => normalizeGraphNotification(withResource('users/u-1/drive/root'), RECEIVED))).toMatchObject({
      code: 'DS_ERR_UNSUPPORTED_MESSAGE',
      field: 'resource',
    });
  });

  it('no item id anywhere is a coded error', () => {
    expect(codedError(() => normalizeGraphNotification(withResource('users/u-1/events'), RECEIVED))).toMatchObject({
      code: 'DS_ERR_INVALID_PAYLOAD',
      field: 'resourceData.id',
    });
  });
});

describe('parseNotificationCollection / parseLifecycleCollection', () => {
  it('lifecycle notifications are not change notifications, and vice versa', () => {
    expect(codedError(() => parseNotificationCollection(fixtureText('graph', 'lifecycle-missed.json')))).toMatchObject({
      code: 'DS_ERR_INVALID_PAYLOAD',
      field: 'value[0].changeType',
    });
    expect(parseLifecycleCollection(fixtureText('graph', 'lifecycle-missed.json'))[0]?.lifecycleEvent).toBe('missed');
    expect(codedError(() => parseLifecycleCollection(fixtureText('graph', 'notification-message-created.json')))).toMatchObject({
      field: 'value[0].lifecycleEvent',
    });
  });

  it('an empty collection, bad JSON and a Buffer', () => {
    expect(codedError(() => parseNotificationCollection('{"value":[]}'))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'value' });
    expect(codedError(() => parseNotificationCollection('{"value":['))).toMatchObject({ code: 'DS_ERR_BAD_JSON', field: '$' });
    expect(parseNotificationCollection(Buffer.from(fixtureText('graph', 'notification-message-created.json')))).toHaveLength(1);
  });

  it('keeps unknown properties Graph may add', () => {
    const body = JSON.parse(fixtureText('graph', 'notification-message-rich.reconstructed.json')) as { value: Record<string, unknown>[] };
    expect(parseNotificationCollection(body)[0]?.encryptedContent).toBeDefined();
  });
});

describe('outlookDeleteFromDelta', () => {
  it('a removed event from a calendarView delta round', () => {
    const event = outlookDeleteFromDelta('u-1', 'event', 'AAMkADk0MGFkODE3LWE4MmYtNDRhOS04OGQLkRkXbBznTvAADb6ytyAAA=', null, RECEIVED);
    expect(DomainEvent.parse(event)).toEqual(event);
    expect(event).toMatchObject({ origin: 'outlook', change: 'deleted', entity: 'appointment' });
    expect(event.outlook).toMatchObject({ subscriptionId: null, userId: 'u-1', itemKind: 'event', listId: null });
    expect(event.outlook?.resource).toBe('users/u-1/events/AAMkADk0MGFkODE3LWE4MmYtNDRhOS04OGQLkRkXbBznTvAADb6ytyAAA%3D');
  });

  it('a removed To Do task keeps its list', () => {
    const event = outlookDeleteFromDelta('u-1', 'todoTask', 't-1', 'l-1', RECEIVED);
    expect(event).toMatchObject({ entity: 'task', outlook: { listId: 'l-1', resource: 'users/u-1/todo/lists/l-1/tasks/t-1' } });
    expect(event.id).toBe('outlook-deleted:u-1:todoTask:t-1');
  });

  it('gives a delete the same id from a notification (any subscription, any etag, any case of the user id) as from delta', () => {
    const fromNotification = normalizeGraphNotification(
      { ...withResource('Users/U-1/todo/lists/l-1/tasks/t-1', { id: 't-1', '@odata.etag': 'W/"x"' }), subscriptionId: 'another' },
      RECEIVED,
    );
    expect(fromNotification.id).toBe(outlookDeleteFromDelta('u-1', 'todoTask', 't-1', 'l-1', RECEIVED).id);
  });

  it('a To Do task without its list is a coded error', () => {
    expect(codedError(() => outlookDeleteFromDelta('u-1', 'todoTask', 't-1', null, RECEIVED))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'listId' });
  });
});
