/**
 * Catch-up with delta queries: what changed in a mailbox since the stored delta link. Used after a
 * `missed` or `subscriptionRemoved` lifecycle event, after a lapsed subscription is recreated, and by the
 * To Do poller (To Do has no app-only notifications). `@removed` entries become the same delete events a
 * notification would have produced (the same id, so the processor takes a delete seen both ways once); changed items go to
 * `onItem` (link learning).
 *
 * Scopes: `calendarView/delta` (a fixed window chosen at the first round), the contacts delta of the
 * default Contacts folder and of each folder in it (Graph documents contacts delta per folder only), the
 * messages delta of each top-level mail folder, and the tasks delta of each To Do list (with their
 * linkedResources, the mark a task's link is learned from). The first round
 * of a scope only sets the baseline: it lists what exists, which tells nothing about deletes. The new
 * delta link is stored only after the whole round, so an interrupted round is replayed (the processor drops what it already took).
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { DeltaPage, type DeltaItem } from '../contracts/graph.js';
import type { OutlookItemKind } from '../domain/event.js';
import { outlookDeleteFromDelta } from '../domain/normalize-graph.js';
import { DeleteSyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { Enqueue, ItemMessage } from '../store/messages.js';
import { graphStatus } from './errors.js';
import { IMMUTABLE_ID } from './items.js';

export const DELTA_NAMESPACE = 'delta';

const DAY_MS = 86_400_000;
/** calendarView needs a window: deletes of meetings long past do not matter to the policy. */
const WINDOW_PAST_DAYS = 90;
const WINDOW_FUTURE_DAYS = 730;
/** A window with less than this much future left is replaced by a fresh one after the round. */
const WINDOW_MIN_FUTURE_DAYS = 365;

export interface DeltaScope {
  userId: string;
  itemKind: OutlookItemKind;
  /** Contact folder, mail folder or To Do list id; null for events. */
  containerId: string | null;
}

const StoredDelta = z.object({ link: z.string().min(1), windowEnd: z.string().nullable() });
type StoredDelta = z.infer<typeof StoredDelta>;

export interface DeltaDeps {
  graph: Client;
  store: Store;
  log: Logger;
  now: () => Date;
  /** Puts delete events on the queue (the composition root passes the pipeline's enqueue). */
  enqueue: Enqueue;
  /** A created or changed item seen in a round after the baseline (link learning). */
  onItem?: (scope: DeltaScope, item: DeltaItem) => Promise<void>;
}

export interface DeltaRoundResult {
  scope: DeltaScope;
  /** The first round (or a restart after an expired link): nothing before it can be known. */
  baseline: boolean;
  removed: number;
  enqueued: number;
  changed: number;
}

export function deltaStateKey(scope: DeltaScope): string {
  return [scope.userId.toLowerCase(), scope.itemKind, scope.containerId ?? ''].join('|');
}

function firstRoundUrl(scope: DeltaScope, now: Date): { url: string; windowEnd: string | null } {
  const user = `/users/${encodeURIComponent(scope.userId)}`;
  const container = encodeURIComponent(scope.containerId ?? '');
  switch (scope.itemKind) {
    case 'event': {
      const start = new Date(now.getTime() - WINDOW_PAST_DAYS * DAY_MS).toISOString();
      const end = new Date(now.getTime() + WINDOW_FUTURE_DAYS * DAY_MS).toISOString();
      return { url: `${user}/calendarView/delta?startDateTime=${start}&endDateTime=${end}`, windowEnd: end };
    }
    case 'contact':
      return { url: `${user}/contactFolders/${container}/contacts/delta`, windowEnd: null };
    case 'message':
      return { url: `${user}/mailFolders/${container}/messages/delta`, windowEnd: null };
    case 'todoTask':
      return { url: `${user}/todo/lists/${container}/tasks/delta?$expand=linkedResources`, windowEnd: null };
  }
}

const Listing = z.looseObject({
  value: z.array(z.looseObject({ id: z.string(), parentFolderId: z.string().nullish() })),
  '@odata.nextLink': z.string().optional(),
});
type Listed = z.infer<typeof Listing>['value'][number];

async function listAll(graph: Client, url: string): Promise<Listed[]> {
  const all: Listed[] = [];
  for (let next: string | undefined = url; next !== undefined; ) {
    const page = Listing.parse(await graph.api(next).get());
    all.push(...page.value);
    next = page['@odata.nextLink'];
  }
  return all;
}

/**
 * Contact folders: the folders `contactFolders` lists (those inside the default Contacts folder) and the
 * default folder itself, whose id is each of their `parentFolderId` or a contact's in `/contacts` (no
 * documented well-known name addresses it). A mailbox with neither has nothing to catch up yet.
 */
async function contactFolderIds(graph: Client, user: string): Promise<string[]> {
  const folders = await listAll(graph, `${user}/contactFolders?$select=id,parentFolderId&$top=100`);
  let defaultId = folders.find((f) => f.parentFolderId)?.parentFolderId ?? null;
  if (defaultId === null) {
    const page = Listing.parse(await graph.api(`${user}/contacts`).headers(IMMUTABLE_ID).select(['id', 'parentFolderId']).top(1).get());
    defaultId = page.value[0]?.parentFolderId ?? null;
  }
  return [...new Set([...(defaultId === null ? [] : [defaultId]), ...folders.map((f) => f.id)])];
}

/** The delta scopes of one kind in one mailbox: one for events, one per folder or list otherwise. */
export async function deltaScopes(graph: Client, userId: string, itemKind: OutlookItemKind): Promise<DeltaScope[]> {
  const user = `/users/${encodeURIComponent(userId)}`;
  if (itemKind === 'event') return [{ userId, itemKind, containerId: null }];
  const ids =
    itemKind === 'contact'
      ? await contactFolderIds(graph, user)
      : (await listAll(graph, itemKind === 'message' ? `${user}/mailFolders?$select=id&$top=100` : `${user}/todo/lists`)).map((f) => f.id);
  return ids.map((containerId) => ({ userId, itemKind, containerId }));
}

/** Follows one round to its delta link, handing every item to `visit`. */
async function runRound(graph: Client, url: string, visit: (item: DeltaItem) => Promise<void>): Promise<string> {
  for (let next = url; ; ) {
    const page = DeltaPage.parse(await graph.api(next).headers(IMMUTABLE_ID).get());
    for (const item of page.value) await visit(item);
    if (page['@odata.deltaLink'] !== undefined) return page['@odata.deltaLink'];
    if (page['@odata.nextLink'] === undefined) {
      throw new DeleteSyncError('DS_ERR_UPSTREAM', 'Graph answered a delta page with neither @odata.nextLink nor @odata.deltaLink');
    }
    next = page['@odata.nextLink'];
  }
}

async function readStored(store: Store, scope: DeltaScope): Promise<StoredDelta | null> {
  const text = await store.state.get(DELTA_NAMESPACE, deltaStateKey(scope));
  if (text === null) return null;
  const parsed = StoredDelta.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

async function baseline(scope: DeltaScope, deps: DeltaDeps): Promise<void> {
  const now = deps.now();
  const first = firstRoundUrl(scope, now);
  const link = await runRound(deps.graph, first.url, async () => undefined);
  const value: StoredDelta = { link, windowEnd: first.windowEnd };
  await deps.store.state.set(DELTA_NAMESPACE, deltaStateKey(scope), JSON.stringify(value), now);
}

/** Graph answers an expired or unusable delta token with 410 (resync required) or 400 ErrorInvalidSyncStateData. */
function syncStateLost(error: unknown): boolean {
  const status = graphStatus(error);
  return status === 410 || (status === 400 && /SyncState/i.test(String((error as { code?: unknown }).code ?? '')));
}

/** One catch-up round of one scope from its stored delta link (or its baseline, when it has none). */
export async function catchUpScope(scope: DeltaScope, deps: DeltaDeps): Promise<DeltaRoundResult> {
  const result: DeltaRoundResult = { scope, baseline: false, removed: 0, enqueued: 0, changed: 0 };
  const stored = await readStored(deps.store, scope);
  if (stored === null) {
    await baseline(scope, deps);
    return { ...result, baseline: true };
  }
  const at = deps.now();
  // The round's deletes go onto the queue together (one write per message-full), before the new link is stored.
  const removed: ItemMessage[] = [];
  const enqueueRemoved = async () => {
    if (removed.length > 0) await deps.enqueue(removed);
    result.enqueued = removed.length;
  };
  let link: string;
  try {
    link = await runRound(deps.graph, stored.link, async (item) => {
      if (item['@removed'] !== undefined) {
        result.removed += 1;
        const event = outlookDeleteFromDelta(scope.userId, scope.itemKind, item.id, scope.itemKind === 'todoTask' ? scope.containerId : null, at);
        removed.push({ kind: 'change', event });
      } else if (deps.onItem !== undefined) {
        result.changed += 1;
        await deps.onItem(scope, item);
      }
    });
    await enqueueRemoved();
  } catch (error) {
    if (!syncStateLost(error)) throw error;
    // Deletes seen before the link broke are still deletes.
    await enqueueRemoved();
    deps.log.warn('delta link no longer valid: new baseline, changes since the last round cannot be seen', {
      userId: scope.userId,
      itemKind: scope.itemKind,
    });
    await baseline(scope, deps);
    return { ...result, baseline: true };
  }
  const stale = stored.windowEnd !== null && Date.parse(stored.windowEnd) - at.getTime() < WINDOW_MIN_FUTURE_DAYS * DAY_MS;
  if (stale) await baseline(scope, deps);
  else await deps.store.state.set(DELTA_NAMESPACE, deltaStateKey(scope), JSON.stringify({ link, windowEnd: stored.windowEnd }), at);
  return result;
}

/** Catch-up of every scope of one kind in one mailbox. */
export async function catchUp(userId: string, itemKind: OutlookItemKind, deps: DeltaDeps): Promise<DeltaRoundResult[]> {
  const results: DeltaRoundResult[] = [];
  for (const scope of await deltaScopes(deps.graph, userId, itemKind)) results.push(await catchUpScope(scope, deps));
  return results;
}
