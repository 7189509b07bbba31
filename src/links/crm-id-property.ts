/**
 * The extended property trackers stamp on a tracked Outlook item: the CRM record's id (a GUID). A
 * named string property in this service's own property set, so it cannot collide with another add-in's.
 * The record's table follows from the item kind (event → appointment, message → email, …).
 */
import { parseGuid } from '../domain/guid.js';
import { crmRef } from '../domain/dataverse-values.js';
import type { CrmRef, OutlookItemKind } from '../domain/event.js';
import { ENTITY_BY_ITEM_KIND } from '../domain/normalize-graph.js';

export const CRM_ID_PROPERTY_ID = 'String {7E1C3B52-4A9D-4F0E-8B6C-2D5A9E1F3C47} Name crmid';

/** `$expand` that returns only this property. */
export const CRM_ID_EXPAND = `singleValueExtendedProperties($filter=id eq '${CRM_ID_PROPERTY_ID}')`;

/** The CRM record an item's stamp names, or null (no stamp, or not a GUID). */
export function crmRefFromStamp(itemKind: OutlookItemKind, properties: readonly { id: string; value: string }[] | undefined): CrmRef | null {
  const stamp = properties?.find((p) => p.id.toLowerCase() === CRM_ID_PROPERTY_ID.toLowerCase());
  const id = stamp === undefined ? null : parseGuid(stamp.value);
  return id === null ? null : crmRef(ENTITY_BY_ITEM_KIND[itemKind], id);
}
