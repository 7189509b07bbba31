/**
 * The marks on an Outlook item that name the CRM record it is the tracked copy of, one per item kind, each
 * a path Graph v1.0 documents (the table in docs/operator-guide.md § Linking says who writes each):
 *
 * - contact, event, message: this service's named extended property (crm-id-property.ts); Graph
 *   documents singleValueExtendedProperties on all three. Written with writeMarker by the tracker that
 *   knows the copy; server-side sync writes no documented property.
 * - todoTask: a `linkedResource` with `applicationName` = LINK_APPLICATION_NAME and `externalId` = the CRM
 *   task's activityid ("linkedResource resource type"; created with POST …/tasks/{id}/linkedResources,
 *   by writeMarker). Graph v1.0 todoTask has no extended properties at all.
 *
 * The category "Tracked to Dynamics 365" that server-side sync and the App for Outlook put on tracked
 * appointments, e-mails and tasks says *that* an item is tracked, never *which* record: it is never read
 * as a link key (and contacts cannot be tracked by category at all).
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { crmRef } from '../domain/dataverse-values.js';
import type { CrmRef, OutlookItemKind } from '../domain/event.js';
import { parseGuid } from '../domain/guid.js';
import { IMMUTABLE_ID, itemPath, type OutlookItemRef } from '../graph/items.js';
import { CRM_ID_EXPAND, CRM_ID_PROPERTY_ID, crmRefFromStamp } from './crm-id-property.js';

/** The `applicationName` of this service's linked resources on To Do tasks. */
export const LINK_APPLICATION_NAME = 'CRM Outlook Delete Sync';

export const LinkedResource = z.looseObject({
  id: z.string().optional(),
  applicationName: z.string().nullish(),
  externalId: z.string().nullish(),
  webUrl: z.string().nullish(),
});
export type LinkedResource = z.infer<typeof LinkedResource>;

/** What to `$expand` to read an item's mark. */
export function markerExpand(itemKind: OutlookItemKind): string {
  return itemKind === 'todoTask' ? 'linkedResources' : CRM_ID_EXPAND;
}

const ours = (r: LinkedResource) => r.applicationName?.trim().toLowerCase() === LINK_APPLICATION_NAME.toLowerCase();

/**
 * The CRM task this service's linked resources name, or null: none of ours, an externalId that is not a
 * GUID, or two of ours naming different records (ambiguous: skipped rather than guessed).
 */
export function crmRefFromLinkedResources(resources: readonly LinkedResource[] | undefined): CrmRef | null {
  const ids = new Set<string>();
  for (const r of resources ?? []) {
    if (!ours(r)) continue;
    const id = parseGuid(r.externalId ?? '');
    if (id === null) return null;
    ids.add(id.toLowerCase());
  }
  const [only] = ids;
  return ids.size === 1 && only !== undefined ? crmRef('task', only) : null;
}

export interface MarkedItem {
  singleValueExtendedProperties?: readonly { id: string; value: string }[] | undefined;
  linkedResources?: readonly LinkedResource[] | undefined;
}

/** The record an item's mark names (not yet checked against CRM), or null. */
export function crmRefFromMarker(itemKind: OutlookItemKind, item: MarkedItem): CrmRef | null {
  return itemKind === 'todoTask' ? crmRefFromLinkedResources(item.linkedResources) : crmRefFromStamp(itemKind, item.singleValueExtendedProperties);
}

const Listing = z.looseObject({ value: z.array(LinkedResource) });

/**
 * Writes this service's mark on an Outlook copy of a CRM record — what a tracker that creates or knows
 * the copy (a deployment's provisioning, the demo's) calls: a linked resource on a task (unless one of
 * ours already names the record), the stamp on anything else. The service then learns the link itself.
 */
export async function writeMarker(graph: Client, ref: OutlookItemRef, crm: CrmRef, link: { displayName: string; webUrl: string | null }): Promise<'written' | 'present'> {
  if (ref.itemKind === 'todoTask') {
    const path = `${itemPath(ref)}/linkedResources`;
    const existing = Listing.parse(await graph.api(path).get()).value;
    if (crmRefFromLinkedResources(existing)?.id === crm.id.toLowerCase()) return 'present';
    await graph.api(path).post({ applicationName: LINK_APPLICATION_NAME, externalId: crm.id.toLowerCase(), displayName: link.displayName, ...(link.webUrl ? { webUrl: link.webUrl } : {}) });
    return 'written';
  }
  await graph.api(itemPath(ref)).headers(IMMUTABLE_ID).patch({ singleValueExtendedProperties: [{ id: CRM_ID_PROPERTY_ID, value: crm.id.toLowerCase() }] });
  return 'written';
}
