/**
 * The sandbox's own RemoteExecutionContext writer: the JSON a webhook step receives, in the wire shape
 * of the real captures (../shared/fixtures/dataverse) — DataContract key/value arrays, `__type` markers,
 * `/Date(ms)/`, EntityReference, OptionSetValue, party lists as EntityCollections of activityparty.
 */
import { type ColumnDef, type TableDef } from './schema.js';
import { isRef, type Cell, type EntityRef, type Row } from './store.js';

const NS = 'http://schemas.microsoft.com/xrm/2011/Contracts';

interface KeyValue {
  key: string;
  value: unknown;
}

export type NameOf = (ref: EntityRef) => string | null;

export function entityReference(ref: EntityRef, name: string | null): Record<string, unknown> {
  return { __type: `EntityReference:${NS}`, Id: ref.id, KeyAttributes: [], LogicalName: ref.logicalName, Name: name, RowVersion: null };
}

export function optionSet(value: number): Record<string, unknown> {
  return { __type: `OptionSetValue:${NS}`, Value: value };
}

export function wcfDate(ms: number): string {
  return `/Date(${ms})/`;
}

interface EntityOptions {
  /** The Target carries `__type`; image entities and collection members do not (as captured). */
  typed: boolean;
  /** Lookups in images carry the referenced record's name; a Target built from a request does not. */
  names: boolean;
  /** Images leave out empty columns; a Target carries what the request set, nulls included. */
  skipNulls: boolean;
  nameOf: NameOf;
}

function partyEntity(party: Row, partyDef: TableDef, nameOf: NameOf): Record<string, unknown> {
  const attributes: KeyValue[] = [{ key: 'activitypartyid', value: party.activitypartyid }];
  const formatted: KeyValue[] = [];
  if (isRef(party.activityid)) attributes.push({ key: 'activityid', value: entityReference(party.activityid, null) });
  if (isRef(party.partyid)) {
    const name = nameOf(party.partyid);
    attributes.push({ key: 'partyid', value: entityReference(party.partyid, name) });
    if (name !== null) formatted.push({ key: 'partyid', value: name });
  }
  const mask = party.participationtypemask as number;
  attributes.push({ key: 'participationtypemask', value: optionSet(mask) });
  formatted.push({ key: 'participationtypemask', value: partyDef.columns.participationtypemask?.labels?.[mask] ?? String(mask) });
  if (typeof party.addressused === 'string') attributes.push({ key: 'addressused', value: party.addressused });
  attributes.push({ key: 'ispartydeleted', value: false });
  return {
    Attributes: attributes,
    EntityState: null,
    FormattedValues: formatted,
    Id: party.activitypartyid,
    KeyAttributes: [],
    LogicalName: 'activityparty',
    RelatedEntities: [],
    RowVersion: null,
  };
}

/** A party list: an EntityCollection of activityparty entities. */
export function activityPartyCollection(entities: Record<string, unknown>[]): Record<string, unknown> {
  return {
    __type: `EntityCollection:${NS}`,
    Entities: entities,
    EntityName: 'activityparty',
    MinActiveRowVersion: '-1',
    MoreRecords: false,
    PagingCookie: null,
    TotalRecordCount: -1,
    TotalRecordCountLimitExceeded: false,
  };
}

function partyCollection(parties: Row[], partyDef: TableDef, nameOf: NameOf): Record<string, unknown> {
  return activityPartyCollection(parties.map((p) => partyEntity(p, partyDef, nameOf)));
}

function attributeValue(def: ColumnDef, value: Cell, options: EntityOptions): unknown {
  if (value === null) return null;
  if (def.kind === 'date' && typeof value === 'number') return wcfDate(value);
  if (def.kind === 'choice' && typeof value === 'number') return optionSet(value);
  if (def.kind === 'lookup' && isRef(value)) return entityReference(value, options.names ? options.nameOf(value) : null);
  return value;
}

export interface EntityImageInput {
  table: TableDef;
  id: string;
  row: Row;
  /** The record's parties; party-list columns named in `row` (value ignored) are filled from them. */
  parties: Row[];
  partyDef: TableDef;
}

export function entityJson(input: EntityImageInput, options: EntityOptions): Record<string, unknown> {
  const attributes: KeyValue[] = [];
  const formatted: KeyValue[] = [];
  for (const [name, value] of Object.entries(input.row)) {
    const def = input.table.columns[name];
    if (!def) continue;
    if (def.kind === 'partylist') {
      const members = input.parties.filter((p) => def.masks?.includes(p.participationtypemask as number));
      attributes.push({ key: name, value: partyCollection(members, input.partyDef, options.nameOf) });
      continue;
    }
    if (value === null && options.skipNulls) continue;
    attributes.push({ key: name, value: attributeValue(def, value, options) });
    if (def.kind === 'choice' && typeof value === 'number') formatted.push({ key: name, value: def.labels?.[value] ?? String(value) });
    if (def.kind === 'lookup' && isRef(value) && options.names) {
      const display = options.nameOf(value);
      if (display !== null) formatted.push({ key: name, value: display });
    }
  }
  return {
    ...(options.typed ? { __type: `Entity:${NS}` } : {}),
    Attributes: attributes,
    EntityState: null,
    FormattedValues: formatted,
    Id: input.id,
    KeyAttributes: [],
    LogicalName: input.table.logicalName,
    RelatedEntities: [],
    RowVersion: typeof input.row.versionnumber === 'number' ? String(input.row.versionnumber) : null,
  };
}

export interface Principal {
  systemUserId: string;
  aadObjectId: string;
}

export interface ContextInput {
  message: 'Create' | 'Update' | 'Delete';
  mode: 0 | 1;
  stage: number;
  table: TableDef;
  id: string;
  /** Create/Update: the Target entity (attributes the operation set). Delete: absent (Target is a reference). */
  target?: EntityImageInput;
  preImages: { alias: string; image: EntityImageInput }[];
  postImages: { alias: string; image: EntityImageInput }[];
  /** The user the operation ran as (the impersonated one when CallerObjectId was sent). */
  user: Principal;
  /** The user who sent the request (the application user when it impersonated). */
  initiatingUser: Principal;
  organization: { id: string; name: string; businessUnitId: string };
  correlationId: string;
  operationId: string;
  requestId: string;
  operationCreatedOn: number;
  stepId: string;
  nameOf: NameOf;
}

/** Builds the body in the captured key order (DataContract serialises members alphabetically). */
export function remoteExecutionContext(input: ContextInput): Record<string, unknown> {
  const imageOptions: EntityOptions = { typed: false, names: true, skipNulls: true, nameOf: input.nameOf };
  const reference: EntityRef = { logicalName: input.table.logicalName, id: input.id };
  const target = input.target
    ? entityJson(input.target, { typed: true, names: false, skipNulls: false, nameOf: input.nameOf })
    : entityReference(reference, null);
  const images = (list: ContextInput['preImages']): KeyValue[] =>
    list.map(({ alias, image }) => ({ key: alias, value: entityJson(image, imageOptions) }));
  return {
    BusinessUnitId: input.organization.businessUnitId,
    CorrelationId: input.correlationId,
    Depth: 1,
    InitiatingUserAgent: '',
    InitiatingUserAzureActiveDirectoryObjectId: input.initiatingUser.aadObjectId,
    InitiatingUserId: input.initiatingUser.systemUserId,
    InputParameters: [{ key: 'Target', value: target }],
    IsExecutingOffline: false,
    IsInTransaction: input.mode === 0,
    IsOfflinePlayback: false,
    IsolationMode: 1,
    MessageName: input.message,
    Mode: input.mode,
    OperationCreatedOn: wcfDate(input.operationCreatedOn),
    OperationId: input.operationId,
    OrganizationId: input.organization.id,
    OrganizationName: input.organization.name,
    OutputParameters: input.message === 'Create' ? [{ key: 'id', value: input.id }] : [],
    OwningExtension: { Id: input.stepId, KeyAttributes: [], LogicalName: 'sdkmessageprocessingstep', Name: null, RowVersion: null },
    ParentContext: null,
    PostEntityImages: images(input.postImages),
    PreEntityImages: images(input.preImages),
    PrimaryEntityId: input.id,
    PrimaryEntityName: input.table.logicalName,
    RequestId: input.requestId,
    SecondaryEntityName: 'none',
    SharedVariables: [{ key: 'IsAutoTransact', value: true }],
    Stage: input.stage,
    UserAzureActiveDirectoryObjectId: input.user.aadObjectId,
    UserId: input.user.systemUserId,
  };
}

/** Past 256 KB Dataverse drops the parameters, images and parent context and says so in a header. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;

export function fitToLimit(context: Record<string, unknown>): { body: string; sizeExceeded: boolean } {
  const full = JSON.stringify(context);
  if (Buffer.byteLength(full) <= MAX_WEBHOOK_BYTES) return { body: full, sizeExceeded: false };
  const trimmed = { ...context };
  for (const key of ['InputParameters', 'PreEntityImages', 'PostEntityImages', 'ParentContext']) delete trimmed[key];
  return { body: JSON.stringify(trimmed), sizeExceeded: true };
}
