/**
 * Items as Graph returns them: OData annotations, timestamps, `$select` projection and the
 * `$expand=singleValueExtendedProperties($filter=id eq '…')` that trackers use to read their stamps.
 */
import { etagOf } from './ids.js';
import type { Item, ItemKind } from './store.js';

export const odataType: Record<ItemKind, string> = {
  event: '#microsoft.graph.event',
  contact: '#microsoft.graph.contact',
  message: '#microsoft.graph.message',
  todoTask: '#microsoft.graph.todoTask',
};

export interface RenderOptions {
  select?: string[];
  /** undefined: not expanded; null: all properties; otherwise only these ids (case-insensitive). */
  expandExtended?: string[] | null;
  /** `$expand=linkedResources` (To Do tasks). */
  expandLinked?: boolean;
  /** A basic read role (Calendars.ReadBasic, Mail.ReadBasic): no body, no previewBody, no extended properties. */
  basic?: boolean;
  withType?: boolean;
}

export function renderItem(item: Item, options: RenderOptions = {}): Record<string, unknown> {
  const base: Record<string, unknown> = {
    ...(options.withType ? { '@odata.type': odataType[item.kind] } : {}),
    '@odata.etag': etagOf(item.changeKey),
    id: item.id,
    createdDateTime: new Date(item.createdAt).toISOString(),
    lastModifiedDateTime: new Date(item.modifiedAt).toISOString(),
  };
  if (item.kind !== 'todoTask') base.changeKey = item.changeKey;
  if (item.kind === 'contact' || item.kind === 'message') base.parentFolderId = item.container;
  let out: Record<string, unknown> = { ...base, ...structuredClone(item.fields) };
  if (options.basic) {
    delete out.body;
    delete out.previewBody;
  }
  if (options.select && options.select.length > 0) {
    const keep = new Set(['@odata.type', '@odata.etag', 'id', ...options.select]);
    out = Object.fromEntries(Object.entries(out).filter(([k]) => keep.has(k)));
  }
  if (options.expandExtended !== undefined) {
    const wanted = options.expandExtended?.map((id) => id.toLowerCase());
    const props = item.extended.filter((p) => !wanted || wanted.includes(p.id.toLowerCase()));
    if (props.length > 0) out.singleValueExtendedProperties = props.map((p) => ({ ...p }));
  }
  if (options.expandLinked && item.kind === 'todoTask') out.linkedResources = item.linkedResources.map((r) => ({ ...r }));
  return out;
}

/**
 * Reads `$expand`: singleValueExtendedProperties on Outlook items, linkedResources on To Do tasks (todoTask
 * has no extended properties in v1.0). Returns an error text for anything else.
 */
export function parseExpand(expand: string | null, kind: ItemKind): { expandExtended?: string[] | null; expandLinked?: boolean } | string {
  if (!expand) return {};
  if (kind === 'todoTask') {
    return /^linkedResources$/i.test(expand.trim()) ? { expandLinked: true } : `Parsing OData Select and Expand failed: Could not find a property named '${expand}' on type 'microsoft.graph.todoTask'.`;
  }
  const match = /^singleValueExtendedProperties(?:\(\s*\$filter\s*=\s*(.+)\))?$/i.exec(expand.trim());
  if (!match) return `Parsing OData Select and Expand failed: Could not find a property named '${expand}'.`;
  if (!match[1]) return { expandExtended: null };
  const ids = [...match[1].matchAll(/id\s+eq\s+'((?:[^']|'')*)'/gi)].map((m) => (m[1] as string).replace(/''/g, "'"));
  if (ids.length === 0) return `Invalid filter clause: ${match[1]}`;
  return { expandExtended: ids };
}

/** Dates come back in UTC with seven fractional digits, as Outlook returns them without a Prefer time zone. */
export function normalizeDateTime(value: { dateTime: string; timeZone: string }): { dateTime: string; timeZone: string } {
  if (!/^utc$/i.test(value.timeZone) && !/(Z|[+-]\d\d:\d\d)$/.test(value.dateTime)) return value;
  const ms = toEpoch(value);
  if (Number.isNaN(ms)) return value;
  return { dateTime: new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000'), timeZone: 'UTC' };
}

/** Interprets a dateTimeTimeZone as UTC unless it carries an offset (other zones are not modelled). */
export function toEpoch(value: { dateTime: string }): number {
  const text = /(Z|[+-]\d\d:\d\d)$/.test(value.dateTime) ? value.dateTime : `${value.dateTime}Z`;
  return Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));
}
