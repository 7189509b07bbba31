/**
 * Request bodies for the benchmarks, all built from the real captured payloads in test/fixtures (a verbatim copy of ../shared/fixtures):
 * the Dataverse Delete webhook (appointment with pre-image) and the Graph `deleted` event notification.
 * Only ids are varied, so dedupe never short-circuits and every request does the full work.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { activityPartyCollection, entityReference, optionSet } from '../sandbox/dataverse/remote-context.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../test/fixtures');

export const DATAVERSE_DELETE_FIXTURE = 'dataverse/delete-webhook-appointment.reconstructed.json';
export const GRAPH_DELETED_FIXTURE = 'graph/notification-event-deleted.reconstructed.json';

type Json = Record<string, unknown>;

export function readFixture(relative: string): Json {
  return JSON.parse(readFileSync(path.join(FIXTURES, relative), 'utf8')) as Json;
}

/** The Delete body with its own OperationId (the dedupe key's variable part). */
export function dataverseDeleteBody(template: Json, operationId: string): string {
  return JSON.stringify({ ...template, OperationId: operationId, RequestId: randomUUID() });
}

/** The headers Dataverse sends with a webhook (design.md §3). */
export function dataverseHeaders(template: Json): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-ms-dynamics-organization': String(template.OrganizationName),
    'x-ms-dynamics-entity-name': String(template.PrimaryEntityName),
    'x-ms-dynamics-request-name': String(template.MessageName),
    'x-ms-correlation-request-id': String(template.CorrelationId),
  };
}

export interface NotificationTarget {
  subscriptionId: string;
  clientState: string;
  tenantId: string;
  userId: string;
  itemId: string;
}

/** A notification collection shaped like the fixture, naming one deleted event; `etag` varies the dedupe key. */
export function graphDeletedBody(template: Json, targets: NotificationTarget[], etag: string): string {
  const [item] = template.value as Json[];
  const value = targets.map((t) => {
    const resource = `Users/${t.userId}/Events/${t.itemId}`;
    return {
      ...item,
      subscriptionId: t.subscriptionId,
      clientState: t.clientState,
      tenantId: t.tenantId,
      resource,
      subscriptionExpirationDateTime: new Date(Date.now() + 3 * 86_400_000).toISOString(),
      resourceData: { ...(item?.resourceData as Json), '@odata.id': resource, '@odata.etag': `W/"${etag}"`, id: t.itemId },
    };
  });
  return JSON.stringify({ value });
}

/** An activityparty entity in the wire shape of the fixture's organizer party. */
function party(activityId: string, partyId: string, entity: string, mask: number, label: string): Json {
  return {
    Attributes: [
      { key: 'activitypartyid', value: randomUUID() },
      { key: 'activityid', value: entityReference({ logicalName: 'activitypointer', id: activityId }, null) },
      { key: 'partyid', value: entityReference({ logicalName: entity, id: partyId }, `Person ${partyId.slice(0, 8)}`) },
      { key: 'participationtypemask', value: optionSet(mask) },
    ],
    EntityState: null,
    FormattedValues: [{ key: 'participationtypemask', value: label }],
    Id: randomUUID(),
    KeyAttributes: [],
    LogicalName: 'activityparty',
    RelatedEntities: [],
    RowVersion: null,
  };
}

/**
 * The fixture's Delete body grown to a real-size meeting: `required` systemuser attendees and a few
 * optional external contacts in the pre-image's party lists, as Dataverse sends them.
 */
export function largeDeleteBody(template: Json, required: number, optionalContacts = 5): string {
  const body = structuredClone(template);
  const activityId = String(body.PrimaryEntityId);
  const images = body.PreEntityImages as { key: string; value: { Attributes: { key: string; value: unknown }[] } }[];
  const attributes = images[0]!.value.Attributes;
  attributes.push(
    { key: 'requiredattendees', value: activityPartyCollection(Array.from({ length: required }, () => party(activityId, randomUUID(), 'systemuser', 5, 'Required attendee'))) },
    { key: 'optionalattendees', value: activityPartyCollection(Array.from({ length: optionalContacts }, () => party(activityId, randomUUID(), 'contact', 6, 'Optional attendee'))) },
  );
  return JSON.stringify(body);
}
