/**
 * Backfill: links for the items that already exist in the synced mailboxes (events, contacts, messages),
 * read page by page with the CRM-id stamp expanded and matched a page at a time. Progress is stored per
 * mailbox and kind (the page being worked on and how many of its items are done) from the start of a run,
 * so an interrupted run resumes where it stopped and `pendingBackfillUsers` names the mailboxes a run has
 * not finished; once a run's mailboxes are done their cursors are cleared and the next run is a fresh
 * pass. Rerunning is safe: links are written by item, an unchanged link is not rewritten.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { OutlookItemKind } from '../domain/event.js';
import { collectionPath, IMMUTABLE_ID } from '../graph/items.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { LinkLearner } from './learn.js';
import { markerExpand } from './markers.js';
import { GraphItem, MATCH_SELECT } from './match.js';

export const BACKFILL_NAMESPACE = 'backfill';
export const BACKFILL_KINDS = ['event', 'contact', 'message'] as const satisfies readonly OutlookItemKind[];
const PAGE_SIZE = 50;

const Cursor = z.object({
  /** The page being worked on; null = the first page. */
  pageUrl: z.string().nullable(),
  /** Items of that page already done. */
  done: z.number().int().min(0),
  complete: z.boolean(),
});
type Cursor = z.infer<typeof Cursor>;

const Page = z.looseObject({ value: z.array(GraphItem), '@odata.nextLink': z.string().optional() });

export interface BackfillDeps {
  graph: Client;
  store: Store;
  log: Logger;
  learner: LinkLearner;
}

export interface BackfillProgress {
  userId: string;
  itemKind: OutlookItemKind;
  scopesDone: number;
  scopesTotal: number;
  processed: number;
  linked: number;
}

export interface BackfillOptions {
  userIds: readonly string[];
  /** Stop after this many items (the cursor keeps the place); for bounded runs. */
  maxItems?: number;
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void;
}

export interface BackfillSummary {
  /** Items read and matched in this run. */
  processed: number;
  linked: number;
  unchanged: number;
  unmatched: number;
  scopesDone: number;
  scopesTotal: number;
  /** The run started from stored cursors. */
  resumed: boolean;
  /** Every mailbox and kind finished (cursors cleared). */
  complete: boolean;
}

const cursorKey = (userId: string, itemKind: OutlookItemKind) => `${userId.toLowerCase()}|${itemKind}`;
const FRESH: Cursor = { pageUrl: null, done: 0, complete: false };

/** Mailboxes (lower-cased ids) with a backfill started and not finished. */
export async function pendingBackfillUsers(store: Store): Promise<string[]> {
  const users = (await store.state.list(BACKFILL_NAMESPACE)).map((entry) => entry.key.split('|')[0] ?? '');
  return [...new Set(users.filter(Boolean))];
}

export async function backfillLinks(deps: BackfillDeps, options: BackfillOptions): Promise<BackfillSummary> {
  const { store } = deps;
  const log = deps.log.child({ component: 'backfill' });
  const stored = new Map<string, Cursor>();
  for (const entry of await store.state.list(BACKFILL_NAMESPACE)) {
    const parsed = Cursor.safeParse(JSON.parse(entry.value));
    if (parsed.success) stored.set(entry.key, parsed.data);
  }
  const scopes = options.userIds.flatMap((userId) => BACKFILL_KINDS.map((itemKind) => ({ userId, itemKind })));
  const summary: BackfillSummary = {
    processed: 0,
    linked: 0,
    unchanged: 0,
    unmatched: 0,
    scopesDone: 0,
    scopesTotal: scopes.length,
    resumed: stored.size > 0,
    complete: false,
  };
  // Every scope of the run is on record before any work, so a run cut short names all it did not finish.
  for (const { userId, itemKind } of scopes) {
    const key = cursorKey(userId, itemKind);
    if (!stored.has(key)) await store.state.set(BACKFILL_NAMESPACE, key, JSON.stringify(FRESH));
  }
  const budgetLeft = () => (options.maxItems === undefined ? Infinity : options.maxItems - summary.processed);
  const stopped = () => options.signal?.aborted === true || budgetLeft() <= 0;

  for (const { userId, itemKind } of scopes) {
    const key = cursorKey(userId, itemKind);
    let cursor = stored.get(key) ?? FRESH;
    const report = () => options.onProgress?.({ userId, itemKind, scopesDone: summary.scopesDone, scopesTotal: summary.scopesTotal, processed: summary.processed, linked: summary.linked });
    while (!cursor.complete && !stopped()) {
      const request =
        cursor.pageUrl === null
          ? deps.graph.api(collectionPath(userId, itemKind)).select(MATCH_SELECT[itemKind]).expand(markerExpand(itemKind)).top(PAGE_SIZE)
          : deps.graph.api(cursor.pageUrl);
      const page = Page.parse(await request.headers(IMMUTABLE_ID).get());
      const todo = page.value.slice(cursor.done, cursor.done + Math.min(page.value.length, budgetLeft()));
      const counts = await deps.learner.learnItems(userId, itemKind, todo, { listId: null, source: 'backfill' });
      summary.processed += todo.length;
      summary.linked += counts.linked;
      summary.unchanged += counts.unchanged;
      summary.unmatched += counts.unmatched;
      const pageDone = cursor.done + todo.length >= page.value.length;
      const next = page['@odata.nextLink'];
      cursor = pageDone ? { pageUrl: next ?? cursor.pageUrl, done: 0, complete: next === undefined } : { ...cursor, done: cursor.done + todo.length };
      await store.state.set(BACKFILL_NAMESPACE, key, JSON.stringify(cursor));
      report();
    }
    if (!cursor.complete) break;
    summary.scopesDone += 1;
    report();
  }
  summary.complete = summary.scopesDone === summary.scopesTotal;
  if (summary.complete) for (const { userId, itemKind } of scopes) await store.state.remove(BACKFILL_NAMESPACE, cursorKey(userId, itemKind));
  log.info('backfill run ended', { ...summary });
  return summary;
}
