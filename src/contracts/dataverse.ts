/**
 * The Dataverse webhook body: a RemoteExecutionContext serialised as JSON (DataContractJsonSerializer).
 * Dictionaries are arrays of {key, value}; typed values carry `__type` markers; dates are `/Date(ms±hhmm)/`.
 * Objects are loose: Dataverse adds context fields over time and an unknown field must not reject a delete.
 * Attribute values stay `unknown` in the envelope and are decoded one by one where they are read
 * (src/domain/dataverse-values.ts), so a column type nobody reads can never fail a body.
 */
import { z } from 'zod';

export const XRM_CONTRACTS_NAMESPACE = 'http://schemas.microsoft.com/xrm/2011/Contracts';

/** `"<name>:http://schemas.microsoft.com/xrm/2011/Contracts"`, the DataContract type marker. */
function xrmTypeMarker(name: string) {
  const expected = `${name}:${XRM_CONTRACTS_NAMESPACE}`;
  return z.string().refine((value) => value === expected, { message: `expected __type "${expected}"` });
}

/** True when `value` is an object whose `__type` marker names the given xrm contract type. */
export function hasXrmType(value: unknown, name: string): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { __type?: unknown }).__type === `${name}:${XRM_CONTRACTS_NAMESPACE}`
  );
}

/**
 * Some captures wrap scalars as `{"__type":"Guid:#System","__value":…}` (also DateTime:#System);
 * the same values appear bare elsewhere in the same body. Unwrap before validating.
 */
export function unwrapSystemScalar(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('__value' in value)) return value;
  const marker = (value as { __type?: unknown }).__type;
  return typeof marker === 'string' && marker.endsWith(':#System') ? (value as { __value: unknown }).__value : value;
}

export const XrmGuid = z.preprocess(unwrapSystemScalar, z.string().min(1));
export const XrmString = z.preprocess(unwrapSystemScalar, z.string());

const XRM_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/** `/Date(1736000000000)/` or `/Date(1724647396000+0300)/` → ISO-8601 UTC. The number is UTC ms; the offset is display-only. */
export const XrmDate = z.preprocess(
  unwrapSystemScalar,
  z
    .string()
    .regex(XRM_DATE, { message: 'expected a /Date(ms)/ value' })
    .transform((value) => new Date(Number(XRM_DATE.exec(value)?.[1])).toISOString()),
);

export function keyValue<T extends z.ZodType>(value: T) {
  return z.object({ key: z.string(), value });
}

export const EntityReference = z.looseObject({
  __type: xrmTypeMarker('EntityReference').optional(),
  Id: XrmGuid,
  LogicalName: z.string().min(1),
  Name: z.string().nullable().optional(),
});

export const OptionSetValue = z.looseObject({
  __type: xrmTypeMarker('OptionSetValue'),
  Value: z.number().int(),
});

export const Money = z.looseObject({
  __type: xrmTypeMarker('Money'),
  Value: z.number(),
});

export const Entity = z.looseObject({
  __type: xrmTypeMarker('Entity').optional(),
  LogicalName: z.string().min(1),
  Id: XrmGuid,
  Attributes: z.array(keyValue(z.unknown())),
  FormattedValues: z.array(keyValue(z.unknown())).optional(),
});

export const EntityCollection = z.looseObject({
  __type: xrmTypeMarker('EntityCollection'),
  Entities: z.array(Entity),
  EntityName: z.string().nullable().optional(),
});

/**
 * The envelope. InputParameters, images and ParentContext are optional because Dataverse removes
 * them when the message passed 256 KB (header x-ms-dynamics-msg-size-exceeded).
 */
export const RemoteExecutionContext = z.looseObject({
  MessageName: z.string().min(1),
  PrimaryEntityName: z.string().min(1),
  PrimaryEntityId: XrmGuid,
  OperationId: XrmGuid,
  OrganizationId: XrmGuid,
  OrganizationName: z.string().optional(),
  CorrelationId: XrmGuid.nullable().optional(),
  RequestId: XrmGuid.nullable().optional(),
  InitiatingUserId: XrmGuid.nullable().optional(),
  InitiatingUserAzureActiveDirectoryObjectId: XrmGuid.nullable().optional(),
  UserId: XrmGuid.nullable().optional(),
  UserAzureActiveDirectoryObjectId: XrmGuid.nullable().optional(),
  OperationCreatedOn: XrmDate.nullable().optional(),
  Depth: z.number().int().optional(),
  Mode: z.number().int().optional(),
  Stage: z.number().int().optional(),
  InputParameters: z.array(keyValue(z.unknown())).optional(),
  OutputParameters: z.array(keyValue(z.unknown())).optional(),
  PreEntityImages: z.array(keyValue(Entity)).optional(),
  PostEntityImages: z.array(keyValue(Entity)).optional(),
  SharedVariables: z.array(keyValue(z.unknown())).optional(),
  ParentContext: z.unknown().optional(),
});

/** Activity party participation types (participationtypemask). */
export const PARTICIPATION_TYPE = {
  sender: 1,
  to: 2,
  cc: 3,
  bcc: 4,
  required: 5,
  optional: 6,
  organizer: 7,
  regarding: 8,
  owner: 9,
} as const;

/** Request header names, lower-case as Node delivers them. */
export const DATAVERSE_HEADERS = {
  organization: 'x-ms-dynamics-organization',
  entityName: 'x-ms-dynamics-entity-name',
  requestName: 'x-ms-dynamics-request-name',
  correlationId: 'x-ms-correlation-request-id',
  sizeExceeded: 'x-ms-dynamics-msg-size-exceeded',
} as const;

export type EntityReference = z.infer<typeof EntityReference>;
export type OptionSetValue = z.infer<typeof OptionSetValue>;
export type Money = z.infer<typeof Money>;
export type Entity = z.infer<typeof Entity>;
export type EntityCollection = z.infer<typeof EntityCollection>;
export type RemoteExecutionContext = z.infer<typeof RemoteExecutionContext>;
