/**
 * Dataverse conformance: every Web API call the service sends the sandbox, and every answer, checked
 * against the column types of Microsoft's table reference pages (the pinned extract in
 * metadata/dataverse-tables.json). A `$select`, `$filter`, `$orderby`, `$expand`, body property or
 * answered property that the real table does not have, or has with another type (a lookup read as a
 * plain column, a Guid column read as `_x_value`, an Integer served as a name), is a violation.
 * A call to a table without a pinned extract is a problem too: nothing about it could be checked.
 */
import { readFileSync } from 'node:fs';
import type { DataverseExchange } from '../../sandbox/dataverse/state.js';
import type { ColumnKind, TableDef } from '../../sandbox/dataverse/schema.js';

/** Column types as the table reference pages name them. */
export type DataverseType =
  | 'Uniqueidentifier'
  | 'String'
  | 'Memo'
  | 'DateTime'
  | 'Lookup'
  | 'Owner'
  | 'Customer'
  | 'EntityName'
  | 'BigInt'
  | 'Integer'
  | 'State'
  | 'Status'
  | 'Picklist'
  | 'Boolean'
  | 'PartyList';

export interface PinnedTable {
  commit: string;
  entitySet: string;
  primaryId: string;
  navigations: string[];
  columns: Record<string, DataverseType>;
}

export const PINNED: { source: string; tables: Record<string, PinnedTable> } = JSON.parse(
  readFileSync(new URL('./metadata/dataverse-tables.json', import.meta.url), 'utf8'),
);

/** The Web API functions the service calls (Learn: Web API Function Reference). */
const FUNCTIONS = /^(WhoAmI(\(\))?|systemusers\([0-9a-f-]{36}\)\/Microsoft\.Dynamics\.CRM\.(RetrievePrincipalAccess\(Target=@\w+\)|RetrieveUserPrivileges(\(\))?))$/i;

const LOOKUP_TYPES: ReadonlySet<DataverseType> = new Set(['Lookup', 'Owner', 'Customer']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Which sandbox column kinds stand for which documented types. */
const KIND_TYPES: Record<ColumnKind, readonly DataverseType[]> = {
  guid: ['Uniqueidentifier'],
  string: ['String', 'Memo'],
  date: ['DateTime'],
  lookup: ['Lookup', 'Owner', 'Customer'],
  entityname: ['EntityName'],
  int: ['Integer', 'BigInt'],
  choice: ['State', 'Status', 'Picklist'],
  bool: ['Boolean'],
  partylist: ['PartyList'],
};

export interface ConformanceReport {
  violations: string[];
  /** Entity sets called whose table has no pinned extract. */
  unpinned: Set<string>;
  checked: number;
}

const bySet = new Map(Object.entries(PINNED.tables).map(([name, t]) => [t.entitySet, { name, ...t }]));

/** A property as the Web API names it (`_x_value` for lookups) against the pinned table. */
function propertyProblem(table: PinnedTable & { name: string }, property: string): string | null {
  const lookup = /^_(.+)_value$/.exec(property);
  const column = lookup ? (lookup[1] as string) : property;
  const type = table.columns[column];
  if (type === undefined) return `${table.name} has no column '${column}'`;
  if (lookup && !LOOKUP_TYPES.has(type)) return `${table.name}.${column} is ${type}, not a lookup: there is no '${property}'`;
  if (!lookup && LOOKUP_TYPES.has(type)) return `${table.name}.${column} is a ${type}: the Web API names it '_${column}_value'`;
  if (type === 'PartyList') return `${table.name}.${column} is a PartyList: read it through the activity parties`;
  return null;
}

function valueProblem(table: PinnedTable & { name: string }, property: string, value: unknown): string | null {
  const lookup = /^_(.+)_value$/.exec(property);
  const type = table.columns[lookup ? (lookup[1] as string) : property];
  if (type === undefined || value === null) return null;
  const ok = (() => {
    switch (type) {
      case 'Uniqueidentifier':
      case 'Lookup':
      case 'Owner':
      case 'Customer':
        return typeof value === 'string' && GUID.test(value);
      case 'DateTime':
        return typeof value === 'string' && !Number.isNaN(Date.parse(value));
      case 'Integer':
      case 'State':
      case 'Status':
      case 'Picklist':
      case 'BigInt':
        return typeof value === 'number' && Number.isInteger(value);
      case 'Boolean':
        return typeof value === 'boolean';
      default:
        return typeof value === 'string';
    }
  })();
  return ok ? null : `${table.name}.${property} is ${type}, answered ${JSON.stringify(value)}`;
}

/** Property names a `$filter` or `$orderby` compares or sorts by. */
function filterProperties(expression: string): string[] {
  const withoutStrings = expression.replace(/'(?:[^']|'')*'/g, "''");
  return [...withoutStrings.matchAll(/\b(_?[a-z][a-z0-9_]*)\s+(?:eq|ne|gt|ge|lt|le)\b/gi)].map((m) => m[1] as string);
}

function checkRequest(table: PinnedTable & { name: string }, exchange: DataverseExchange, problems: string[]): void {
  const url = new URL(exchange.request.url, 'https://dataverse.invalid');
  const select = url.searchParams.get('$select');
  for (const p of select ? select.split(',') : []) problems.push(...[propertyProblem(table, p.trim())].filter((x): x is string => x !== null));
  for (const p of filterProperties(url.searchParams.get('$filter') ?? '')) problems.push(...[propertyProblem(table, p)].filter((x): x is string => x !== null));
  for (const part of (url.searchParams.get('$orderby') ?? '').split(',').filter(Boolean)) {
    const problem = propertyProblem(table, part.trim().split(/\s+/)[0] as string);
    if (problem) problems.push(problem);
  }
  for (const item of (url.searchParams.get('$expand') ?? '').split(/,(?![^(]*\))/).filter(Boolean)) {
    const navigation = item.split('(')[0] as string;
    if (!table.navigations.includes(navigation)) problems.push(`${table.name} has no navigation '${navigation}' in the pinned relationships`);
    const inner = /\$select=([^;)]*)/.exec(item)?.[1];
    const parties = partyTable();
    for (const p of inner && parties ? inner.split(',') : []) {
      const problem = propertyProblem(parties as PinnedTable & { name: string }, p.trim());
      if (problem) problems.push(problem);
    }
  }
  if (!exchange.request.body || !['POST', 'PATCH'].includes(exchange.request.method)) return;
  const body = JSON.parse(exchange.request.body) as Record<string, unknown>;
  for (const [key, value] of Object.entries(body)) {
    if (key.endsWith('@odata.bind')) {
      const column = key.slice(0, -'@odata.bind'.length);
      const type = table.columns[column] ?? table.columns[column.slice(0, column.lastIndexOf('_'))];
      if (!type || !LOOKUP_TYPES.has(type)) problems.push(`${table.name} has no lookup to bind as '${key}'`);
    } else if (!key.startsWith('@') && !table.navigations.includes(key)) {
      const problem = propertyProblem(table, key) ?? valueProblem(table, key, value);
      if (problem) problems.push(problem);
    }
  }
}

/** The activity party table: what every activity's `<table>_activity_parties` navigation holds. */
function partyTable(): (PinnedTable & { name: string }) | undefined {
  return bySet.get('activityparties');
}

function checkRow(table: PinnedTable & { name: string }, row: Record<string, unknown>, problems: string[]): void {
  for (const [key, value] of Object.entries(row)) {
    if (table.navigations.includes(key)) {
      const parties = partyTable();
      if (parties && Array.isArray(value)) for (const party of value) checkRow(parties, party as Record<string, unknown>, problems);
      continue;
    }
    if (key.startsWith('@') || key.includes('@')) continue;
    const problem = propertyProblem(table, key) ?? valueProblem(table, key, value);
    if (problem) problems.push(problem);
  }
}

/** Checks one exchange; returns its violations (each prefixed with the call). */
export function checkExchange(exchange: DataverseExchange, report: ConformanceReport): void {
  const path = decodeURIComponent(new URL(exchange.request.url, 'https://dataverse.invalid').pathname.replace(/^\/api\/data\/v9\.2\//, ''));
  if (FUNCTIONS.test(path)) return;
  const entitySet = /^([a-z_]+)/.exec(path)?.[1] ?? path;
  const table = bySet.get(entitySet);
  if (!table) {
    report.unpinned.add(entitySet);
    return;
  }
  report.checked += 1;
  const problems: string[] = [];
  checkRequest(table, exchange, problems);
  const response = exchange.response;
  if (response !== 'drop' && response.status < 300 && typeof response.body === 'object' && response.body !== null) {
    const body = response.body as { value?: Record<string, unknown>[] } & Record<string, unknown>;
    for (const row of Array.isArray(body.value) ? body.value : [body]) checkRow(table, row, problems);
  }
  const call = `${exchange.request.method} ${exchange.request.url.split('?')[0]}`;
  report.violations.push(...problems.map((p) => `${call}: ${p}`));
}

/** The sandbox's own table definitions against the pinned types: a column the sandbox invents or types otherwise. */
export function checkSchema(tables: readonly TableDef[]): string[] {
  const problems: string[] = [];
  for (const def of tables) {
    const pinned = PINNED.tables[def.logicalName];
    if (!pinned) continue;
    if (pinned.entitySet !== def.entitySet) problems.push(`${def.logicalName}: entity set ${def.entitySet}, documented ${pinned.entitySet}`);
    if (pinned.primaryId !== def.primaryId) problems.push(`${def.logicalName}: primary id ${def.primaryId}, documented ${pinned.primaryId}`);
    for (const [name, column] of Object.entries(def.columns)) {
      const type = pinned.columns[name];
      if (type === undefined) problems.push(`${def.logicalName}.${name}: not a documented column`);
      else if (!KIND_TYPES[column.kind].includes(type)) problems.push(`${def.logicalName}.${name}: sandbox ${column.kind}, documented ${type}`);
    }
  }
  return problems;
}

/** Everything that fails a recording: each violation, and each table called that has no pinned extract. */
export function conformanceProblems(report: ConformanceReport): string[] {
  return [...report.violations, ...[...report.unpinned].map((set) => `${set}: no pinned table reference, so its calls were not checked`)];
}

/** Records every exchange of `state` from now on; `report()` checks what was recorded. */
export function recordDataverse(state: { record(listener: (e: DataverseExchange) => void): () => void }): { report(): ConformanceReport; stop(): void } {
  const exchanges: DataverseExchange[] = [];
  const stop = state.record((e) => exchanges.push(e));
  return {
    stop,
    report() {
      const report: ConformanceReport = { violations: [], unpinned: new Set(), checked: 0 };
      for (const e of exchanges) checkExchange(e, report);
      return report;
    },
  };
}
