/**
 * Occurrence deletes, seen the only way Graph shows them: deleting or cancelling one occurrence raises
 * just an `updated` of its series master (reported in microsoft-graph-docs #5520; undocumented). So on
 * an `updated` of a linked series master, every occurrence linked in that mailbox is read again by its
 * id; one that answers 404 while its master exists, and while the master's recurrence is the one last
 * seen, was deleted or cancelled, and becomes an Outlook delete of that occurrence (decided as any
 * delete). When the recurrence itself changed (the series was cut back, moved or re-patterned), the
 * missing occurrences are not counted as deletes: that is an edit of the series, and nothing is deleted.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { DataverseClient } from '../dataverse/client.js';
import type { DomainEvent } from '../domain/event.js';
import { outlookDeleteFromDelta } from '../domain/normalize-graph.js';
import { getSeriesEvent } from '../graph/recurrence.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { LinkLearner } from './learn.js';
import { RECURRENCE_NAMESPACE, recurrenceKey, recurrenceStateKey, SERIES_TABLE, seriesInstances } from './series.js';

export interface OccurrenceWatcherDeps {
  graph: Client;
  dataverse: DataverseClient;
  store: Store;
  log: Logger;
  now: () => Date;
  learner: LinkLearner;
}

/** The Outlook deletes of single occurrences that an `updated` of a series master stands for. */
export function createOccurrenceWatcher(deps: OccurrenceWatcherDeps): (event: DomainEvent) => Promise<DomainEvent[]> {
  const { graph, store } = deps;
  const log = deps.log.child({ component: 'occurrence-watcher' });
  return async (event) => {
    const outlook = event.outlook;
    if (event.change !== 'updated' || outlook === undefined || outlook.itemKind !== 'event') return [];
    const link = await store.links.getByItem(outlook.userId, outlook.itemId);
    if (link === null || link.crm.entity !== SERIES_TABLE) return [];
    const master = await getSeriesEvent(graph, outlook.userId, outlook.itemId);
    if (master === null || master.type !== 'seriesMaster') return [];
    const stateKey = recurrenceStateKey(outlook.userId, outlook.itemId);
    const seen = await store.state.get(RECURRENCE_NAMESPACE, stateKey);
    const key = recurrenceKey(master);
    const deletes: DomainEvent[] = [];
    if (seen === key) {
      for (const instance of await seriesInstances(deps.dataverse, link.crm.id)) {
        const copies = (await store.links.listByRecord(instance.ref)).filter((l) => l.userId.toLowerCase() === outlook.userId.toLowerCase() && l.itemKind === 'event');
        for (const copy of copies) {
          if ((await getSeriesEvent(graph, copy.userId, copy.itemId)) === null) deletes.push(outlookDeleteFromDelta(copy.userId, 'event', copy.itemId, null, deps.now()));
        }
      }
    } else {
      log.info('series changed (or first seen): missing occurrences are not taken as deletes', { userId: outlook.userId, itemId: outlook.itemId, known: seen !== null });
      await store.state.set(RECURRENCE_NAMESPACE, stateKey, key, deps.now());
    }
    await deps.learner.linkOccurrences(link);
    return deletes;
  };
}
