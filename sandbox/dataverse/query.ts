/**
 * The OData query options the sandbox understands — `$select`, `$filter` (eq/ne/gt/ge/lt/le, and/or,
 * parentheses, on simple columns and `_lookup_value`s), `$orderby`, `$top`, `$expand` of an activity's
 * parties — and an error, as Dataverse gives, for what it does not.
 * String comparison ignores case, as Dataverse's collation does.
 */
import { badRequest, DV_CODE } from './errors.js';
import { isRef, type Cell, type Row } from './store.js';
import type { ColumnDef, TableDef } from './schema.js';

export type Predicate = (row: Row) => boolean;

type Token = { type: 'ident' | 'string' | 'number' | 'literal' | 'lparen' | 'rparen' | 'comma'; text: string };

const OPERATORS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < filter.length) {
    const ch = filter[i] as string;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ type: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma', text: ch });
      i++;
    } else if (ch === "'") {
      let text = '';
      i++;
      for (;;) {
        if (i >= filter.length) throw badRequest(`Syntax error: unterminated string literal in $filter '${filter}'.`);
        if (filter[i] === "'" && filter[i + 1] === "'") {
          text += "'";
          i += 2;
        } else if (filter[i] === "'") {
          i++;
          break;
        } else {
          text += filter[i];
          i++;
        }
      }
      tokens.push({ type: 'string', text });
    } else {
      const match = /^[^\s(),']+/.exec(filter.slice(i));
      const text = (match as RegExpExecArray)[0];
      i += text.length;
      if (/^-?\d+(\.\d+)?$/.test(text)) tokens.push({ type: 'number', text });
      else if (/^[A-Za-z_][\w.]*$/.test(text) && !/^(true|false|null)$/.test(text)) tokens.push({ type: 'ident', text });
      else tokens.push({ type: 'literal', text });
    }
  }
  return tokens;
}

/** `_ownerid_value` → `ownerid` when that is a lookup; plain names stay. */
export function columnForProperty(table: TableDef, property: string): { name: string; def: ColumnDef } {
  const lookup = /^_(.+)_value$/.exec(property);
  const name = lookup ? (lookup[1] as string) : property;
  const def = table.columns[name];
  const valid = def && def.kind !== 'partylist' && !def.hidden && (lookup ? def.kind === 'lookup' : def.kind !== 'lookup');
  if (!def || !valid) {
    throw badRequest(`Could not find a property named '${property}' on type 'Microsoft.Dynamics.CRM.${table.logicalName}'.`);
  }
  return { name, def };
}

function literalValue(token: Token, def: ColumnDef, source: string): Cell {
  if (token.type === 'literal' && token.text === 'null') return null;
  switch (def.kind) {
    case 'int':
    case 'choice':
      if (token.type !== 'number') throw badRequest(`A binary operator with incompatible types was detected in '${source}'.`);
      return Number(token.text);
    case 'bool':
      if (token.text !== 'true' && token.text !== 'false') throw badRequest(`A binary operator with incompatible types was detected in '${source}'.`);
      return token.text === 'true';
    case 'date': {
      const ms = Date.parse(token.text);
      if (token.type !== 'literal' || Number.isNaN(ms)) throw badRequest(`A binary operator with incompatible types was detected in '${source}'.`);
      return ms;
    }
    case 'guid':
    case 'lookup':
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(token.text) || token.type === 'string') {
        throw badRequest(`A binary operator with incompatible types was detected. Found operand types 'Edm.Guid' and 'Edm.String' in '${source}'.`);
      }
      return token.text.toLowerCase();
    default:
      if (token.type !== 'string') throw badRequest(`A binary operator with incompatible types was detected in '${source}'.`);
      return token.text;
  }
}

function comparable(value: Cell): string | number | boolean | null {
  if (isRef(value)) return value.id.toLowerCase();
  if (typeof value === 'string') return value.toLowerCase();
  return value;
}

function compare(op: string, left: Cell, right: Cell): boolean {
  const a = comparable(left);
  const b = comparable(right);
  if (op === 'eq') return a === b;
  if (op === 'ne') return a !== b;
  if (a === null || b === null) return false;
  if (op === 'gt') return a > b;
  if (op === 'ge') return a >= b;
  if (op === 'lt') return a < b;
  return a <= b;
}

export function parseFilter(table: TableDef, filter: string): Predicate {
  const tokens = tokenize(filter);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const next = (): Token => {
    const token = tokens[pos++];
    if (!token) throw badRequest(`Syntax error at the end of $filter '${filter}'.`);
    return token;
  };

  const comparison = (): Predicate => {
    const token = next();
    if (token.type === 'lparen') {
      const inner = or();
      if (next().type !== 'rparen') throw badRequest(`Syntax error: ')' expected in $filter '${filter}'.`);
      return inner;
    }
    if (token.type !== 'ident') throw badRequest(`Syntax error at '${token.text}' in $filter '${filter}'.`);
    if (peek()?.type === 'lparen') throw badRequest(`The function '${token.text}' is not supported by this sandbox's $filter.`);
    const { name, def } = columnForProperty(table, token.text);
    const op = next();
    if (!OPERATORS.has(op.text)) throw badRequest(`Syntax error: operator expected after '${token.text}', found '${op.text}'.`);
    const value = literalValue(next(), def, filter);
    return (row) => compare(op.text, row[name] ?? null, value);
  };

  /** `operand (word operand)*`, combined with every (and) or some (or). */
  const chain = (word: 'and' | 'or', operand: () => Predicate): Predicate => {
    const parts = [operand()];
    while (peek()?.text === word) {
      pos++;
      parts.push(operand());
    }
    return word === 'and' ? (row) => parts.every((p) => p(row)) : (row) => parts.some((p) => p(row));
  };
  const or = (): Predicate => chain('or', () => chain('and', comparison));

  const predicate = or();
  if (pos < tokens.length) throw badRequest(`Syntax error at '${tokens[pos]?.text}' in $filter '${filter}'.`);
  return predicate;
}

export interface Expand {
  navigation: string;
  select?: string[];
}

export interface Query {
  select?: string[];
  filter?: Predicate;
  orderBy?: { column: string; descending: boolean }[];
  top?: number;
  expand: Expand[];
  count: boolean;
  skip: number;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function parseSelect(table: TableDef, text: string): string[] {
  const properties = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const property of properties) columnForProperty(table, property);
  return properties;
}

/** The `$skiptoken` of a next link: a paging cookie as Dataverse writes one; only its position matters here. */
export function pagingCookie(pageNumber: number, position: number): string {
  return `<cookie pagenumber="${pageNumber}" pagingcookie="%3ccookie%20position%3d%22${position}%22%20%2f%3e" istracking="False" />`;
}

function readPagingCookie(token: string): number {
  const match = /^<cookie pagenumber="\d+" pagingcookie="%3ccookie%20position%3d%22(\d+)%22%20%2f%3e" istracking="False" \/>$/.exec(token);
  if (!match) throw badRequest('The $skiptoken is not one this server wrote: use @odata.nextLink as it is.', DV_CODE.invalidArgument);
  return Number(match[1]);
}

const KNOWN_OPTIONS = new Set(['$select', '$filter', '$orderby', '$top', '$expand', '$count', '$skiptoken']);

/** Reads the query options of a collection or record request. `partyTable` is activityparty, for $expand. */
export function parseQuery(table: TableDef, params: URLSearchParams, partyTable: TableDef, partyNavigation?: string): Query {
  for (const key of params.keys()) {
    if (key.startsWith('$') && !KNOWN_OPTIONS.has(key)) throw badRequest(`The query parameter '${key}' is not supported by this sandbox.`);
  }
  const query: Query = { expand: [], count: params.get('$count') === 'true', skip: 0 };
  const select = params.get('$select');
  if (select) query.select = parseSelect(table, select);
  const filter = params.get('$filter');
  if (filter) query.filter = parseFilter(table, filter);
  const top = params.get('$top');
  if (top !== null) {
    if (!/^\d+$/.test(top)) throw badRequest(`Invalid value '${top}' for $top query option found.`);
    query.top = Number(top);
  }
  const orderBy = params.get('$orderby');
  if (orderBy) {
    query.orderBy = orderBy.split(',').map((part) => {
      const [property, direction] = part.trim().split(/\s+/);
      const { name } = columnForProperty(table, property as string);
      return { column: name, descending: direction === 'desc' };
    });
  }
  if (params.has('$skip')) throw badRequest("The query parameter '$skip' is not supported: page with Prefer: odata.maxpagesize and @odata.nextLink.");
  const skiptoken = params.get('$skiptoken');
  if (skiptoken !== null) query.skip = readPagingCookie(skiptoken);
  const expand = params.get('$expand');
  if (expand) {
    for (const item of splitTopLevel(expand)) {
      const match = /^([\w.]+)(?:\((.*)\))?$/.exec(item);
      const navigation = match?.[1];
      if (!navigation || navigation !== partyNavigation) {
        throw badRequest(`Could not find a property named '${navigation ?? item}' on type 'Microsoft.Dynamics.CRM.${table.logicalName}'.`);
      }
      const inner = new URLSearchParams((match?.[2] ?? '').replace(/;/g, '&'));
      const innerSelect = inner.get('$select');
      query.expand.push({ navigation, ...(innerSelect ? { select: parseSelect(partyTable, innerSelect) } : {}) });
    }
  }
  return query;
}

export function applyQuery(rows: Row[], query: Query): Row[] {
  let result = query.filter ? rows.filter(query.filter) : [...rows];
  for (const order of [...(query.orderBy ?? [])].reverse()) {
    result = result.sort((x, y) => {
      const a = comparable(x[order.column] ?? null);
      const b = comparable(y[order.column] ?? null);
      if (a === b) return 0;
      if (a === null) return order.descending ? 1 : -1;
      if (b === null) return order.descending ? -1 : 1;
      return (a > b ? 1 : -1) * (order.descending ? -1 : 1);
    });
  }
  return query.top !== undefined ? result.slice(0, query.top) : result;
}
