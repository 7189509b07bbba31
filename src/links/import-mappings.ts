/**
 * The link import from `exchangesyncidmappings`, the table server-side sync keeps for every item it
 * tracks (Exchange entry id, CRM object id and type, owner). Entry ids are MAPI ids; Graph's
 * `translateExchangeIds` turns them into the immutable REST ids notifications carry (≤ 1,000 per call,
 * all of one mailbox). Rows are read from a stored `modifiedon` cursor, so a rerun reads only what
 * changed; rows unlinked in CRM or deleted in Exchange are skipped.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { DataverseClient } from '../dataverse/client.js';
import type { OutlookItemKind } from '../domain/event.js';
import { ENTITY_BY_ITEM_KIND } from '../domain/normalize-graph.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/index.js';
import type { CrmUsers } from './crm-users.js';
import type { LinkLearner } from './learn.js';

export const IMPORT_CURSOR_NAMESPACE = 'cursor';
export const IMPORT_CURSOR_KEY = 'exchangesyncidmappings';
const TRANSLATE_MAX = 1000;

/** The inverse of the Graph normaliser's item kind → table map. */
const ITEM_KIND_BY_ENTITY: Readonly<Record<string, OutlookItemKind>> = Object.fromEntries(
  Object.entries(ENTITY_BY_ITEM_KIND).map(([itemKind, entity]) => [entity, itemKind as OutlookItemKind]),
);

const MappingRow = z.looseObject({
  exchangeentryid: z.string().nullable(),
  _objectid_value: z.string().nullable(),
  objecttypecode: z.string().nullable(),
  _ownerid_value: z.string().nullable(),
  isdeletedinexchange: z.boolean().nullable().optional(),
  isunlinkedincrm: z.boolean().nullable().optional(),
  modifiedon: z.string().nullable().optional(),
});
type MappingRow = z.infer<typeof MappingRow>;

const Translated = z.looseObject({ value: z.array(z.looseObject({ sourceId: z.string(), targetId: z.string().nullish() })) });

export interface ImportDeps {
  graph: Client;
  dataverse: DataverseClient;
  store: Store;
  log: Logger;
  learner: LinkLearner;
  crmUsers: CrmUsers;
}

export interface ImportSummary {
  rows: number;
  linked: number;
  unchanged: number;
  /** Unsupported table, no owner mailbox, or an entry id Graph could not translate. */
  skipped: number;
}

async function translate(graph: Client, userId: string, entryIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < entryIds.length; i += TRANSLATE_MAX) {
    const answer = Translated.parse(
      await graph.api(`/users/${encodeURIComponent(userId)}/translateExchangeIds`).post({
        inputIds: entryIds.slice(i, i + TRANSLATE_MAX),
        sourceIdType: 'entryId',
        targetIdType: 'restImmutableEntryId',
      }),
    );
    for (const t of answer.value) if (t.targetId) out.set(t.sourceId, t.targetId);
  }
  return out;
}

type UsableRow = MappingRow & { exchangeentryid: string; _objectid_value: string; objecttypecode: string; _ownerid_value: string };

function usable(row: MappingRow): row is UsableRow {
  return (
    row.isdeletedinexchange !== true &&
    row.isunlinkedincrm !== true &&
    !!row.exchangeentryid &&
    !!row._objectid_value &&
    !!row._ownerid_value &&
    !!row.objecttypecode &&
    ITEM_KIND_BY_ENTITY[row.objecttypecode] !== undefined
  );
}

export async function importExchangeMappings(deps: ImportDeps): Promise<ImportSummary> {
  const since = await deps.store.state.get(IMPORT_CURSOR_NAMESPACE, IMPORT_CURSOR_KEY);
  const rows = z.array(MappingRow).parse(
    await deps.dataverse.list('exchangesyncidmappings', {
      select: ['exchangeentryid', '_objectid_value', 'objecttypecode', '_ownerid_value', 'isdeletedinexchange', 'isunlinkedincrm', 'modifiedon'],
      ...(since === null ? {} : { filter: `modifiedon ge ${since}` }),
    }),
  );
  const summary: ImportSummary = { rows: rows.length, linked: 0, unchanged: 0, skipped: 0 };
  const byOwner = new Map<string, UsableRow[]>();
  for (const row of rows) {
    if (!usable(row)) {
      summary.skipped += 1;
      continue;
    }
    const owner = row._ownerid_value.toLowerCase();
    byOwner.set(owner, [...(byOwner.get(owner) ?? []), row]);
  }
  for (const [owner, ownerRows] of byOwner) {
    const userId = await deps.crmUsers.entraIdOf(owner);
    if (userId === null) {
      summary.skipped += ownerRows.length;
      continue;
    }
    const ids = await translate(deps.graph, userId, [...new Set(ownerRows.map((r) => r.exchangeentryid))]);
    for (const row of ownerRows) {
      const itemId = ids.get(row.exchangeentryid);
      const itemKind = ITEM_KIND_BY_ENTITY[row.objecttypecode];
      if (itemId === undefined || itemKind === undefined) {
        summary.skipped += 1;
        continue;
      }
      // The role is not in the mapping: `other` until the record's snapshot says more (the processor reads roles from it).
      const result = await deps.learner.putLink({
        crm: { entity: row.objecttypecode, id: row._objectid_value },
        userId,
        crmUserId: owner,
        itemKind,
        itemId,
        role: 'other',
        listId: null,
        source: 'import',
      });
      summary[result] += 1;
    }
  }
  const latest = rows.map((r) => r.modifiedon ?? '').filter(Boolean).sort().at(-1);
  if (latest !== undefined) await deps.store.state.set(IMPORT_CURSOR_NAMESPACE, IMPORT_CURSOR_KEY, latest);
  deps.log.info('exchangesyncidmappings imported', { ...summary });
  return summary;
}
