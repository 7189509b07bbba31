/**
 * Reading typed column values out of Dataverse entities. Each reader validates only the column it
 * reads, so a malformed column is reported with its JSON path and unknown column types never matter.
 */
import { z } from 'zod';
import { EntityCollection, EntityReference, OptionSetValue, PARTICIPATION_TYPE, XrmDate, XrmString, type Entity } from '../contracts/dataverse.js';
import { parseOrThrow } from '../contracts/validate.js';
import type { CrmRef, Party, PartyRole } from './event.js';

/** A column value and where it sits in the body, for error messages. */
export interface AttributeSlot {
  value: unknown;
  path: string;
}
export type AttributeMap = ReadonlyMap<string, AttributeSlot>;

/** Index an entity's Attributes array by column name; `path` is where the entity sits in the body. */
export function attributesOf(entity: Entity, path: string): AttributeMap {
  return new Map(entity.Attributes.map((attribute, index) => [attribute.key, { value: attribute.value, path: `${path}.Attributes[${index}].value` }]));
}

/** Columns of `top` win over those of `base` (an Update's Target over its pre-image). */
export function overlayAttributes(base: AttributeMap, top: AttributeMap): AttributeMap {
  return new Map([...base, ...top]);
}

/** CRM ids are GUIDs, case-insensitive; one spelling keeps dedupe keys and link lookups stable. */
export function crmRef(entity: string, id: string): CrmRef {
  return { entity, id: id.toLowerCase() };
}

function readWith<S extends z.ZodType>(attributes: AttributeMap, key: string, schema: S): z.output<S> | null {
  const slot = attributes.get(key);
  if (slot === undefined || slot.value === null) return null;
  return parseOrThrow(schema, slot.value, { at: slot.path, what: `column ${key}` });
}

const OptionOrNumber = z.union([OptionSetValue.transform((option) => option.Value), z.number().int()]);

export function readString(attributes: AttributeMap, key: string): string | null {
  return readWith(attributes, key, XrmString);
}

/** An OptionSetValue column (statecode, participationtypemask …); bare integers are accepted too. */
export function readOption(attributes: AttributeMap, key: string): number | null {
  return readWith(attributes, key, OptionOrNumber);
}

/** A date column as ISO-8601 UTC. */
export function readDate(attributes: AttributeMap, key: string): string | null {
  return readWith(attributes, key, XrmDate);
}

export function readReference(attributes: AttributeMap, key: string): CrmRef | null {
  const reference = readWith(attributes, key, EntityReference);
  return reference === null ? null : crmRef(reference.LogicalName, reference.Id);
}

/** A GUID column that may come as a bare Guid or as an EntityReference (`seriesid`: the docs give Uniqueidentifier, the relationship makes it a lookup). */
export function readIdOrReference(attributes: AttributeMap, key: string): string | null {
  const slot = attributes.get(key);
  if (slot === undefined || slot.value === null) return null;
  if (typeof slot.value === 'object' && 'LogicalName' in slot.value) return readReference(attributes, key)?.id ?? null;
  return readString(attributes, key)?.toLowerCase() ?? null;
}

const ROLE_BY_MASK: ReadonlyMap<number, PartyRole> = new Map<number, PartyRole>([
  [PARTICIPATION_TYPE.organizer, 'organizer'],
  [PARTICIPATION_TYPE.required, 'required'],
  [PARTICIPATION_TYPE.optional, 'optional'],
  [PARTICIPATION_TYPE.owner, 'owner'],
  [PARTICIPATION_TYPE.sender, 'from'],
  [PARTICIPATION_TYPE.to, 'to'],
]);

/** A party's role from its participationtypemask; without a mask, the role of the column it was listed in. */
export function partyRole(mask: number | null, columnRole: PartyRole): PartyRole {
  return mask === null ? columnRole : (ROLE_BY_MASK.get(mask) ?? 'other');
}

/**
 * A party-list column (organizer, requiredattendees …): an EntityCollection of activityparty.
 * `partyid` is null for addresses Dataverse could not resolve; those keep `addressused`.
 * The role comes from participationtypemask, else (no mask) from the column the list was read from.
 */
export function readPartyList(attributes: AttributeMap, key: string, columnRole: PartyRole): Party[] {
  const slot = attributes.get(key);
  const collection = readWith(attributes, key, EntityCollection);
  if (slot === undefined || collection === null) return [];
  return collection.Entities.map((party, index) => {
    const partyAttributes = attributesOf(party, `${slot.path}.Entities[${index}]`);
    const mask = readOption(partyAttributes, 'participationtypemask');
    const partyId = readReference(partyAttributes, 'partyid');
    return {
      role: partyRole(mask, columnRole),
      type: partyId?.entity ?? 'unresolved',
      id: partyId?.id ?? null,
      address: readString(partyAttributes, 'addressused'),
    };
  });
}
