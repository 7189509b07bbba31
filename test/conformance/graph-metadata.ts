/**
 * Checks Graph calls against the pinned extract of the Graph v1.0 metadata (metadata/graph-v1.0.json,
 * from microsoftgraph/msgraph-metadata at the commit it names): the path resolves segment by segment
 * from an entity set through keys, navigation properties and bound functions/actions; `$select` and
 * `$expand` name members of the type; request bodies use only its members or the action's parameters;
 * success responses carry only members of the type (or of the derived type `@odata.type` names), each
 * value of the declared type. A path, property or type the real service does not have is a violation.
 */
import { readFileSync } from 'node:fs';

interface Member {
  type: string;
  nullable?: boolean;
  containsTarget?: boolean;
}

interface TypeDef {
  baseType?: string;
  abstract?: boolean;
  openType?: boolean;
  properties: Record<string, Member>;
  navigationProperties?: Record<string, Member>;
}

interface Operation {
  kind: 'function' | 'action';
  name: string;
  bindingParameter: string;
  parameters: Record<string, string>;
  returnType?: string;
}

interface Metadata {
  source: { repository: string; path: string; commit: string };
  entitySets: Record<string, string>;
  entityTypes: Record<string, TypeDef>;
  complexTypes: Record<string, TypeDef>;
  enumTypes: Record<string, string[]>;
  operations: Operation[];
}

export interface GraphCall {
  method: string;
  /** Below `/v1.0`, not decoded. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  status: number;
  responseBody: unknown;
}

/** Where a path leads: a type (collection or single), or an operation's result. */
interface Target {
  type: string;
  collection: boolean;
  operation?: Operation;
}

const collectionOf = (t: string) => /^Collection\((.*)\)$/.exec(t)?.[1];

/** Query options a target may take besides OData's own (calendarView's window, delta's state tokens). */
const EXTRA_QUERY = new Set(['startDateTime', 'endDateTime']);
const ODATA_QUERY = new Set(['$select', '$expand', '$filter', '$top', '$skip', '$orderby', '$count', '$search', '$deltatoken', '$skiptoken']);

export class GraphMetadata {
  readonly metadata: Metadata;

  constructor(file = new URL('./metadata/graph-v1.0.json', import.meta.url)) {
    this.metadata = JSON.parse(readFileSync(file, 'utf8')) as Metadata;
  }

  private def(name: string): TypeDef | undefined {
    return this.metadata.entityTypes[name] ?? this.metadata.complexTypes[name];
  }

  /** Properties and navigation properties of a type and its base types. */
  members(name: string): Record<string, Member & { navigation: boolean }> {
    const out: Record<string, Member & { navigation: boolean }> = {};
    for (let t = this.def(name); t; t = t.baseType ? this.def(t.baseType) : undefined) {
      for (const [k, v] of Object.entries(t.properties)) out[k] ??= { ...v, navigation: false };
      for (const [k, v] of Object.entries(t.navigationProperties ?? {})) out[k] ??= { ...v, navigation: true };
    }
    return out;
  }

  private derivesFrom(name: string, base: string): boolean {
    for (let t: string | undefined = name; t; t = this.def(t)?.baseType) if (t === base) return true;
    return false;
  }

  private operation(segment: string, target: Target): Operation | undefined {
    const bound = target.collection ? `Collection(${target.type})` : target.type;
    return this.metadata.operations.find((o) => o.name.toLowerCase() === segment.toLowerCase().replace(/^microsoft\.graph\./, '') && (o.bindingParameter === bound || (!target.collection && this.derivesFrom(target.type, o.bindingParameter))));
  }

  /** Resolves a path; a string is the violation. */
  resolve(path: string): Target | string {
    const segments = path
      .split('?')[0]!
      .replace(/\('([^']*)'\)/g, '/$1')
      .split('/')
      .filter(Boolean)
      .map((s) => decodeURIComponent(s));
    const [first, ...rest] = segments;
    const set = first === undefined ? undefined : this.metadata.entitySets[first];
    if (set === undefined) return `no entity set '${first ?? ''}'`;
    let target: Target = { type: set, collection: true };
    for (const segment of rest) {
      if (target.operation) return `nothing follows the ${target.operation.kind} '${target.operation.name}'`;
      const operation = this.operation(segment, target);
      if (operation) {
        const returns = operation.returnType;
        const inner = returns === undefined ? undefined : collectionOf(returns);
        target = { type: inner ?? returns ?? '', collection: inner !== undefined, operation };
        continue;
      }
      const cast = /^microsoft\.graph\.(\w+)$/i.exec(segment)?.[1];
      if (cast !== undefined) {
        if (!this.def(cast) || !this.derivesFrom(cast, target.type)) return `'${cast}' is no type derived from ${target.type}`;
        target = { type: cast, collection: target.collection };
        continue;
      }
      if (target.collection) {
        target = { type: target.type, collection: false };
        continue;
      }
      const member = this.members(target.type)[segment];
      if (member === undefined || !member.navigation) return `type '${target.type}' has no navigation property '${segment}'`;
      const inner = collectionOf(member.type);
      target = { type: inner ?? member.type, collection: inner !== undefined };
    }
    return target;
  }

  /** Every violation in one call (request and, when it succeeded, response). */
  check(call: GraphCall): string[] {
    if (/^\/?\$batch\/?$/i.test(call.path)) return [];
    const where = `${call.method} ${call.path}`;
    const target = this.resolve(call.path);
    if (typeof target === 'string') return [`${where}: ${target}`];
    const problems: string[] = [];
    const members = this.members(target.type);
    for (const [name, value] of call.query) {
      if (!ODATA_QUERY.has(name) && !EXTRA_QUERY.has(name)) problems.push(`${where}: unknown query option '${name}'`);
      if (name === '$select') for (const p of value.split(',').map((s) => s.trim())) if (!members[p]) problems.push(`${where}: $select names '${p}', not a member of ${target.type}`);
      if (name === '$expand') {
        for (const p of topLevel(value)) if (!members[p]?.navigation) problems.push(`${where}: $expand names '${p}', not a navigation property of ${target.type}`);
      }
    }
    if (call.body !== undefined && call.body !== null && typeof call.body === 'object') {
      if (target.operation?.kind === 'action') {
        const names = Object.keys(target.operation.parameters).map((p) => p.toLowerCase());
        for (const key of Object.keys(call.body)) if (!names.includes(key.toLowerCase())) problems.push(`${where}: action '${target.operation.name}' has no parameter '${key}'`);
      } else if (!target.operation) {
        problems.push(...this.value(call.body, target.type, `${where} body`));
      }
    }
    if (call.status >= 200 && call.status < 300 && call.responseBody !== undefined && typeof call.responseBody === 'object' && call.responseBody !== null) {
      const body = call.responseBody as Record<string, unknown>;
      const returned = target.operation && target.operation.returnType === undefined ? undefined : target;
      if (returned && returned.type !== '') {
        const items = returned.collection || Array.isArray(body.value) ? (Array.isArray(body.value) ? body.value : []) : [body];
        for (const item of items) problems.push(...this.value(item, returned.type, `${where} response`));
      }
    }
    return problems;
  }

  /** Violations of one JSON value against a declared type. */
  private value(value: unknown, type: string, where: string): string[] {
    const inner = collectionOf(type);
    if (inner !== undefined) return Array.isArray(value) ? value.flatMap((v, i) => this.value(v, inner, `${where}[${i}]`)) : [`${where}: expected an array for ${type}`];
    if (value === null) return [];
    if (type.startsWith('Edm.')) return primitive(value, type) ? [] : [`${where}: ${JSON.stringify(value).slice(0, 60)} is not ${type}`];
    const members = this.metadata.enumTypes[type];
    if (members) return typeof value === 'string' && value.split(',').every((v) => members.includes(v.trim())) ? [] : [`${where}: '${String(value)}' is not a ${type} member`];
    if (typeof value !== 'object' || Array.isArray(value)) return [`${where}: expected an object of ${type}`];
    const record = value as Record<string, unknown>;
    const cast = typeof record['@odata.type'] === 'string' ? (record['@odata.type'] as string).replace(/^#microsoft\.graph\./i, '') : undefined;
    const actual = cast !== undefined && this.def(cast) && this.derivesFrom(cast, type) ? cast : type;
    if (!this.def(actual)) return [`${where}: type '${actual}' is not in the metadata extract`];
    if (cast !== undefined && actual !== cast) return [`${where}: @odata.type '${cast}' does not derive from ${type}`];
    const all = this.members(actual);
    const problems: string[] = [];
    for (const [key, v] of Object.entries(record)) {
      if (key.startsWith('@') || key.includes('@odata.')) continue;
      const member = all[key];
      if (!member) {
        if (!this.def(actual)?.openType) problems.push(`${where}: ${actual} has no property '${key}'`);
        continue;
      }
      if (v === null && member.nullable === false) problems.push(`${where}: ${actual}.${key} is not nullable`);
      else problems.push(...this.value(v, member.type, `${where}.${key}`));
    }
    return problems;
  }
}

/** The names at the top level of an `$expand` (nested options in parentheses are left out). */
function topLevel(expand: string): string[] {
  const names: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of expand) {
    if (c === '(') depth += 1;
    if (c === ')') depth -= 1;
    if (c === ',' && depth === 0) {
      names.push(current);
      current = '';
    } else if (depth === 0 && c !== ')') current += c;
  }
  names.push(current);
  return names.map((n) => n.trim()).filter(Boolean);
}

function primitive(value: unknown, type: string): boolean {
  switch (type) {
    case 'Edm.String':
    case 'Edm.Guid':
    case 'Edm.Binary':
    case 'Edm.Duration':
    case 'Edm.TimeOfDay':
    case 'Edm.Date':
      return typeof value === 'string';
    case 'Edm.DateTimeOffset':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value.replace(/(\.\d{3})\d+/, '$1')));
    case 'Edm.Boolean':
      return typeof value === 'boolean';
    case 'Edm.Int32':
    case 'Edm.Int64':
    case 'Edm.Double':
    case 'Edm.Single':
    case 'Edm.Decimal':
      return typeof value === 'number';
    default:
      return true;
  }
}
