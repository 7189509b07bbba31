/**
 * Dataverse webhook body → DomainEvent. The record's last values come from the pre-image (Delete)
 * or the Target entity merged over the pre-image (Create/Update); see design.md §3.
 */
import { DATAVERSE_HEADERS, Entity, EntityReference, RemoteExecutionContext, hasXrmType } from '../contracts/dataverse.js';
import { parseJsonBody, parseOrThrow } from '../contracts/validate.js';
import { DeleteSyncError } from '../errors.js';
import {
  attributesOf,
  crmRef,
  overlayAttributes,
  readDate,
  readIdOrReference,
  readOption,
  readPartyList,
  readReference,
  readString,
  type AttributeMap,
} from './dataverse-values.js';
import type { Change, CrmRef, CrmSnapshot, DomainEvent, EntityKind } from './event.js';
import { seriesPosition } from './snapshot.js';

const CHANGE_BY_MESSAGE: Readonly<Record<string, Change>> = { Delete: 'deleted', Create: 'created', Update: 'updated' };
/** The table's record kinds by CRM table; a recurring series (`recurringappointmentmaster`) is an appointment in the table's sense. */
const KIND_BY_TABLE: Readonly<Record<string, EntityKind>> = {
  appointment: 'appointment',
  recurringappointmentmaster: 'appointment',
  task: 'task',
  email: 'email',
  contact: 'contact',
};
/** Dataverse writes the empty GUID for "no Entra identity"; acting as it would be wrong. */
const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';

export function entityKindOf(logicalName: string): EntityKind {
  return KIND_BY_TABLE[logicalName] ?? 'other';
}

function changeOf(messageName: string): Change {
  const change = CHANGE_BY_MESSAGE[messageName];
  if (change === undefined) {
    throw new DeleteSyncError('DS_ERR_UNSUPPORTED_MESSAGE', `Message ${JSON.stringify(messageName)} is not handled (only Create, Update, Delete)`, {
      field: 'MessageName',
    });
  }
  return change;
}

/** Any value but an explicit "false" counts: the header's presence is the signal. */
function isSizeExceeded(headers: Record<string, string | undefined>): boolean {
  const value = headers[DATAVERSE_HEADERS.sizeExceeded];
  return value !== undefined && value.trim().toLowerCase() !== 'false';
}

interface TargetInput {
  ref: CrmRef;
  /** Columns of an Entity target (Create/Update); empty for an EntityReference (Delete). */
  attributes: AttributeMap;
}

function readTarget(context: RemoteExecutionContext): TargetInput | null {
  const index = (context.InputParameters ?? []).findIndex((parameter) => parameter.key === 'Target');
  const parameter = context.InputParameters?.[index];
  if (parameter === undefined) return null;
  const at = `InputParameters[${index}].value`;
  if (hasXrmType(parameter.value, 'EntityReference')) {
    const reference = parseOrThrow(EntityReference, parameter.value, { at, what: 'Target' });
    return { ref: crmRef(reference.LogicalName, reference.Id), attributes: new Map() };
  }
  const entity = parseOrThrow(Entity, parameter.value, { at, what: 'Target' });
  return { ref: crmRef(entity.LogicalName, entity.Id), attributes: attributesOf(entity, at) };
}

/** The first pre-image under any alias: the alias is whatever the step registration chose. */
function readPreImage(context: RemoteExecutionContext): AttributeMap | null {
  const image = context.PreEntityImages?.[0];
  return image === undefined ? null : attributesOf(image.value, 'PreEntityImages[0].value');
}

function snapshotOf(ref: CrmRef, attributes: AttributeMap, takenAt: string | null): CrmSnapshot {
  const series = seriesPosition(ref, {
    instanceType: readOption(attributes, 'instancetypecode'),
    seriesId: readIdOrReference(attributes, 'seriesid'),
    originalStart: readDate(attributes, 'originalstartdate'),
    patternStarts: ['starttime', 'effectivestartdate', 'patternstartdate'].map((column) => readDate(attributes, column)),
  });
  return {
    ref,
    statecode: readOption(attributes, 'statecode'),
    scheduledStart: readDate(attributes, 'scheduledstart'),
    owner: readReference(attributes, 'ownerid'),
    organizer: readPartyList(attributes, 'organizer', 'organizer')[0] ?? null,
    requiredAttendees: readPartyList(attributes, 'requiredattendees', 'required'),
    optionalAttendees: readPartyList(attributes, 'optionalattendees', 'optional'),
    globalObjectId: readString(attributes, 'globalobjectid'),
    messageId: readString(attributes, 'messageid'),
    ...(series === null ? {} : { series }),
    takenAt,
  };
}

/** Delete: the pre-image alone. Create/Update: the Target's columns over the pre-image's. */
function recordColumns(change: Change, target: TargetInput | null, preImage: AttributeMap | null): AttributeMap | null {
  if (change === 'deleted') return preImage;
  if (target === null) return preImage;
  return preImage === null ? target.attributes : overlayAttributes(preImage, target.attributes);
}

function guidOrNull(id: string | null | undefined): string | null {
  return id === undefined || id === null || id === EMPTY_GUID ? null : id.toLowerCase();
}

export function normalizeDataverseWebhook(body: unknown, headers: Record<string, string | undefined>, receivedAt: Date): DomainEvent {
  const context = parseOrThrow(RemoteExecutionContext, parseJsonBody(body), { what: 'Dataverse webhook body' });
  const change = changeOf(context.MessageName);
  const sizeExceeded = isSizeExceeded(headers);
  const target = readTarget(context);
  if (target === null && !sizeExceeded) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Dataverse webhook body: InputParameters has no Target', { field: 'InputParameters' });
  }
  // Size-exceeded bodies lose InputParameters and images: the primary entity names the record.
  const ref = target?.ref ?? crmRef(context.PrimaryEntityName, context.PrimaryEntityId);
  const preImage = readPreImage(context);
  const columns = recordColumns(change, target, preImage);
  const takenAt = context.OperationCreatedOn ?? null;
  const operationId = context.OperationId.toLowerCase();
  return {
    id: `crm:${operationId}:${context.MessageName}:${ref.entity}:${ref.id}`,
    origin: 'crm',
    change,
    entity: entityKindOf(ref.entity),
    receivedAt: receivedAt.toISOString(),
    crm: {
      ref,
      organizationId: context.OrganizationId.toLowerCase(),
      operationId,
      correlationId: guidOrNull(context.CorrelationId ?? headers[DATAVERSE_HEADERS.correlationId]),
      messageName: context.MessageName,
      initiatingUserId: guidOrNull(context.InitiatingUserId),
      initiatingUserAadObjectId: guidOrNull(context.InitiatingUserAzureActiveDirectoryObjectId),
      snapshot: columns === null ? null : snapshotOf(ref, columns, takenAt),
      preImageMissing: change === 'deleted' && preImage === null,
      sizeExceeded,
    },
  };
}
