/**
 * Knowing what is linked, assembled: synced mailboxes, the subscription manager, To Do polling, link
 * learning, the exchangesyncidmappings import and the backfill, over one store and one pair of clients.
 * Both hosts' timers, the queue seams (lifecycle notices, link learning) and the CLI use this.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../config.js';
import { DeltaItem } from '../contracts/graph.js';
import type { DataverseClient } from '../dataverse/client.js';
import type { DomainEvent } from '../domain/event.js';
import { DeleteSyncError } from '../errors.js';
import type { DeltaDeps } from '../graph/delta.js';
import {
  createSubscriptionManager,
  subscriptionRows,
  type ReconcileOptions,
  type SubscriptionManager,
  type SubscriptionOutcome,
  type SubscriptionRow,
} from '../graph/subscriptions.js';
import { listSyncedUsers, type SyncedUsersResult } from '../graph/synced-users.js';
import { pollTodo, type TodoPollResult } from '../graph/todo-poller.js';
import { backfillLinks, pendingBackfillUsers, type BackfillOptions, type BackfillSummary } from '../links/backfill.js';
import { createCrmUsers } from '../links/crm-users.js';
import { importExchangeMappings, type ImportSummary } from '../links/import-mappings.js';
import { createLinkLearner, type LinkLearner } from '../links/learn.js';
import { createOccurrenceWatcher } from '../links/occurrences.js';
import { GraphItem } from '../links/match.js';
import type { Logger } from '../log.js';
import type { LifecycleNotice } from '../store/messages.js';
import type { Store } from '../store/index.js';
import { enqueue } from '../pipeline/enqueue.js';

/**
 * Items a subscription check links per run in mailboxes that are new to the synced set (or whose backfill
 * is unfinished); the rest follows on the next runs, so one timer run stays short.
 */
export const AUTO_BACKFILL_ITEMS = 2000;

export interface SyncDeps {
  config: Pick<Config, 'sync' | 'graph'>;
  store: Store;
  log: Logger;
  now: () => Date;
  graph: Client;
  dataverse: DataverseClient;
}

export interface SyncServices {
  learner: LinkLearner;
  /** The synced mailboxes as configured now (group members plus listed users). */
  syncedUsers(): Promise<SyncedUsersResult>;
  /**
   * The subscription timer: create, renew, recreate, remove, for the synced mailboxes of this run; then the
   * links of new mailboxes' existing items (a bounded slice of backfill per run).
   */
  checkSubscriptions(options?: ReconcileOptions): Promise<SubscriptionOutcome[]>;
  /** The stored subscriptions with expiry and health (`delete-sync subscriptions`). */
  subscriptions(): Promise<SubscriptionRow[]>;
  /** The To Do timer. */
  pollTodo(): Promise<TodoPollResult[]>;
  backfill(options: Omit<BackfillOptions, 'userIds'> & { userIds?: readonly string[] }): Promise<BackfillSummary>;
  importMappings(): Promise<ImportSummary>;
  /** Needs PUBLIC_BASE_URL (the notification URLs). */
  manager(): SubscriptionManager;
  /** What the queue processor plugs in (runtime seams). */
  seams: {
    handleLifecycle(notice: LifecycleNotice): Promise<void>;
    learnLinks(event: DomainEvent): Promise<void>;
    occurrenceDeletes(event: DomainEvent): Promise<DomainEvent[]>;
  };
}

export function createSyncServices(deps: SyncDeps): SyncServices {
  const { config, store, graph, dataverse, now } = deps;
  const log = deps.log.child({ component: 'sync' });
  const crmUsers = createCrmUsers(dataverse);
  const learner = createLinkLearner({ graph, dataverse, store, log, now, crmUsers });
  const occurrenceDeletes = createOccurrenceWatcher({ graph, dataverse, store, log, now, learner });

  const delta: DeltaDeps = {
    graph,
    store,
    log,
    now,
    enqueue: (items) => enqueue(store, items, now()),
    onItem: async (scope, item: DeltaItem) => {
      const listId = scope.itemKind === 'todoTask' ? scope.containerId : null;
      await learner.learnItems(scope.userId, scope.itemKind, [GraphItem.parse(item)], { listId, source: 'delta' });
    },
  };

  let manager: SubscriptionManager | undefined;
  const getManager = () => {
    const base = config.sync.publicBaseUrl;
    if (base === undefined) {
      throw new DeleteSyncError('DS_ERR_CONFIG', 'PUBLIC_BASE_URL is required to subscribe (Graph posts notifications there)', { field: 'PUBLIC_BASE_URL' });
    }
    manager ??= createSubscriptionManager({
      ...delta,
      notificationUrl: `${base}/api/graph/notifications`,
      lifecycleNotificationUrl: `${base}/api/graph/lifecycle`,
      tenantId: config.graph.tenantId ?? null,
    });
    return manager;
  };

  const syncedUsers = async () => {
    const result = await listSyncedUsers(graph, { groupId: config.sync.groupId, users: config.sync.users });
    if (result.unknown.length > 0) log.warn('SYNC_USERS entries that name no user', { unknown: result.unknown });
    return result;
  };
  const userIds = async () => (await syncedUsers()).users.map((u) => u.id);

  return {
    learner,
    syncedUsers,
    manager: getManager,
    async checkSubscriptions(options) {
      const ids = await userIds();
      const outcomes = await getManager().reconcile(ids, options);
      const count = (action: SubscriptionOutcome['action']) => outcomes.filter((o) => o.action === action).length;
      log.info('subscription check done', {
        created: count('created'),
        renewed: count('renewed'),
        recreated: count('recreated'),
        removed: count('removed'),
        blocked: count('blocked'),
        failed: count('failed'),
      });
      const synced = new Map(ids.map((id) => [id.toLowerCase(), id]));
      const fresh = outcomes.filter((o) => o.action === 'created').map((o) => o.userId.toLowerCase());
      const linking = [...new Set([...fresh, ...(await pendingBackfillUsers(store))])].flatMap((id) => synced.get(id) ?? []);
      if (linking.length > 0) await backfillLinks({ graph, store, log, learner }, { userIds: linking, maxItems: AUTO_BACKFILL_ITEMS });
      return outcomes;
    },
    subscriptions: () => subscriptionRows(store, now()),
    pollTodo: async () => pollTodo(await userIds(), delta),
    backfill: async (options) => backfillLinks({ graph, store, log, learner }, { ...options, userIds: options.userIds ?? (await userIds()) }),
    importMappings: () => importExchangeMappings({ dataverse, log }),
    seams: {
      handleLifecycle: (notice) => getManager().handleLifecycle(notice),
      learnLinks: (event) => learner.learn(event),
      occurrenceDeletes,
    },
  };
}
