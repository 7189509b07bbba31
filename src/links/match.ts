/**
 * Which CRM record a mailbox item is the tracked copy of: the item's mark first (markers.ts: the CRM-id
 * stamp, or this service's linkedResource on a To Do task), accepted only when CRM has that record —
 * a mark is text anyone with write access to the mailbox can set; else meetings by iCalUId ↔
 * appointment `globalobjectid` (kept as upper-case hex or as base64 of the same bytes), series masters
 * by the same match against `recurringappointmentmaster`, and e-mails by `internetMessageId` ↔ email
 * `messageid`. Categories are never a link key. Items are matched a page at a time, with one Dataverse
 * query per few items rather than one per item.
 */
import { z } from 'zod';
import type { DataverseClient } from '../dataverse/client.js';
import type { CrmRef, OutlookItemKind } from '../domain/event.js';
import type { LinkRole } from '../domain/link.js';
import { entitySetOf } from '../dataverse/entity-sets.js';
import { iCalUIdFromGlobalObjectId } from '../graph/items.js';
import { crmRefFromMarker, LinkedResource } from './markers.js';

export const GraphItem = z.looseObject({
  id: z.string().min(1),
  iCalUId: z.string().nullish(),
  isOrganizer: z.boolean().nullish(),
  internetMessageId: z.string().nullish(),
  singleValueExtendedProperties: z.array(z.looseObject({ id: z.string(), value: z.string() })).optional(),
  linkedResources: z.array(LinkedResource).optional(),
});
export type GraphItem = z.infer<typeof GraphItem>;

/** What to read of an item to match it. */
export const MATCH_SELECT: Readonly<Record<OutlookItemKind, string[]>> = {
  event: ['id', 'iCalUId', 'isOrganizer'],
  message: ['id', 'internetMessageId'],
  contact: ['id'],
  todoTask: ['id'],
};

export interface ItemMatch {
  itemId: string;
  crm: CrmRef;
  role: LinkRole;
}

/** Values per Dataverse query: an OData filter of a few `or`-ed equalities keeps the URL short. */
const CHUNK = 10;

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

function chunks<T>(values: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += CHUNK) out.push(values.slice(i, i + CHUNK));
  return out;
}

/** The forms a CRM `globalobjectid` may take for a meeting whose iCalUId is `iCalUId`. */
function globalObjectIdForms(iCalUId: string): string[] {
  const forms = [iCalUId];
  if (/^([0-9A-F]{2})+$/i.test(iCalUId)) forms.push(Buffer.from(iCalUId, 'hex').toString('base64'));
  return forms;
}

const AppointmentRow = z.looseObject({ activityid: z.string(), globalobjectid: z.string().nullable(), instancetypecode: z.number().int().nullish() });
/** Instances and exceptions of a series are never matched by iCalUId: their globalobjectid may be the whole series'. */
const isSeriesPart = (row: z.infer<typeof AppointmentRow>) => (row.instancetypecode ?? 0) !== 0;
const EmailRow = z.looseObject({ activityid: z.string(), messageid: z.string().nullable() });

async function appointmentsByICalUId(dataverse: DataverseClient, iCalUIds: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const chunk of chunks(iCalUIds)) {
    const filter = chunk.flatMap(globalObjectIdForms).map((v) => `globalobjectid eq ${literal(v)}`).join(' or ');
    const rows = z.array(AppointmentRow).parse(await dataverse.list('appointments', { select: ['activityid', 'globalobjectid', 'instancetypecode'], filter }));
    for (const row of rows) if (row.globalobjectid && !isSeriesPart(row)) found.set(iCalUIdFromGlobalObjectId(row.globalobjectid), row.activityid.toLowerCase());
  }
  return found;
}

/** Series masters (Outlook `seriesMaster`) match a CRM series by the same globalobjectid ↔ iCalUId. */
async function seriesByICalUId(dataverse: DataverseClient, iCalUIds: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const chunk of chunks(iCalUIds)) {
    const filter = chunk.flatMap(globalObjectIdForms).map((v) => `globalobjectid eq ${literal(v)}`).join(' or ');
    const rows = z.array(AppointmentRow).parse(await dataverse.list('recurringappointmentmasters', { select: ['activityid', 'globalobjectid'], filter }));
    for (const row of rows) if (row.globalobjectid) found.set(iCalUIdFromGlobalObjectId(row.globalobjectid), row.activityid.toLowerCase());
  }
  return found;
}

async function emailsByMessageId(dataverse: DataverseClient, messageIds: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const chunk of chunks(messageIds)) {
    const filter = chunk.map((v) => `messageid eq ${literal(v)}`).join(' or ');
    const rows = z.array(EmailRow).parse(await dataverse.list('emails', { select: ['activityid', 'messageid'], filter }));
    for (const row of rows) if (row.messageid) found.set(row.messageid, row.activityid.toLowerCase());
  }
  return found;
}

/** Primary key column of the tables marks can name. */
const PRIMARY_KEY: Readonly<Record<string, string>> = { contact: 'contactid', appointment: 'activityid', task: 'activityid', email: 'activityid' };

/** Which of these ids of one table CRM has (lower-cased). */
async function existing(dataverse: DataverseClient, entity: string, ids: string[]): Promise<Set<string>> {
  const key = PRIMARY_KEY[entity];
  const found = new Set<string>();
  if (key === undefined) return found;
  for (const chunk of chunks(ids)) {
    const rows = z.array(z.record(z.string(), z.unknown())).parse(
      await dataverse.list(entitySetOf(entity), { select: [key], filter: chunk.map((id) => `${key} eq ${id}`).join(' or ') }),
    );
    for (const row of rows) if (typeof row[key] === 'string') found.add((row[key] as string).toLowerCase());
  }
  return found;
}

const roleOf = (itemKind: OutlookItemKind, item: GraphItem): LinkRole =>
  itemKind === 'event' ? (item.isOrganizer === true ? 'organizer' : 'attendee') : 'other';

/** Matches items of one kind; items that match nothing are left out. */
export async function matchItems(dataverse: DataverseClient, itemKind: OutlookItemKind, items: readonly GraphItem[]): Promise<ItemMatch[]> {
  const matches: ItemMatch[] = [];
  const rest: GraphItem[] = [];
  const marked: { item: GraphItem; crm: CrmRef }[] = [];
  for (const item of items) {
    const crm = crmRefFromMarker(itemKind, item);
    if (crm !== null) marked.push({ item, crm });
    else rest.push(item);
  }
  const byEntity = new Map<string, string[]>();
  for (const { crm } of marked) byEntity.set(crm.entity, [...(byEntity.get(crm.entity) ?? []), crm.id.toLowerCase()]);
  const known = new Map<string, Set<string>>();
  for (const [entity, ids] of byEntity) known.set(entity, await existing(dataverse, entity, [...new Set(ids)]));
  for (const { item, crm } of marked) {
    // A mark naming no CRM record links nothing, and the item is not matched another way either.
    if (known.get(crm.entity)?.has(crm.id.toLowerCase())) matches.push({ itemId: item.id, crm, role: roleOf(itemKind, item) });
  }
  if (itemKind === 'event') {
    const keyed = rest.filter((i) => i.iCalUId);
    const found = await appointmentsByICalUId(dataverse, [...new Set(keyed.map((i) => (i.iCalUId as string).toUpperCase()))]);
    const series = keyed.filter((i) => !found.has((i.iCalUId as string).toUpperCase()));
    const masters = series.length === 0 ? new Map<string, string>() : await seriesByICalUId(dataverse, [...new Set(series.map((i) => (i.iCalUId as string).toUpperCase()))]);
    for (const item of keyed) {
      const key = (item.iCalUId as string).toUpperCase();
      const id = found.get(key);
      const master = masters.get(key);
      if (id !== undefined) matches.push({ itemId: item.id, crm: { entity: 'appointment', id }, role: roleOf(itemKind, item) });
      else if (master !== undefined) matches.push({ itemId: item.id, crm: { entity: 'recurringappointmentmaster', id: master }, role: roleOf(itemKind, item) });
    }
  }
  if (itemKind === 'message') {
    const keyed = rest.filter((i) => i.internetMessageId);
    const found = await emailsByMessageId(dataverse, [...new Set(keyed.map((i) => i.internetMessageId as string))]);
    for (const item of keyed) {
      const id = found.get(item.internetMessageId as string);
      if (id !== undefined) matches.push({ itemId: item.id, crm: { entity: 'email', id }, role: 'other' });
    }
  }
  return matches;
}
