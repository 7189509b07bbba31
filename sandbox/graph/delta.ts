/**
 * Delta queries over the change log: a first round lists what exists (in the calendar window for
 * calendarView), later rounds list what changed since the previous deltaLink, deletions as
 * `@removed: {reason: 'deleted'}`. Pages follow `@odata.nextLink` until the final `@odata.deltaLink`.
 * Tokens are opaque to clients; cursors are by id so deletions between pages never skip an item.
 */
import { odataType, renderItem, toEpoch } from './render.js';
import type { Item, ItemKind, ItemStore } from './store.js';

export interface DeltaScope {
  mailboxId: string;
  kind: ItemKind;
  container?: string;
  /** calendarView window, epoch ms. */
  window?: { start: number; end: number };
}

interface DeltaToken {
  scope: DeltaScope;
  /** Changes after this sequence number; -1 for the first (full) round. */
  from: number;
  /** Set inside a round: its upper bound and the id cursor. */
  to?: number;
  after?: string;
  /** The first round's `$select`/`$expand`, kept for the rounds that follow. */
  render?: { select?: string[]; expandLinked: boolean; basic: boolean };
}

export type { DeltaToken };

export function encodeToken(token: DeltaToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeToken(text: string, scope: Omit<DeltaScope, 'window'>): DeltaToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as DeltaToken;
    const s = token.scope;
    if (s.mailboxId !== scope.mailboxId || s.kind !== scope.kind || s.container !== scope.container || typeof token.from !== 'number') return undefined;
    return token;
  } catch {
    return undefined;
  }
}

export function firstToken(scope: DeltaScope): DeltaToken {
  return { scope, from: -1 };
}

export interface DeltaPage {
  value: Record<string, unknown>[];
  nextToken?: string;
  deltaToken?: string;
}

export function deltaPage(store: ItemStore, token: DeltaToken, pageSize: number): DeltaPage {
  const to = token.to ?? store.currentSeq();
  const { scope } = token;
  const inScope = (item: Item | undefined): item is Item => !!item && item.mailboxId === scope.mailboxId && inWindow(item, scope.window);
  let entries: { id: string; item?: Item }[];
  if (token.from < 0) {
    entries = store.list(scope.mailboxId, scope.kind, scope.container).filter(inScope).map((item) => ({ id: item.id, item }));
  } else {
    const ids = new Set(store.changesBetween(scope.mailboxId, scope.kind, scope.container, token.from, to).map((c) => c.id));
    entries = [...ids].map((id) => {
      const item = store.get(id);
      return inScope(item) ? { id, item } : { id };
    });
  }
  const remaining = entries.filter((e) => token.after === undefined || e.id > token.after).sort((a, b) => (a.id < b.id ? -1 : 1));
  const page = remaining.slice(0, pageSize);
  const value = page.map((e) =>
    e.item ? renderItem(e.item, { withType: true, ...token.render }) : { '@odata.type': odataType[scope.kind], id: e.id, '@removed': { reason: 'deleted' } },
  );
  if (remaining.length > pageSize) {
    return { value, nextToken: encodeToken({ scope, from: token.from, to, after: page[page.length - 1]?.id, render: token.render }) };
  }
  return { value, deltaToken: encodeToken({ scope, from: to, render: token.render }) };
}

function inWindow(item: Item, window: DeltaScope['window']): boolean {
  if (!window) return true;
  const start = toEpoch(item.fields.start as { dateTime: string });
  const end = toEpoch(item.fields.end as { dateTime: string });
  return start < window.end && end > window.start;
}
