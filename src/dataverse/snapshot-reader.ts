/**
 * Reading a record's snapshot through the Web API, for when the webhook could not carry it: past 256 KB
 * Dataverse strips the Target and images (design.md §3), and a meeting with hundreds of attendees gets
 * there. The columns are the ones the steps register (SNAPSHOT_COLUMNS); the party lists come from the
 * activity's `<table>_activity_parties` collection, since party-list columns are not Web API properties.
 * The result has the webhook normaliser's shape: ISO dates, lower-case GUIDs, roles from the same masks.
 */
import { z } from 'zod';
import { parseOrThrow } from '../contracts/validate.js';
import { crmRef, partyRole } from '../domain/dataverse-values.js';
import type { CrmRef, CrmSnapshot, Party } from '../domain/event.js';
import { seriesPosition } from '../domain/snapshot.js';
import type { DataverseClient } from './client.js';
import { SNAPSHOT_COLUMNS, type TrackedTable } from './registration.js';

const LOOKUP_LOGICAL_NAME = 'Microsoft.Dynamics.CRM.lookuplogicalname';

/** Party-list columns among SNAPSHOT_COLUMNS: read through the party collection, never selected. */
const PARTY_LIST_COLUMNS: ReadonlySet<string> = new Set(['organizer', 'requiredattendees', 'optionalattendees']);
/** Lookup columns among SNAPSHOT_COLUMNS: the Web API names them `_<column>_value`. */
const LOOKUP_COLUMNS: ReadonlySet<string> = new Set(['ownerid']);
/** When the values were last written: the read's counterpart of the webhook's OperationCreatedOn. */
const MODIFIED_ON = 'modifiedon';

const lookupValue = (column: string) => `_${column}_value`;
const lookupType = (column: string) => `${lookupValue(column)}@${LOOKUP_LOGICAL_NAME}`;
const partyNavigation = (table: TrackedTable) => `${table}_activity_parties`;

const nullable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();
const IsoDate = z.iso.datetime({ offset: true }).transform((value) => new Date(value).toISOString());
const Text = nullable(z.string());
/** DateOnly columns (patternstartdate, effectivestartdate) may come as a bare date: read as that day's midnight UTC. */
const IsoDay = z.union([IsoDate, z.iso.date().transform((day) => `${day}T00:00:00.000Z`)]);

const PartyRow = z.looseObject({ participationtypemask: nullable(z.number().int()), addressused: Text });

const RecordRow = z.looseObject({
  statecode: nullable(z.number().int()),
  scheduledstart: nullable(IsoDate),
  globalobjectid: Text,
  messageid: Text,
  instancetypecode: nullable(z.number().int()),
  /** Uniqueidentifier on the table page (not a lookup property). */
  seriesid: Text,
  originalstartdate: nullable(IsoDate),
  starttime: nullable(IsoDate),
  effectivestartdate: nullable(IsoDay),
  patternstartdate: nullable(IsoDay),
  [MODIFIED_ON]: nullable(IsoDate),
});

type Row = Record<string, unknown>;

function isTracked(entity: string): entity is TrackedTable {
  return Object.hasOwn(SNAPSHOT_COLUMNS, entity);
}

/** A lookup as the Web API writes it: the id, and the table it points at in the annotation asked for. */
function reference(row: Row, column: string, what: string): CrmRef | null {
  const id = parseOrThrow(Text, row[lookupValue(column)], { what, at: lookupValue(column), code: 'DS_ERR_UPSTREAM' });
  const entity = parseOrThrow(Text, row[lookupType(column)], { what, at: lookupType(column), code: 'DS_ERR_UPSTREAM' });
  return id && entity ? crmRef(entity, id) : null;
}

function partyOf(row: Row, what: string): Party {
  const { participationtypemask, addressused } = parseOrThrow(PartyRow, row, { what, code: 'DS_ERR_UPSTREAM' });
  const party = reference(row, 'partyid', what);
  return {
    role: partyRole(participationtypemask ?? null, 'other'),
    type: party?.entity ?? 'unresolved',
    id: party?.id ?? null,
    address: addressused ?? null,
  };
}

function queryFor(table: TrackedTable): { select: string[]; expand: string[] } {
  const columns = SNAPSHOT_COLUMNS[table];
  const select = columns.filter((c) => !(PARTY_LIST_COLUMNS.has(c))).map((c) => (LOOKUP_COLUMNS.has(c) ? lookupValue(c) : c));
  const hasParties = columns.some((c) => PARTY_LIST_COLUMNS.has(c));
  return {
    select: [...select, MODIFIED_ON],
    expand: hasParties ? [`${partyNavigation(table)}($select=${lookupValue('partyid')},participationtypemask,addressused)`] : [],
  };
}

/**
 * The record as it is now, or null when it no longer exists or is not a tracked table. Reads as the
 * application user; Dataverse errors (throttling past the client's retries, no read access) are thrown,
 * so the queue message is retried rather than a snapshot silently not stored.
 */
export async function readSnapshot(client: DataverseClient, ref: CrmRef): Promise<CrmSnapshot | null> {
  if (!isTracked(ref.entity)) return null;
  const table = ref.entity;
  const body = await client.get(client.entitySet(table), ref.id, { ...queryFor(table), annotations: [LOOKUP_LOGICAL_NAME] });
  if (body === null) return null;
  const what = `${table} ${ref.id} read from the Web API`;
  const row = parseOrThrow(RecordRow, body, { what, code: 'DS_ERR_UPSTREAM' });
  const parties = parseOrThrow(nullable(z.array(z.looseObject({}))), row[partyNavigation(table)], { what, at: partyNavigation(table), code: 'DS_ERR_UPSTREAM' }) ?? [];
  const members = parties.map((party, index) => partyOf(party, `${what}, ${partyNavigation(table)}[${index}]`));
  const series = seriesPosition(crmRef(table, ref.id), {
    instanceType: row.instancetypecode ?? null,
    seriesId: row.seriesid ?? null,
    originalStart: row.originalstartdate ?? null,
    patternStarts: [row.starttime ?? null, row.effectivestartdate ?? null, row.patternstartdate ?? null],
  });
  return {
    ref: crmRef(table, ref.id),
    statecode: row.statecode ?? null,
    scheduledStart: row.scheduledstart ?? null,
    owner: reference(row, 'ownerid', what),
    organizer: members.find((p) => p.role === 'organizer') ?? null,
    requiredAttendees: members.filter((p) => p.role === 'required'),
    optionalAttendees: members.filter((p) => p.role === 'optional'),
    globalObjectId: row.globalobjectid ?? null,
    messageId: row.messageid ?? null,
    ...(series === null ? {} : { series }),
    takenAt: row[MODIFIED_ON] ?? null,
  };
}
