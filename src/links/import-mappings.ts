/**
 * The link import from `exchangesyncidmappings`, the table server-side sync keeps for every item it
 * tracks: `objectid` (a plain Guid, no lookup), `objecttypecode` (an Integer type code), the mailbox
 * owner (`ownerid`; there is no userid column) and `exchangeentryid`.
 *
 * It refuses rather than guess. Dataverse does not document `exchangeentryid`'s format, and Graph's
 * `translateExchangeIds` takes an `entryId` only as URL-safe base64 (an app-only call that one revision
 * of its page lists as not supported), so no documented app-only path turns a mapping row into a
 * Graph item id. A link made from a guess could make the service delete the wrong item; so when there
 * are rows to link, the import fails with one coded error naming the reason and links nothing. Links
 * form through the documented paths instead (backfill, webhooks, the service's own markers).
 */
import { z } from 'zod';
import type { DataverseClient } from '../dataverse/client.js';
import { DeleteSyncError } from '../errors.js';
import type { Logger } from '../log.js';

/** Object type codes of the tables the service syncs (appointment 4201, recurringappointmentmaster 4251, email 4202, task 4212, contact 2). */
export const SYNCED_OBJECT_TYPE_CODES: Readonly<Record<number, string>> = { 4201: 'appointment', 4251: 'recurringappointmentmaster', 4202: 'email', 4212: 'task', 2: 'contact' };

const MappingRow = z.looseObject({
  exchangeentryid: z.string().nullable(),
  objectid: z.string().nullable(),
  objecttypecode: z.number().int().nullable(),
  _ownerid_value: z.string().nullable(),
  isdeletedinexchange: z.boolean().nullable().optional(),
  isunlinkedincrm: z.boolean().nullable().optional(),
});
type MappingRow = z.infer<typeof MappingRow>;

export interface ImportDeps {
  dataverse: DataverseClient;
  log: Logger;
}

export interface ImportSummary {
  rows: number;
  /** Always 0: see the file comment (kept for the summary's shape). */
  linked: number;
  unchanged: number;
  /** Rows for no synced table, without an owner or entry id, unlinked in CRM or deleted in Exchange. */
  skipped: number;
}

function tracked(row: MappingRow): string | null {
  if (row.isdeletedinexchange === true || row.isunlinkedincrm === true) return null;
  if (!row.exchangeentryid || !row.objectid || !row._ownerid_value || row.objecttypecode === null) return null;
  return SYNCED_OBJECT_TYPE_CODES[row.objecttypecode] ?? null;
}

export async function importExchangeMappings(deps: ImportDeps): Promise<ImportSummary> {
  const rows = z.array(MappingRow).parse(
    await deps.dataverse.list('exchangesyncidmappings', {
      select: ['exchangeentryid', 'objectid', 'objecttypecode', '_ownerid_value', 'isdeletedinexchange', 'isunlinkedincrm'],
    }),
  );
  const byTable = new Map<string, number>();
  for (const row of rows) {
    const table = tracked(row);
    if (table) byTable.set(table, (byTable.get(table) ?? 0) + 1);
  }
  const linkable = [...byTable.values()].reduce((a, b) => a + b, 0);
  if (linkable > 0) {
    const counts = [...byTable].map(([table, n]) => `${n} ${table}`).join(', ');
    throw new DeleteSyncError(
      'DS_ERR_UNSUPPORTED_LINK_SOURCE',
      `exchangesyncidmappings: ${linkable} tracked rows (${counts}) not imported: Dataverse does not document the format of exchangeentryid, so no documented app-only call turns it into a Graph item id; links form through backfill and change notifications instead`,
    );
  }
  const summary: ImportSummary = { rows: rows.length, linked: 0, unchanged: 0, skipped: rows.length };
  deps.log.info('exchangesyncidmappings read: nothing to import', { ...summary });
  return summary;
}
