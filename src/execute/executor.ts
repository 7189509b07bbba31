/**
 * Turns a decision into effects and reports each target's outcome.
 *
 * Order: Outlook targets are resolved to mailbox items (link first; for meetings without a link, by
 * iCalUId in the participant's mailbox); the organizer's meeting copy goes first (delete or cancel, as
 * the decision says), then every other item in one `$batch` fan-out; CRM targets are deleted as the
 * Outlook user. A tombstone is written before each delete and removed again when the delete did not
 * happen; links of removed items are dropped afterwards. Dry run resolves and reports the plan and
 * changes nothing. Whatever is unfinished at the deadline is reported `pending`.
 */
import type { CrmRef, DomainEvent } from '../domain/event.js';
import type { Link } from '../domain/link.js';
import type { CrmTarget, Decision, Facts, FollowUp, OutlookTarget } from '../policy/types.js';
import { isDeleteSyncError } from '../errors.js';
import { cancelOp, deleteOp, iCalUIdFromGlobalObjectId, type OutlookItemRef } from '../graph/items.js';
import type { ItemOp, OpOutcome } from '../graph/batch.js';
import { contactFromCrm } from './contact-restore.js';
import type { TargetOutcome } from './outcome.js';
import type { ExecutorDeps, TombstoneTarget } from './ports.js';

export interface Executor {
  execute(decision: Decision, facts: Facts, event: DomainEvent): Promise<TargetOutcome[]>;
  /** Recreates the contact in the mailboxes of owners waiting for its comeback, and links the new copies. */
  restoreContact(ref: CrmRef): Promise<TargetOutcome[]>;
}

interface ResolvedItem {
  target: OutlookTarget;
  ref: OutlookItemRef;
  link: Link | null;
}

const DEFAULT_CANCEL_COMMENT = 'This meeting was deleted in Dynamics 365.';

function outlookOutcome(
  target: OutlookTarget,
  ref: Partial<OutlookItemRef>,
  status: TargetOutcome['status'],
  detail: string,
  attempts = 0,
): TargetOutcome {
  return {
    side: 'outlook',
    action: target.method,
    status,
    detail,
    userId: ref.userId ?? target.userId,
    itemKind: target.itemKind,
    itemId: ref.itemId ?? target.itemId,
    crm: null,
    attempts,
  };
}

function crmOutcome(target: CrmTarget, status: TargetOutcome['status'], detail: string, attempts = 0): TargetOutcome {
  return { side: 'crm', action: 'delete', status, detail, userId: target.actAs.userId, itemKind: null, itemId: null, crm: target.ref, attempts };
}

function describe(error: unknown): string {
  return isDeleteSyncError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
}

/** Errors worth another try later (throttling, upstream or storage trouble, no answer). */
function isTransient(error: unknown): boolean {
  if (isDeleteSyncError(error)) return ['DS_ERR_THROTTLED', 'DS_ERR_UPSTREAM', 'DS_ERR_STORAGE_UNAVAILABLE'].includes(error.code);
  const status = (error as { statusCode?: number }).statusCode;
  return status === undefined || status < 0 || status === 429 || status >= 500;
}

const sameUser = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

const itemTombstone = (ref: OutlookItemRef): TombstoneTarget => ({ side: 'outlook', userId: ref.userId, itemId: ref.itemId });
const itemKey = (ref: OutlookItemRef) => `${ref.userId.toLowerCase()}/${ref.itemId}`;

export function createExecutor(deps: ExecutorDeps): Executor {
  const { tombstones, links, outlook, crm, clock } = deps;

  async function resolve(target: OutlookTarget, facts: Facts): Promise<ResolvedItem | TargetOutcome> {
    try {
      const userId = target.userId ?? (target.crmUserId ? await deps.mailboxes.entraIdOf(target.crmUserId) : null);
      if (!userId) return outlookOutcome(target, {}, 'skipped', `no mailbox known for CRM user ${target.crmUserId ?? '(none)'}`);
      const candidates = facts.links.filter(
        (l) => sameUser(l.userId, userId) && l.itemKind === target.itemKind && (target.itemId === null || l.itemId === target.itemId),
      );
      if (candidates.length > 1) return outlookOutcome(target, { userId }, 'skipped', `ambiguous: ${candidates.length} linked items in the mailbox`);
      const link = candidates[0] ?? null;
      const itemId = target.itemId ?? link?.itemId ?? null;
      if (itemId) return { target, link, ref: { userId, itemKind: target.itemKind, itemId, listId: link?.listId ?? null } };

      const globalObjectId = facts.record?.globalObjectId;
      if (target.itemKind !== 'event' || !globalObjectId) {
        return outlookOutcome(target, { userId }, 'skipped', 'no link to the item and no iCalUId to find it by');
      }
      const found = await outlook.findEventsByICalUId(userId, iCalUIdFromGlobalObjectId(globalObjectId));
      if (found.length === 0) return outlookOutcome(target, { userId }, 'not-found', 'no event with this iCalUId in the mailbox');
      if (found.length > 1) return outlookOutcome(target, { userId }, 'skipped', `ambiguous: ${found.length} events share the iCalUId`);
      return { target, link: null, ref: { userId, itemKind: 'event', itemId: (found[0] as { id: string }).id, listId: null } };
    } catch (error) {
      return outlookOutcome(target, {}, isTransient(error) ? 'pending' : 'failed', `could not resolve the item: ${describe(error)}`);
    }
  }

  function toOp(item: ResolvedItem, key: string): ItemOp {
    return item.target.method === 'cancel' ? cancelOp(key, item.ref, deps.cancelComment ?? DEFAULT_CANCEL_COMMENT) : deleteOp(key, item.ref);
  }

  function fromOp(item: ResolvedItem, result: OpOutcome): TargetOutcome {
    const status =
      result.status === 'done' ? (item.target.method === 'cancel' ? 'canceled' : 'deleted') : result.status === 'already-gone' ? 'already-gone' : result.status;
    return outlookOutcome(item.target, item.ref, status, result.detail, result.attempts);
  }

  /** Tombstones, then one fan-out for the group; tombstones of deletes that did not happen are removed. */
  async function runOutlook(items: ResolvedItem[], deadline: number, decisionId: string): Promise<TargetOutcome[]> {
    const outcomes = new Map<ResolvedItem, TargetOutcome>();
    const ready: { item: ResolvedItem; op: ItemOp }[] = [];
    items.forEach((item, index) => {
      try {
        ready.push({ item, op: toOp(item, String(index)) });
      } catch (error) {
        outcomes.set(item, outlookOutcome(item.target, item.ref, 'skipped', describe(error)));
      }
    });
    const written = await Promise.allSettled(ready.map(({ item }) => tombstones.write(itemTombstone(item.ref), decisionId)));
    const send = ready.filter((entry, i) => {
      const result = written[i];
      if (result?.status === 'fulfilled') return true;
      outcomes.set(entry.item, outlookOutcome(entry.item.target, entry.item.ref, 'pending', `tombstone not written: ${describe(result?.reason)}`));
      return false;
    });
    const results = send.length > 0 ? await outlook.fanOut(send.map((s) => s.op), deadline) : [];
    await Promise.all(
      send.map(async ({ item }, i) => {
        const outcome = fromOp(item, results[i] as OpOutcome);
        outcomes.set(item, outcome);
        // A failed delete leaves the item in place: its tombstone must not hide a later genuine delete.
        if (outcome.status === 'failed') await tombstones.remove(itemTombstone(item.ref));
      }),
    );
    return items.map((item) => outcomes.get(item) as TargetOutcome);
  }

  async function runCrm(target: CrmTarget, deadline: number, decisionId: string): Promise<TargetOutcome> {
    const tombstone: TombstoneTarget = { side: 'crm', entity: target.ref.entity, id: target.ref.id };
    try {
      await tombstones.write(tombstone, decisionId);
    } catch (error) {
      return crmOutcome(target, 'pending', `tombstone not written: ${describe(error)}`);
    }
    try {
      const result = await crm.deleteAs(target.ref, target.actAs.userId, deadline);
      if (result.status === 'deleted') return crmOutcome(target, 'deleted', `deleted as ${target.actAs.userId}`, 1);
      if (result.status === 'already-gone') return crmOutcome(target, 'already-gone', 'HTTP 404', 1);
      await tombstones.remove(tombstone);
      return crmOutcome(target, 'skipped', `no Delete privilege (${result.code})`, 1);
    } catch (error) {
      const transient = isTransient(error);
      if (!transient) await tombstones.remove(tombstone);
      return crmOutcome(target, transient ? 'pending' : 'failed', describe(error), 1);
    }
  }

  async function remember(followUp: FollowUp): Promise<TargetOutcome> {
    const base = { side: 'outlook', action: 'remember', userId: followUp.userId, itemKind: 'contact', itemId: null, crm: followUp.crmRef, attempts: 0 } as const;
    if (deps.dryRun) return { ...base, status: 'planned', detail: 'would remember to restore the contact on its next CRM change' };
    try {
      await deps.followUps.remember(followUp);
      return { ...base, status: 'remembered', detail: 'restored to the owner on the next CRM change of the contact' };
    } catch (error) {
      return { ...base, status: 'pending', detail: `could not remember the comeback: ${describe(error)}` };
    }
  }

  async function restoreContact(ref: CrmRef): Promise<TargetOutcome[]> {
    const waiting = await deps.followUps.list(ref);
    if (waiting.length === 0) return [];
    const base = (f: FollowUp) => ({ side: 'outlook', action: 'restore', userId: f.userId, itemKind: 'contact', crm: ref, attempts: 0 }) as const;
    if (deps.dryRun) return waiting.map((f) => ({ ...base(f), status: 'planned', itemId: null, detail: 'would recreate the contact in the owner mailbox' }));
    const row = await crm.getContact(ref.id);
    if (!row) {
      await Promise.all(waiting.map((f) => deps.followUps.forget(f)));
      return waiting.map((f) => ({ ...base(f), status: 'skipped', itemId: null, detail: 'the CRM contact no longer exists' }));
    }
    const contact = contactFromCrm(row);
    return Promise.all(
      waiting.map(async (f): Promise<TargetOutcome> => {
        try {
          const { id } = await outlook.createContact(f.userId, contact);
          await links.put({
            crm: ref,
            userId: f.userId,
            crmUserId: null,
            itemKind: 'contact',
            itemId: id,
            role: 'owner',
            listId: null,
            source: 'created-by-sync',
            updatedAt: new Date(clock.now()).toISOString(),
          });
          await deps.followUps.forget(f);
          return { ...base(f), status: 'restored', itemId: id, detail: 'recreated in the owner mailbox and linked' };
        } catch (error) {
          return { ...base(f), status: isTransient(error) ? 'pending' : 'failed', itemId: null, detail: describe(error) };
        }
      }),
    );
  }

  async function execute(decision: Decision, facts: Facts, event: DomainEvent): Promise<TargetOutcome[]> {
    const deadline = clock.now() + deps.budgetMs;
    const outcomes: TargetOutcome[] = [];
    for (const followUp of decision.followUps) outcomes.push(await remember(followUp));
    if (event.origin === 'crm' && event.change === 'updated' && event.entity === 'contact' && event.crm) {
      outcomes.push(...(await restoreContact(event.crm.ref)));
    }
    if (decision.action !== 'propagate') return outcomes;

    const resolved: ResolvedItem[] = [];
    const seen = new Set<string>();
    for (const target of decision.targets) {
      if (target.side !== 'outlook') continue;
      const result = await resolve(target, facts);
      if ('side' in result) outcomes.push(result);
      else if (seen.has(itemKey(result.ref))) outcomes.push(outlookOutcome(target, result.ref, 'skipped', 'same item as another target'));
      else {
        seen.add(itemKey(result.ref));
        resolved.push(result);
      }
    }
    const crmTargets = decision.targets.filter((t): t is CrmTarget => t.side === 'crm');

    if (deps.dryRun) {
      outcomes.push(...resolved.map((r) => outlookOutcome(r.target, r.ref, 'planned', `would ${r.target.method} (dry run)`)));
      outcomes.push(...crmTargets.map((t) => crmOutcome(t, 'planned', `would delete as ${t.actAs.userId} (dry run)`)));
      return outcomes;
    }

    // The organizer's copy first: deleting or cancelling it is what tells attendees.
    const first = resolved.filter((r) => r.target.role === 'organizer' && r.ref.itemKind === 'event');
    const rest = resolved.filter((r) => !first.includes(r));
    const outlookOutcomes = [...(first.length > 0 ? await runOutlook(first, deadline, event.id) : []), ...(rest.length > 0 ? await runOutlook(rest, deadline, event.id) : [])];
    outcomes.push(...outlookOutcomes);
    for (const target of crmTargets) outcomes.push(await runCrm(target, deadline, event.id));

    await updateLinks([...first, ...rest], outlookOutcomes, facts, event);
    return outcomes;
  }

  /** Drops the links of items that are gone: those removed now, and the Outlook item whose delete this event reports. */
  async function updateLinks(items: ResolvedItem[], outcomes: TargetOutcome[], facts: Facts, event: DomainEvent): Promise<void> {
    const gone = new Set<Link>();
    items.forEach((item, i) => {
      const status = outcomes[i]?.status;
      if (item.link && (status === 'deleted' || status === 'canceled' || status === 'already-gone')) gone.add(item.link);
    });
    const source = event.origin === 'outlook' && event.change === 'deleted' ? event.outlook : undefined;
    if (source) {
      for (const l of facts.links) if (sameUser(l.userId, source.userId) && l.itemId === source.itemId) gone.add(l);
    }
    await Promise.all([...gone].map((l) => links.remove(l)));
  }

  return { execute, restoreContact };
}
