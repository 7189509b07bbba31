/**
 * What every reliability run asserts about the tenant afterwards, from the sandbox's own delete log:
 * each target removed exactly once by the service (any second DELETE of it answered 404, and only that),
 * nothing else deleted by the service on either side, every target gone, every bystander still there.
 */
import { expect } from 'vitest';
import type { DeleteRecord, TenantSandbox } from '../../sandbox/index.js';
import type { CrmRef } from '../../src/domain/event.js';
import type { Tracked } from './reliability-world.js';

const key = (scope: string, id: string) => `${scope.toLowerCase()}|${id}`;

/** The service's own (API) deletes on the Graph side since the `since`-th log entry, grouped by mailbox item. */
function serviceDeletes(sb: TenantSandbox, since: number): Map<string, DeleteRecord[]> {
  const byItem = new Map<string, DeleteRecord[]>();
  for (const r of sb.deleteLog.entries().slice(since)) {
    if (r.via !== 'api' || r.side !== 'graph') continue;
    const k = key(r.scope, r.id);
    byItem.set(k, [...(byItem.get(k) ?? []), r]);
  }
  return byItem;
}

export interface RemovalCheck {
  /** Copies the service had to remove: gone afterwards, removed at most once (by it, or by Exchange for it). */
  targets: Tracked['copies'];
  /** Copies nobody asked it to touch. */
  bystanders: Tracked['copies'];
  kind: (copy: Tracked['copies'][number]) => 'event' | 'contact';
  /** CRM records the service had to delete (an organizer's Outlook delete): gone afterwards; no other record deleted by it. */
  records: CrmRef[];
  /** Delete-log entries before this index belong to earlier runs. */
  since: number;
}

export function expectExactlyTargetsRemoved(sb: TenantSandbox, { targets, bystanders, kind, records, since }: RemovalCheck): void {
  expect(sb.deleteLog.deletedTwice()).toEqual([]);
  const deletes = serviceDeletes(sb, since);
  const targetKeys = new Set(targets.map((c) => key(c.user.id, c.itemId)));
  for (const copy of targets) {
    expect(sb.graph.item(copy.user.id, kind(copy), copy.itemId), `${copy.itemId} still in ${copy.user.displayName}'s mailbox`).toBeUndefined();
    const served = deletes.get(key(copy.user.id, copy.itemId)) ?? [];
    const removed = served.filter((r) => r.status < 300);
    // Removed by the service once, or by Exchange for it (an organizer's cancel takes attendees' copies).
    expect(removed.length, `${copy.itemId} removed ${removed.length} times`).toBeLessThanOrEqual(1);
    expect(served.filter((r) => r.status >= 300).every((r) => r.status === 404), `${copy.itemId}: ${served.map((r) => r.status).join(',')}`).toBe(true);
  }
  for (const [k, served] of deletes) expect(targetKeys.has(k), `service deleted a non-target ${k} (${served.map((r) => r.status)})`).toBe(true);
  for (const copy of bystanders) expect(sb.graph.item(copy.user.id, kind(copy), copy.itemId), `bystander ${copy.itemId} was removed`).toBeDefined();

  const recordKeys = new Set(records.map((r) => key(r.entity, r.id.toLowerCase())));
  for (const ref of records) expect(sb.dataverse.exists(ref.entity, ref.id), `${ref.entity} ${ref.id} still in CRM`).toBe(false);
  const crmDeletes = sb.deleteLog.entries().slice(since).filter((r) => r.via === 'api' && r.side === 'dataverse');
  for (const r of crmDeletes) expect(recordKeys.has(key(r.scope, r.id.toLowerCase())), `service deleted a non-target record ${r.scope} ${r.id} (${r.status})`).toBe(true);
}
