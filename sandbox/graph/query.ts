/**
 * The OData query options the sandbox understands on collections: `$filter` (`prop eq 'x'` joined by
 * `and`, nested paths with `/`, and the extended-property `any` form), `$top`/`$skip` paging with
 * `@odata.nextLink`, and `Prefer: odata.maxpagesize`. Anything else in `$filter` is a 400, as in Graph.
 */
import type { Item } from './store.js';

export type ItemPredicate = (item: Item) => boolean;

const literal = String.raw`'((?:[^']|'')*)'|true|false|null|-?\d+(?:\.\d+)?`;
const extendedAny = new RegExp(String.raw`^singleValueExtendedProperties/any\((\w+):\s*\1/id\s+eq\s+'((?:[^']|'')*)'\s+and\s+\1/value\s+eq\s+'((?:[^']|'')*)'\)$`, 'i');
const comparison = new RegExp(String.raw`^([A-Za-z][\w/]*)\s+eq\s+(${literal})$`);

const unquote = (s: string): string => s.replace(/''/g, "'");

/** Returns a predicate, or the error text Graph would answer with. */
export function parseFilter(filter: string | null): ItemPredicate | string {
  if (!filter) return () => true;
  const text = filter.trim();
  const ext = extendedAny.exec(text);
  if (ext) {
    const id = unquote(ext[2] as string).toLowerCase();
    const value = unquote(ext[3] as string);
    return (item) => item.extended.some((p) => p.id.toLowerCase() === id && p.value === value);
  }
  const predicates: ItemPredicate[] = [];
  for (const clause of text.split(/\s+and\s+/i)) {
    const m = comparison.exec(clause.trim());
    if (!m) return `Invalid filter clause: ${clause}`;
    const path = (m[1] as string).split('/');
    const raw = m[2] as string;
    const expected = m[3] !== undefined ? unquote(m[3]) : raw === 'null' ? null : raw === 'true' ? true : raw === 'false' ? false : Number(raw);
    predicates.push((item) => {
      let value: unknown = item.id === undefined ? undefined : { id: item.id, ...item.fields };
      for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
      return value === expected || (value === undefined && expected === null);
    });
  }
  return (item) => predicates.every((p) => p(item));
}

/** Page size from `$top`, else `Prefer: odata.maxpagesize=N`, else the resource's default. */
export function pageSize(query: URLSearchParams, prefer: string | undefined, fallback: number): number {
  const top = Number(query.get('$top'));
  if (Number.isInteger(top) && top > 0) return Math.min(top, 1000);
  const m = /odata\.maxpagesize=(\d+)/i.exec(prefer ?? '');
  return m ? Math.max(1, Math.min(Number(m[1]), 1000)) : fallback;
}

/** One page of a list and the nextLink to the following page, if any. */
export function paginate<T>(all: T[], query: URLSearchParams, size: number, selfUrl: string): { page: T[]; nextLink?: string } {
  const skip = Math.max(0, Number(query.get('$skip')) || 0);
  const page = all.slice(skip, skip + size);
  if (skip + size >= all.length) return { page };
  const next = new URLSearchParams(query);
  next.set('$skip', String(skip + size));
  next.set('$top', String(size));
  return { page, nextLink: `${selfUrl}?${next.toString()}` };
}
