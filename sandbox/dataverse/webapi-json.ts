/**
 * Rows as the Web API writes them (lookups as `_x_value`, dates as ISO strings, annotations on request)
 * and request bodies read back into rows (`x@odata.bind` references, party collections by deep insert).
 */
import { badRequest, DV_CODE } from './errors.js';
import { columnForProperty } from './query.js';
import { partyNavigation, tableByEntitySet, tableByLogicalName, type ColumnDef, type TableDef } from './schema.js';
import { isRef, type Cell, type EntityRef, type Row } from './store.js';

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Prefer {
  annotate: (name: string) => boolean;
  returnRepresentation: boolean;
  maxPageSize?: number;
}

/** Reads `Prefer: return=representation, odata.include-annotations="*", odata.maxpagesize=10`. */
export function parsePrefer(header: string | undefined): Prefer {
  const parts = (header ?? '').split(',').map((p) => p.trim());
  const include = parts.find((p) => p.startsWith('odata.include-annotations='));
  const patterns = (include?.split('=')[1] ?? '').replace(/"/g, '').split(',').filter(Boolean);
  const pageSize = parts.find((p) => p.startsWith('odata.maxpagesize='));
  return {
    annotate: (name) =>
      patterns.some((p) => p === '*' || p === name || (p.endsWith('.*') && name.startsWith(p.slice(0, -1)))),
    returnRepresentation: parts.includes('return=representation'),
    ...(pageSize ? { maxPageSize: Number(pageSize.split('=')[1]) } : {}),
  };
}

const FORMATTED = 'OData.Community.Display.V1.FormattedValue';
const LOOKUP_LOGICAL = 'Microsoft.Dynamics.CRM.lookuplogicalname';

function isoDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface JsonOptions {
  select?: string[];
  prefer: Prefer;
  nameOf: (ref: EntityRef) => string | null;
}

function jsonColumn(out: Record<string, unknown>, name: string, def: ColumnDef, value: Cell, options: JsonOptions): void {
  if (def.kind === 'lookup') {
    const property = `_${name}_value`;
    out[property] = isRef(value) ? value.id : null;
    if (isRef(value)) {
      const display = options.nameOf(value);
      if (display !== null && options.prefer.annotate(FORMATTED)) out[`${property}@${FORMATTED}`] = display;
      if (options.prefer.annotate(LOOKUP_LOGICAL)) out[`${property}@${LOOKUP_LOGICAL}`] = value.logicalName;
    }
    return;
  }
  if (def.kind === 'date') {
    out[name] = typeof value === 'number' ? isoDate(value) : null;
    return;
  }
  out[name] = value ?? null;
  if (def.kind === 'choice' && typeof value === 'number' && options.prefer.annotate(FORMATTED)) {
    out[`${name}@${FORMATTED}`] = def.labels?.[value] ?? String(value);
  }
}

export function rowToJson(table: TableDef, row: Row, options: JsonOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof row.versionnumber === 'number') out['@odata.etag'] = `W/"${row.versionnumber}"`;
  const names = options.select
    ? options.select.map((p) => columnForProperty(table, p).name)
    : Object.keys(table.columns).filter((n) => table.columns[n]?.kind !== 'partylist' && !table.columns[n]?.hidden);
  if (options.select && !names.includes(table.primaryId)) names.push(table.primaryId);
  for (const name of names) jsonColumn(out, name, table.columns[name] as ColumnDef, row[name] ?? null, options);
  return out;
}

/** `/systemusers(<id>)`, `systemusers(<id>)` or an absolute URL of it. */
export function parseRecordUrl(value: string): { table: TableDef; id: string } | undefined {
  const match = /(?:^|\/)([a-z_]+)\(([0-9a-fA-F-]{36})\)$/.exec(value.trim());
  const table = match ? tableByEntitySet(match[1] as string) : undefined;
  return table && match ? { table, id: (match[2] as string).toLowerCase() } : undefined;
}

export interface PartyInput {
  partyid: EntityRef | null;
  participationtypemask: number;
  addressused: string | null;
}

export interface ParsedBody {
  values: Row;
  /** Present when the body carried the activity's party collection (replaces it, as Dataverse does). */
  parties?: PartyInput[];
}

function bindTarget(table: TableDef, key: string, value: unknown): { column: string; ref: EntityRef | null } {
  const property = key.slice(0, -'@odata.bind'.length);
  let column = property;
  let typed: string | undefined;
  if (table.columns[property]?.kind !== 'lookup') {
    const split = property.lastIndexOf('_');
    column = property.slice(0, split);
    typed = property.slice(split + 1);
  }
  const def = table.columns[column];
  if (!def || def.kind !== 'lookup' || def.readOnly || (typed && !def.targets?.includes(typed))) {
    throw badRequest(
      `An undeclared property '${property}' which only has property annotations in the payload but no property value was found in the payload. In OData, only declared navigation properties and declared named streams can be represented as properties without values.`,
    );
  }
  if (value === null) return { column, ref: null };
  const target = typeof value === 'string' ? parseRecordUrl(value) : undefined;
  if (!target || !def.targets?.includes(target.table.logicalName) || (typed && typed !== target.table.logicalName)) {
    throw badRequest(`The value '${String(value)}' of '${key}' is not a valid reference for ${table.logicalName}.${column}.`, DV_CODE.invalidArgument);
  }
  return { column, ref: { logicalName: target.table.logicalName, id: target.id } };
}

function scalar(table: TableDef, name: string, def: ColumnDef, value: unknown): Cell {
  const wrong = (): never => {
    throw badRequest(`Cannot convert the literal '${JSON.stringify(value)}' to the expected type of '${table.logicalName}.${name}'.`);
  };
  if (value === null) return null;
  switch (def.kind) {
    case 'date': {
      const ms = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(ms) ? wrong() : ms;
    }
    case 'int':
    case 'choice':
      return typeof value === 'number' && Number.isInteger(value) ? value : wrong();
    case 'bool':
      return typeof value === 'boolean' ? value : wrong();
    case 'guid':
      return typeof value === 'string' && GUID.test(value) ? value.toLowerCase() : wrong();
    default:
      return typeof value === 'string' ? value : wrong();
  }
}

function parseParty(item: unknown): PartyInput {
  const party = partyTable();
  if (typeof item !== 'object' || item === null) throw badRequest('An activity party must be an object.');
  const input: PartyInput = { partyid: null, participationtypemask: 0, addressused: null };
  for (const [key, value] of Object.entries(item)) {
    if (key.endsWith('@odata.bind')) {
      const { column, ref } = bindTarget(party, key, value);
      if (column !== 'partyid') throw badRequest(`The property '${key}' cannot be set on an activityparty.`);
      input.partyid = ref;
    } else if (key === 'participationtypemask') {
      input.participationtypemask = scalar(party, key, party.columns.participationtypemask as ColumnDef, value) as number;
    } else if (key === 'addressused') {
      input.addressused = scalar(party, key, party.columns.addressused as ColumnDef, value) as string | null;
    } else if (!key.startsWith('@odata.')) {
      throw badRequest(`The property '${key}' does not exist on type 'Microsoft.Dynamics.CRM.activityparty'.`);
    }
  }
  if (!input.participationtypemask) throw badRequest('participationtypemask is required for an activity party.', DV_CODE.invalidArgument);
  if (!input.partyid && !input.addressused) throw badRequest('An activity party needs partyid or addressused.', DV_CODE.invalidArgument);
  return input;
}

function partyTable(): TableDef {
  return tableByLogicalName('activityparty') as TableDef;
}

export function parseBody(table: TableDef, body: unknown): ParsedBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The request body must be a JSON object.');
  const parsed: ParsedBody = { values: {} };
  const navigation = partyNavigation(table);
  for (const [key, value] of Object.entries(body)) {
    if (key.endsWith('@odata.bind')) {
      const { column, ref } = bindTarget(table, key, value);
      parsed.values[column] = ref;
    } else if (navigation && key === navigation) {
      if (!Array.isArray(value)) throw badRequest(`'${key}' must be a collection.`);
      parsed.parties = value.map(parseParty);
    } else if (/^_.+_value$/.test(key)) {
      throw badRequest('CRM do not support direct update of Entity Reference properties, Use Navigation properties instead.');
    } else if (key.startsWith('@odata.') || key.includes('@')) {
      continue;
    } else {
      const def = table.columns[key];
      if (!def || def.kind === 'lookup' || def.kind === 'partylist') {
        throw badRequest(
          `The property '${key}' does not exist on type 'Microsoft.Dynamics.CRM.${table.logicalName}'. Make sure to only use property names that are defined by the type.`,
        );
      }
      // Platform-set columns (createdon, versionnumber, …) are ignored on write, as Dataverse does.
      if (!def.readOnly) parsed.values[key] = scalar(table, key, def, value);
    }
  }
  return parsed;
}
