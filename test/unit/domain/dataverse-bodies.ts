/**
 * Delete bodies for every record type and state, made by transforming the reconstructed appointment
 * Delete fixture (its envelope, EntityReference Target, pre-image and activityparty layout) rather
 * than by writing new shapes.
 */
import { fixtureJson } from '../contracts/fixture-files.js';

type Json = Record<string, unknown>;
interface KeyValue {
  key: string;
  value: unknown;
}

const FIXTURE = 'delete-webhook-appointment.reconstructed.json';

export function reconstructedDelete(): Json {
  return structuredClone(fixtureJson('dataverse', FIXTURE)) as Json;
}

function preImage(body: Json): Json {
  const images = body.PreEntityImages as KeyValue[];
  return images[0]?.value as Json;
}

function column(body: Json, key: string): unknown {
  return (preImage(body).Attributes as KeyValue[]).find((attribute) => attribute.key === key)?.value;
}

export function optionSet(value: number): Json {
  return { ...(column(reconstructedDelete(), 'statecode') as Json), Value: value };
}

export function xrmDate(at: Date): string {
  return `/Date(${at.getTime()})/`;
}

export function reference(logicalName: string, id: string): Json {
  return { ...(column(reconstructedDelete(), 'ownerid') as Json), LogicalName: logicalName, Id: id };
}

/** Sets (or adds) a pre-image column. */
export function setColumn(body: Json, key: string, value: unknown): Json {
  const attributes = preImage(body).Attributes as KeyValue[];
  const existing = attributes.find((attribute) => attribute.key === key);
  if (existing === undefined) attributes.push({ key, value });
  else existing.value = value;
  return body;
}

export function removeColumn(body: Json, key: string): Json {
  const image = preImage(body);
  image.Attributes = (image.Attributes as KeyValue[]).filter((attribute) => attribute.key !== key);
  return body;
}

/** Renames the record's table everywhere it appears (Target, primary entity, pre-image). */
export function asEntity(body: Json, logicalName: string): Json {
  const target = (body.InputParameters as KeyValue[])[0]?.value as Json;
  target.LogicalName = logicalName;
  body.PrimaryEntityName = logicalName;
  preImage(body).LogicalName = logicalName;
  for (const appointmentOnly of ['scheduledstart', 'scheduledend', 'globalobjectid', 'organizer']) removeColumn(body, appointmentOnly);
  return body;
}

export function withoutPreImage(body: Json): Json {
  body.PreEntityImages = [];
  return body;
}

/** What Dataverse sends past 256 KB: InputParameters, images and ParentContext removed. */
export function sizeExceeded(body: Json): Json {
  for (const removed of ['InputParameters', 'PreEntityImages', 'PostEntityImages', 'ParentContext']) delete body[removed];
  return body;
}

export interface PartySpec {
  mask: number;
  /** null: an unresolved e-mail address. */
  party: { logicalName: string; id: string } | null;
  address?: string;
}

/** A party-list column built from the fixture's organizer activityparty. */
export function partyList(parties: PartySpec[]): Json {
  const template = column(reconstructedDelete(), 'organizer') as Json;
  const [entity] = template.Entities as Json[];
  return {
    ...template,
    Entities: parties.map((spec) => {
      const party = structuredClone(entity) as Json;
      const attributes = (party.Attributes as KeyValue[]).filter((attribute) => attribute.key !== 'partyid');
      const mask = attributes.find((attribute) => attribute.key === 'participationtypemask');
      if (mask !== undefined) mask.value = optionSet(spec.mask);
      attributes.push({ key: 'partyid', value: spec.party === null ? null : reference(spec.party.logicalName, spec.party.id) });
      if (spec.address !== undefined) attributes.push({ key: 'addressused', value: spec.address });
      party.Attributes = attributes;
      return party;
    }),
  };
}
