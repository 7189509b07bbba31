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
import { graphStatus } from '../graph/errors.js';
import { cancelOp, deleteOp, iCalUIdFromGlobalObjectId, type OutlookItemRef } from '../graph/items.js';
import type { ItemOp, OpOutcome } from '../graph/batch.js';
import { DataverseError } from '../dataverse/client.js';
import { isOperatorRefusal, REFUSAL_DETAIL } from '../dataverse/refusals.js';
import { mapLimit } from '../net/map-limit.js';
import { isTransientStatus } from '../net/retry.js';
import { recordFanOut } from '../telemetry/index.js';
import { sameRef } from '../policy/record-state.js';
import { contactFromCrm } from './contact-restore.js';
import type { TargetOutcome } from './outcome.js';
import type { ExecutorDeps, TombstoneTarget } from './ports.js';
import { endSeriesPlan, findOccurrence, seriesLink } from './series.js';

export interface Executor {
  execute(decision: Decision, facts: Facts, event: DomainEvent): Promise<TargetOutcome[]>;
  /** Recreates the contact in the mailboxes of owners waiting for its comeback, and links the new copies. */
  restoreContact(ref: CrmRef): Promise<TargetOutcome[]>;
}

interface ResolvedItem {
  index: number;
  target: OutlookTarget;
  ref: OutlookItemRef;
  link: Link | null;
}

/** Mailbox lookups in flight at once while resolving targets. */
const RESOLVE_CONCURRENCY = 16;

const DEFAULT_CANCEL_COMMENT = 'This meeting was deleted in Dynamics 365.';

interface Settled {
  status: TargetOutcome['status'];
  detail: string;
  attempts?: number;
  httpStatus?: number | null;
  code?: string | null;
}

function describe(error: unknown): string {
  return isDeleteSyncError(error) ? `${error.code}: ${error.message}` : (error as Error).message;
}

/** Errors worth another try later (throttling, upstream or storage trouble, no answer). */
function isTransient(error: unknown): boolean {
  if (isDeleteSyncError(error)) return ['DS_ERR_THROTTLED', 'DS_ERR_UPSTREAM', 'DS_ERR_STORAGE_UNAVAILABLE'].includes(error.code);
  const status = graphStatus(error);
  return status === null || isTransientStatus(status);
}

function failure(error: unknown, prefix = ''): Settled {
  return {
    status: isTransient(error) ? 'pending' : 'failed',
    detail: `${prefix}${describe(error)}`,
    httpStatus: error instanceof DataverseError ? error.httpStatus : graphStatus(error),
    code: error instanceof DataverseError ? error.dataverseCode : null,
  };
}

/** Follow-up work first, then one outcome per target in the decision's order. */
const inTargetOrder = (outcomes: TargetOutcome[]) => [...outcomes].sort((a, b) => (a.targetIndex ?? -1) - (b.targetIndex ?? -1));

const sameUser = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

const itemTombstone = (ref: OutlookItemRef): TombstoneTarget => ({ side: 'outlook', userId: ref.userId, itemId: ref.itemId });
const itemKey = (ref: OutlookItemRef) => `${ref.userId.toLowerCase()}/${ref.itemId}`;

export function createExecutor(deps: ExecutorDeps): Executor {
  const { tombstones, links, outlook, crm, clock } = deps;
  const at = () => new Date(clock.now()).toISOString();

  function outlookOutcome(index: number, target: OutlookTarget, ref: Partial<OutlookItemRef>, settled: Settled): TargetOutcome {
    return {
      targetIndex: index,
      side: 'outlook',
      action: target.method,
      status: settled.status,
      detail: settled.detail,
      userId: ref.userId ?? target.userId,
      itemKind: target.itemKind,
      itemId: ref.itemId ?? target.itemId,
      crm: null,
      attempts: settled.attempts ?? 0,
      httpStatus: settled.httpStatus ?? null,
      code: settled.code ?? null,
      at: at(),
    };
  }

  function crmOutcome(index: number, target: CrmTarget, settled: Settled): TargetOutcome {
    return {
      targetIndex: index,
      side: 'crm',
      action: 'delete',
      status: settled.status,
      detail: settled.detail,
      userId: target.actAs.userId,
      itemKind: null,
      itemId: null,
      crm: target.ref,
      attempts: settled.attempts ?? 0,
      httpStatus: settled.httpStatus ?? null,
      code: settled.code ?? null,
      at: at(),
    };
  }

  /** Follow-up work (contact comeback): not a decision target. */
  function contactWork(action: 'remember' | 'restore', followUp: FollowUp, settled: Settled & { itemId?: string | null }): TargetOutcome {
    return {
      targetIndex: null,
      side: 'outlook',
      action,
      status: settled.status,
      detail: settled.detail,
      userId: followUp.userId,
      itemKind: 'contact',
      itemId: settled.itemId ?? null,
      crm: followUp.crmRef,
      attempts: settled.attempts ?? 0,
      httpStatus: settled.httpStatus ?? null,
      code: settled.code ?? null,
      at: at(),
    };
  }

  /**
   * One occurrence of a series: its own link, else the mailbox's series link and the original start
   * through `/instances`. Never by iCalUId: an instance's globalobjectid may name the whole series.
   */
  async function resolveOccurrence(index: number, target: OutlookTarget, facts: Facts, userId: string): Promise<ResolvedItem | TargetOutcome> {
    const occurrence = target.occurrence!;
    const skip = (status: TargetOutcome['status'], detail: string) => outlookOutcome(index, target, { userId }, { status, detail });
    const record = facts.crmRef;
    const own = facts.links.filter(
      (l) => sameUser(l.userId, userId) && l.itemKind === 'event' && record !== null && sameRef(l.crm, record) && (target.itemId === null || l.itemId === target.itemId),
    );
    if (own.length > 1) return skip('skipped', `ambiguous: ${own.length} items in the mailbox are linked to this occurrence`);
    const link = own[0] ?? null;
    const itemId = target.itemId ?? link?.itemId ?? null;
    if (itemId) {
      // A link can be wrong (an instance matched by the series' iCalUId): only an occurrence or exception is ever acted on.
      const linked = await outlook.getSeriesEvent(userId, itemId);
      if (linked === null) return skip('already-gone', 'HTTP 404: the linked occurrence is gone');
      if (linked.type !== 'occurrence' && linked.type !== 'exception') return skip('skipped', `the linked item is a ${linked.type ?? 'event'}, not an occurrence; the series is not touched`);
      return { index, target, link, ref: { userId, itemKind: 'event', itemId, listId: null } };
    }
    const series = seriesLink(facts.links, userId, occurrence);
    if (series === null) return skip('skipped', 'no link to the occurrence or to exactly one copy of its series in the mailbox');
    const found = await findOccurrence(outlook, userId, series.itemId, occurrence.originalStart);
    if (found === null) return skip('not-found', `no occurrence with original start ${occurrence.originalStart} in the series`);
    return { index, target, link: null, ref: { userId, itemKind: 'event', itemId: found.id, listId: null } };
  }

  async function resolve(index: number, target: OutlookTarget, facts: Facts): Promise<ResolvedItem | TargetOutcome> {
    const skip = (ref: Partial<OutlookItemRef>, status: TargetOutcome['status'], detail: string) => outlookOutcome(index, target, ref, { status, detail });
    try {
      const userId = target.userId ?? (target.crmUserId ? await deps.mailboxes.entraIdOf(target.crmUserId) : null);
      if (!userId) return skip({}, 'skipped', `no mailbox known for CRM user ${target.crmUserId ?? '(none)'}`);
      if (target.occurrence) return await resolveOccurrence(index, target, facts, userId);
      const candidates = facts.links.filter(
        (l) => sameUser(l.userId, userId) && l.itemKind === target.itemKind && (target.itemId === null || l.itemId === target.itemId),
      );
      if (candidates.length > 1) return skip({ userId }, 'skipped', `ambiguous: ${candidates.length} linked items in the mailbox`);
      const link = candidates[0] ?? null;
      const itemId = target.itemId ?? link?.itemId ?? null;
      if (itemId) return { index, target, link, ref: { userId, itemKind: target.itemKind, itemId, listId: link?.listId ?? null } };

      const globalObjectId = facts.record?.globalObjectId;
      if (target.itemKind !== 'event' || !globalObjectId) return skip({ userId }, 'skipped', 'no link to the item and no iCalUId to find it by');
      const found = await outlook.findEventsByICalUId(userId, iCalUIdFromGlobalObjectId(globalObjectId));
      if (found.length === 0) return skip({ userId }, 'not-found', 'no event with this iCalUId in the mailbox');
      if (found.length > 1) return skip({ userId }, 'skipped', `ambiguous: ${found.length} events share the iCalUId`);
      return { index, target, link: null, ref: { userId, itemKind: 'event', itemId: (found[0] as { id: string }).id, listId: null } };
    } catch (error) {
      return outlookOutcome(index, target, {}, failure(error, 'could not resolve the item: '));
    }
  }

  function toOp(item: ResolvedItem, key: string): ItemOp {
    return item.target.method === 'cancel' ? cancelOp(key, item.ref, deps.cancelComment ?? DEFAULT_CANCEL_COMMENT) : deleteOp(key, item.ref);
  }

  function fromOp(item: ResolvedItem, result: OpOutcome): TargetOutcome {
    const status = result.status === 'done' ? (item.target.method === 'cancel' ? 'canceled' : 'deleted') : result.status;
    return outlookOutcome(item.index, item.target, item.ref, { status, detail: result.detail, attempts: result.attempts, httpStatus: result.httpStatus, code: result.code });
  }

  /** A group's ops and its tombstones, written in as few storage calls as the store allows; what cannot be sent has its outcome already. */
  interface Prepared {
    items: ResolvedItem[];
    outcomes: Map<ResolvedItem, TargetOutcome>;
    send: { item: ResolvedItem; op: ItemOp }[];
  }

  async function prepare(items: ResolvedItem[], decisionId: string): Promise<Prepared> {
    const outcomes = new Map<ResolvedItem, TargetOutcome>();
    const ready: { item: ResolvedItem; op: ItemOp }[] = [];
    items.forEach((item, n) => {
      try {
        ready.push({ item, op: toOp(item, String(n)) });
      } catch (error) {
        outcomes.set(item, outlookOutcome(item.index, item.target, item.ref, { status: 'skipped', detail: describe(error) }));
      }
    });
    const written = ready.length > 0 ? await tombstones.writeMany(ready.map(({ item }) => itemTombstone(item.ref)), decisionId) : [];
    const send = ready.filter(({ item }, n) => {
      const result = written[n];
      if (result?.status === 'fulfilled') return true;
      outcomes.set(item, outlookOutcome(item.index, item.target, item.ref, { status: 'pending', detail: `tombstone not written: ${describe(result?.reason)}` }));
      return false;
    });
    return { items, outcomes, send };
  }

  /** One fan-out for the prepared group; tombstones of deletes that did not happen are removed. */
  async function runOutlook({ items, outcomes, send }: Prepared, deadline: number): Promise<TargetOutcome[]> {
    const results = send.length > 0 ? await outlook.fanOut(send.map((x) => x.op), deadline) : [];
    await Promise.all(
      send.map(async ({ item }, n) => {
        const outcome = fromOp(item, results[n] as OpOutcome);
        outcomes.set(item, outcome);
        // A failed delete leaves the item in place: its tombstone must not hide a later genuine delete.
        if (outcome.status === 'failed') await tombstones.remove(itemTombstone(item.ref));
      }),
    );
    return items.map((item) => outcomes.get(item) as TargetOutcome);
  }

  /** Ends a series at now (series.ts): PATCH of its range, or the cancel of a series that has not started. */
  async function endSeries(item: ResolvedItem, deadline: number, decisionId: string): Promise<[ResolvedItem, TargetOutcome]> {
    try {
      const plan = await endSeriesPlan(outlook, item.ref.userId, item.ref.itemId, new Date(clock.now()));
      if (plan.action === 'cancel') {
        const cancelling: ResolvedItem = { ...item, target: { ...item.target, method: 'cancel' } };
        const [outcome] = await runOutlook(await prepare([cancelling], decisionId), deadline);
        return [cancelling, { ...(outcome as TargetOutcome), detail: `${plan.detail}; ${(outcome as TargetOutcome).detail}` }];
      }
      if (plan.action === 'none') return [item, outlookOutcome(item.index, item.target, item.ref, { status: plan.status, detail: plan.detail, attempts: 1 })];
      await outlook.patchRecurrence(item.ref.userId, item.ref.itemId, plan.recurrence);
      return [item, outlookOutcome(item.index, item.target, item.ref, { status: 'ended', detail: plan.detail, attempts: 1, httpStatus: 200 })];
    } catch (error) {
      return [item, outlookOutcome(item.index, item.target, item.ref, failure(error, 'could not end the series: '))];
    }
  }

  async function runCrm(index: number, target: CrmTarget, deadline: number, decisionId: string): Promise<TargetOutcome> {
    const tombstone: TombstoneTarget = { side: 'crm', entity: target.ref.entity, id: target.ref.id };
    try {
      await tombstones.write(tombstone, decisionId);
    } catch (error) {
      return crmOutcome(index, target, { status: 'pending', detail: `tombstone not written: ${describe(error)}` });
    }
    try {
      const result = await crm.deleteAs(target.ref, target.actAs.userId, deadline);
      if (result.status === 'deleted') return crmOutcome(index, target, { status: 'deleted', detail: `deleted as ${target.actAs.userId}`, attempts: 1, httpStatus: 204 });
      if (result.status === 'already-gone') return crmOutcome(index, target, { status: 'already-gone', detail: 'HTTP 404', attempts: 1, httpStatus: 404 });
      await tombstones.remove(tombstone);
      // The user's own refusal is a recorded skip; the application user's is the operator's to fix, so it fails (and alerts).
      const status = isOperatorRefusal(result.refusal) ? 'failed' : 'skipped';
      return crmOutcome(index, target, { status, detail: REFUSAL_DETAIL[result.refusal], attempts: 1, httpStatus: 403, code: result.code });
    } catch (error) {
      const settled = failure(error);
      if (settled.status === 'failed') await tombstones.remove(tombstone);
      return crmOutcome(index, target, { ...settled, attempts: 1 });
    }
  }

  async function remember(followUp: FollowUp): Promise<TargetOutcome> {
    if (deps.dryRun) return contactWork('remember', followUp, { status: 'planned', detail: 'would remember to restore the contact on its next CRM change' });
    try {
      await deps.followUps.remember(followUp);
      return contactWork('remember', followUp, { status: 'remembered', detail: 'restored to the owner on the next CRM change of the contact' });
    } catch (error) {
      return contactWork('remember', followUp, failure(error, 'could not remember the comeback: '));
    }
  }

  async function restoreContact(ref: CrmRef): Promise<TargetOutcome[]> {
    const waiting = await deps.followUps.list(ref);
    if (waiting.length === 0) return [];
    if (deps.dryRun) return waiting.map((f) => contactWork('restore', f, { status: 'planned', detail: 'would recreate the contact in the owner mailbox' }));
    const row = await crm.getContact(ref.id);
    if (!row) {
      await Promise.all(waiting.map((f) => deps.followUps.forget(f)));
      return waiting.map((f) => contactWork('restore', f, { status: 'skipped', detail: 'the CRM contact no longer exists' }));
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
            updatedAt: at(),
          });
          await deps.followUps.forget(f);
          return contactWork('restore', f, { status: 'restored', detail: 'recreated in the owner mailbox and linked', itemId: id, attempts: 1, httpStatus: 201 });
        } catch (error) {
          return contactWork('restore', f, failure(error));
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
    const crmTargets: { index: number; target: CrmTarget }[] = [];
    const outlookTargets: { index: number; target: OutlookTarget }[] = [];
    for (const [index, target] of decision.targets.entries()) {
      if (target.side === 'crm') crmTargets.push({ index, target });
      else outlookTargets.push({ index, target });
    }
    // Lookups by iCalUId touch one mailbox each, so they run side by side (a 500-attendee meeting without links).
    const results = await mapLimit(outlookTargets, RESOLVE_CONCURRENCY, ({ index, target }) => resolve(index, target, facts));
    for (const [n, result] of results.entries()) {
      const { index, target } = outlookTargets[n] as { index: number; target: OutlookTarget };
      if ('side' in result) outcomes.push(result);
      else if (seen.has(itemKey(result.ref))) outcomes.push(outlookOutcome(index, target, result.ref, { status: 'skipped', detail: 'same item as another target' }));
      else {
        seen.add(itemKey(result.ref));
        resolved.push(result);
      }
    }

    if (deps.dryRun) {
      outcomes.push(...resolved.map((r) => outlookOutcome(r.index, r.target, r.ref, { status: 'planned', detail: `would ${r.target.method} (dry run)` })));
      outcomes.push(...crmTargets.map(({ index, target }) => crmOutcome(index, target, { status: 'planned', detail: `would delete as ${target.actAs.userId} (dry run)` })));
      return inTargetOrder(outcomes);
    }

    recordFanOut(resolved.length + crmTargets.length, event.entity);
    // A series is ended first (a PATCH, or a cancel when nothing has started); then the organizer's copy: deleting or cancelling it is what tells attendees.
    const ending = resolved.filter((r) => r.target.method === 'end-series');
    const ended = await Promise.all(ending.map((item) => endSeries(item, deadline, event.id)));
    const first = resolved.filter((r) => !ending.includes(r) && r.target.role === 'organizer' && r.ref.itemKind === 'event');
    const rest = resolved.filter((r) => !ending.includes(r) && !first.includes(r));
    // The other copies' tombstones are written while the organizer's request runs, not after it.
    const restPrepared = prepare(rest, event.id);
    // Observed here too, so a failure of the organizer's request cannot leave it an unhandled rejection.
    restPrepared.catch(() => undefined);
    const firstOutcomes = first.length > 0 ? await runOutlook(await prepare(first, event.id), deadline) : [];
    const outlookOutcomes = [...firstOutcomes, ...(rest.length > 0 ? await runOutlook(await restPrepared, deadline) : [])];
    outcomes.push(...ended.map(([, outcome]) => outcome), ...outlookOutcomes);
    for (const { index, target } of crmTargets) outcomes.push(await runCrm(index, target, deadline, event.id));

    await updateLinks([...ended.map(([item]) => item), ...first, ...rest], [...ended.map(([, outcome]) => outcome), ...outlookOutcomes], facts, event);
    return inTargetOrder(outcomes);
  }

  /** Drops the links of items that are gone: those removed now, and the Outlook item whose delete this event reports. */
  async function updateLinks(items: ResolvedItem[], outcomes: TargetOutcome[], facts: Facts, event: DomainEvent): Promise<void> {
    const gone = new Set<Link>();
    items.forEach((item, n) => {
      const status = outcomes[n]?.status;
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
