/**
 * Links for recurring meetings. A mailbox's series master is linked to the CRM series like any meeting
 * (iCalUId ↔ globalobjectid, see match.ts); its occurrences are linked to the CRM instances one by one,
 * by series and original start — never by iCalUId, which differs per occurrence (and is contested).
 * Only instances CRM has materialised (its future expansion window) can be linked; later ones are
 * linked when the series is next seen. The instances' snapshots are stored with their links, since an
 * Outlook occurrence delete is decided on them. The master's recurrence is remembered, so a later
 * change of the series itself is not mistaken for occurrence deletes (occurrences.ts).
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { DataverseClient } from '../dataverse/client.js';
import { readSnapshot } from '../dataverse/snapshot-reader.js';
import type { CrmRef } from '../domain/event.js';
import type { Link } from '../domain/link.js';
import { getSeriesEvent, listInstances, type SeriesEvent } from '../graph/recurrence.js';
import type { Store } from '../store/index.js';

export const SERIES_TABLE = 'recurringappointmentmaster';
/** State namespace: the recurrence last seen per mailbox series master (`<userId>/<itemId>`). */
export const RECURRENCE_NAMESPACE = 'series-recurrence';
const DAY_MS = 86_400_000;

const InstanceRow = z.looseObject({ activityid: z.string(), originalstartdate: z.string().nullish() });

export interface SeriesLinkDeps {
  graph: Client;
  dataverse: DataverseClient;
  store: Store;
  now: () => Date;
}

type PutLink = (link: Omit<Link, 'updatedAt' | 'crmUserId'> & { crmUserId?: string | null }) => Promise<'linked' | 'unchanged'>;

/** The CRM instances of a series with their original start. */
export async function seriesInstances(dataverse: DataverseClient, seriesId: string): Promise<{ ref: CrmRef; originalStart: number }[]> {
  const rows = z.array(InstanceRow).parse(
    await dataverse.list('appointments', { select: ['activityid', 'originalstartdate'], filter: `seriesid eq ${seriesId}` }),
  );
  return rows.flatMap((row) => {
    const originalStart = Date.parse(row.originalstartdate ?? '');
    return Number.isFinite(originalStart) ? [{ ref: { entity: 'appointment', id: row.activityid.toLowerCase() }, originalStart }] : [];
  });
}

/** A stable text of the master's recurrence (pattern and range): any change of the series changes it. */
export function recurrenceKey(master: SeriesEvent): string {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(sorted) : value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sorted(v)])) : value;
  return JSON.stringify(sorted(master.recurrence ?? null));
}

export const recurrenceStateKey = (userId: string, itemId: string) => `${userId.toLowerCase()}/${itemId}`;

/**
 * Links the occurrences of one mailbox's series master to the CRM instances with the same original start,
 * stores their snapshots, and remembers the master's recurrence if none is remembered. Returns the links written.
 */
export async function linkOccurrences(deps: SeriesLinkDeps, master: Link, putLink: PutLink): Promise<number> {
  const event = await getSeriesEvent(deps.graph, master.userId, master.itemId);
  if (event === null || event.type !== 'seriesMaster') return 0;
  const stateKey = recurrenceStateKey(master.userId, master.itemId);
  if ((await deps.store.state.get(RECURRENCE_NAMESPACE, stateKey)) === null) {
    await deps.store.state.set(RECURRENCE_NAMESPACE, stateKey, recurrenceKey(event), deps.now());
  }
  const instances = await seriesInstances(deps.dataverse, master.crm.id);
  if (instances.length === 0) return 0;
  const starts = instances.map((i) => i.originalStart);
  const occurrences = await listInstances(deps.graph, master.userId, master.itemId, new Date(Math.min(...starts) - DAY_MS), new Date(Math.max(...starts) + DAY_MS));
  const byOriginal = new Map<number, SeriesEvent[]>();
  for (const o of occurrences) {
    const at = Date.parse(o.originalStart ?? '');
    byOriginal.set(at, [...(byOriginal.get(at) ?? []), o]);
  }
  let linked = 0;
  for (const instance of instances) {
    const [occurrence, ...more] = byOriginal.get(instance.originalStart) ?? [];
    if (occurrence === undefined || more.length > 0) continue;
    if ((await deps.store.snapshots.get(instance.ref)) === null) {
      const snapshot = await readSnapshot(deps.dataverse, instance.ref);
      if (snapshot === null) continue;
      await deps.store.snapshots.put(snapshot);
    }
    const result = await putLink({ crm: instance.ref, userId: master.userId, crmUserId: master.crmUserId, itemKind: 'event', itemId: occurrence.id, role: master.role, listId: null, source: `${master.source}+series` });
    if (result === 'linked') linked += 1;
  }
  return linked;
}
