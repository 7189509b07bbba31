/**
 * The decision explorer's JSON APIs, beside GET /api/decisions and under the same authorization
 * (explorer-auth.ts): search, one decision with its record's other decisions, held deletes with release
 * and discard, the poison queue with requeue, and the subscriptions per mailbox. Records hold ids only;
 * nothing here returns a body, a secret or a clientState.
 */
import { z } from 'zod';
import type { HeldDelete } from '../brake/held.js';
import { discardHeld, releaseHeld, type OperatorResult } from '../brake/operator.js';
import { parseJsonBody, parseOrThrow } from '../contracts/validate.js';
import { DeleteSyncError } from '../errors.js';
import { subscriptionRows, type SubscriptionRow } from '../graph/subscriptions.js';
import { RULE_IDS, ruleById, type Rule, type RuleId } from '../policy/table.js';
import type { DecisionRecord } from '../store/decisions.js';
import { itemKey, QueueMessage, type ItemMessage } from '../store/messages.js';
import type { HandlerDeps } from './deps.js';
import { authorizeOperator, type Operator } from './explorer-auth.js';
import { outcomesOf, searchQuery } from './explorer-search.js';
import { assertBodySize, assertJsonContent, errorResponse, jsonResponse, type Handler, type HandlerRequest } from './http.js';

/** How many of a record's other decisions one decision page lists. */
const RELATED_LIMIT = 20;
/** Poison messages listed at once (one peek). */
const POISON_LIMIT = 32;

type Act = (request: HandlerRequest, operator: Operator) => Promise<unknown>;

function explorerHandler(deps: HandlerDeps, name: string, act: Act): Handler {
  const log = deps.log.child({ handler: `explorer-${name}` });
  return async (request) => {
    try {
      const operator = authorizeOperator(request, deps.config);
      return jsonResponse(200, await act(request, operator));
    } catch (error) {
      return errorResponse(error, log);
    }
  };
}

function ruleOf(id: string): Rule | null {
  return (RULE_IDS as readonly string[]).includes(id) ? ruleById(id as RuleId) : null;
}

/** A record as the explorer shows it: the record plus its outcome words and the table row it names. */
function view(record: DecisionRecord) {
  const rule = ruleOf(record.ruleId);
  return { ...record, outcomeWords: outcomesOf(record), rule: rule === null ? null : { record: rule.record, sentence: rule.reason, deletedIn: rule.deletedIn } };
}

export type DecisionView = ReturnType<typeof view>;
export interface SessionResponse { operator: Operator; easyAuth: boolean }
export interface SearchResponse { decisions: DecisionView[]; cursor: string | null }
export interface HeldSummary { heldAt: string; limit: HeldDelete['limit']; initiator: string; targetCount: number }
export interface DecisionResponse { decision: DecisionView; held: HeldSummary | null; related: DecisionView[] }
export interface HeldResponse { held: Omit<HeldDelete, 'event'>[] }
export interface HeldActionResponse { results: OperatorResult[] }
export interface PoisonedInput {
  eventId: string;
  recordKey: string | null;
  status: DecisionRecord['status'] | null;
  reason: string | null;
}
export interface PoisonEntry {
  messageId: string;
  insertedOn: string | null;
  /** change, lifecycle, batch (several inputs), claim (one input in the claims table) or unreadable. */
  kind: string;
  inputs: PoisonedInput[];
}
export interface PoisonResponse { messages: PoisonEntry[] }
export interface RequeueResponse { requeued: true; eventIds: string[] }
export interface SubscriptionsResponse { subscriptions: SubscriptionRow[] }

function required(request: HandlerRequest, name: string): string {
  const value = request.query[name]?.trim();
  if (value === undefined || value === '') throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `${name} is required`, { field: name });
  return value;
}

function jsonBody<S extends z.ZodType>(request: HandlerRequest, deps: HandlerDeps, schema: S, what: string): z.output<S> {
  assertBodySize(request, deps.config.maxBodyBytes);
  assertJsonContent(request);
  return parseOrThrow(schema, parseJsonBody(request.rawBody), { what });
}

function operatorDeps(deps: HandlerDeps) {
  if (deps.operator === undefined) throw new DeleteSyncError('DS_ERR_CONFIG', 'The mass-delete brake is not configured');
  return deps.operator;
}

/** GET /api/explorer/session — who the caller is signed in as (the page asks for the key on 401). */
export const createExplorerSessionHandler = (deps: HandlerDeps) =>
  explorerHandler(deps, 'session', async (_request, operator): Promise<SessionResponse> => ({ operator, easyAuth: deps.config.explorer.easyAuth }));

/** GET /api/explorer/decisions?record=&mailbox=&rule=&outcome=&from=&to=&cursor=&limit= */
export const createExplorerSearchHandler = (deps: HandlerDeps) =>
  explorerHandler(deps, 'search', async (request): Promise<SearchResponse> => {
    const page = await deps.store.decisions.query(await searchQuery(request.query, deps.resolveMailbox));
    return { decisions: page.decisions.map(view), cursor: page.cursor };
  });

/** GET /api/explorer/decision?id= — one decision, its held entry, and the record's other decisions. */
export const createExplorerDecisionHandler = (deps: HandlerDeps) =>
  explorerHandler(deps, 'decision', async (request): Promise<DecisionResponse> => {
    const record = await deps.store.decisions.getByEvent(required(request, 'id'));
    if (record === null) throw new DeleteSyncError('DS_ERR_NOT_FOUND', 'No decision has that id');
    const held = record.status === 'held' ? await deps.operator?.brake.held.get(record.id) : null;
    const related = await deps.store.decisions.listByRecord(record.recordKey, RELATED_LIMIT + 1);
    return {
      decision: view(record),
      held: held ? { heldAt: held.heldAt, limit: held.limit, initiator: held.initiator, targetCount: held.targetCount } : null,
      related: related.filter((r) => r.id !== record.id).slice(0, RELATED_LIMIT).map(view),
    };
  });

/** GET /api/explorer/held — the deletes the brake holds, oldest first, with how many deletes each would make. */
export const createExplorerHeldHandler = (deps: HandlerDeps) =>
  explorerHandler(deps, 'held', async (): Promise<HeldResponse> => ({
    held: (await operatorDeps(deps).brake.held.list()).map(({ event: _event, ...summary }) => summary),
  }));

export const HeldAction = z.strictObject({
  action: z.enum(['release', 'discard']),
  eventIds: z.array(z.string().min(1)).min(1).max(100),
  /**
   * The deletes the operator confirmed (the sum of the held entries' target counts as shown): a release
   * performs exactly what was confirmed, or nothing.
   */
  confirmedDeletes: z.number().int().nonnegative(),
});

/** POST /api/explorer/held {action, eventIds, confirmedDeletes} — release or discard, after confirmation. */
export const createExplorerHeldActionHandler = (deps: HandlerDeps) =>
  explorerHandler(deps, 'held-action', async (request, operator): Promise<HeldActionResponse> => {
    const input = jsonBody(request, deps, HeldAction, 'held action');
    const ops = operatorDeps(deps);
    const entries = await Promise.all(input.eventIds.map((id) => ops.brake.held.get(id)));
    const missing = input.eventIds.filter((_, i) => entries[i] === null);
    if (missing.length > 0) throw new DeleteSyncError('DS_ERR_NOT_FOUND', `Not held (any more): ${missing.join(', ')}`, { field: 'eventIds' });
    const deletes = entries.reduce((sum, e) => sum + (e?.targetCount ?? 0), 0);
    if (input.action === 'release' && deletes !== input.confirmedDeletes) {
      throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `The release would make ${deletes} deletes, not the ${input.confirmedDeletes} confirmed`, {
        field: 'confirmedDeletes',
      });
    }
    const act = input.action === 'release' ? releaseHeld : discardHeld;
    const results = await act({ ids: input.eventIds }, ops);
    deps.log.warn(`held deletes ${input.action === 'release' ? 'released' : 'discarded'} in the explorer`, {
      eventIds: input.eventIds,
      deletes,
      via: operator.via,
    });
    return { results };
  });

/** The inputs a poison message holds, by the queue-message contract (a claim check read from its table); only ids are used. */
async function poisonedInputs(text: string, deps: HandlerDeps): Promise<{ kind: string; items: ItemMessage[] }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'unreadable', items: [] };
  }
  const parsed = QueueMessage.safeParse(value);
  if (!parsed.success) return { kind: 'unreadable', items: [] };
  const message = parsed.data;
  if (message.kind === 'batch') return { kind: 'batch', items: message.items };
  if (message.kind !== 'claim') return { kind: message.kind, items: [message] };
  const claimed = await deps.store.claims.get(message.claimId);
  return { kind: 'claim', items: claimed === null ? [] : [claimed] };
}

/** GET /api/explorer/poison — poison messages, each input with the reason its poisoned decision record gives. */
export const createExplorerPoisonHandler = (deps: HandlerDeps) =>
  explorerHandler(deps, 'poison', async (): Promise<PoisonResponse> => {
    const messages = await deps.store.queue.peekPoisoned(POISON_LIMIT);
    return {
      messages: await Promise.all(
        messages.map(async (m) => {
          const { kind, items } = await poisonedInputs(m.text, deps);
          const inputs = await Promise.all(
            items.map(async (item) => {
              const eventId = itemKey(item);
              const record = await deps.store.decisions.getByEvent(eventId);
              return { eventId, recordKey: record?.recordKey ?? null, status: record?.status ?? null, reason: record?.reason ?? null };
            }),
          );
          return { messageId: m.messageId, insertedOn: m.insertedOn, kind, inputs };
        }),
      ),
    };
  });

export const RequeueInput = z.strictObject({ messageId: z.string().min(1).max(200) });

/**
 * POST /api/explorer/poison/requeue {messageId} — back to the changes queue. Each poisoned input's marker
 * is forgotten first, so it is decided again from the facts of now (and counted by the brake) instead of
 * being answered from its poisoned record; its history rows stay. (Poisoning already gave up the inputs'
 * dedupe keys, so the new message can take them.)
 */
export const createExplorerRequeueHandler = (deps: HandlerDeps) =>
  explorerHandler(deps, 'requeue', async (request, operator): Promise<RequeueResponse> => {
    const { messageId } = jsonBody(request, deps, RequeueInput, 'requeue');
    const message = (await deps.store.queue.peekPoisoned(POISON_LIMIT)).find((m) => m.messageId === messageId);
    if (message === undefined) throw new DeleteSyncError('DS_ERR_NOT_FOUND', 'No poison message with that id is visible');
    const eventIds = (await poisonedInputs(message.text, deps)).items.map(itemKey);
    for (const id of eventIds) if ((await deps.store.decisions.getByEvent(id))?.status === 'poisoned') await deps.store.decisions.forgetEvent(id);
    const requeued = await deps.store.queue.requeuePoisoned(messageId);
    if (!requeued) throw new DeleteSyncError('DS_ERR_NOT_FOUND', 'The poison message was taken by someone else');
    deps.log.warn('poison message requeued in the explorer', { messageId, eventIds, via: operator.via });
    return { requeued: true, eventIds };
  });

/** GET /api/explorer/subscriptions — each mailbox's subscriptions with expiry and health. */
export const createExplorerSubscriptionsHandler = (deps: HandlerDeps) =>
  explorerHandler(deps, 'subscriptions', async (): Promise<SubscriptionsResponse> => ({ subscriptions: await subscriptionRows(deps.store, deps.now()) }));
