/**
 * The Graph half of the tenant: mailboxes, groups, subscriptions and notification delivery, the request
 * pipeline every call (direct or inside `$batch`) goes through — per-mailbox limits and injected faults,
 * latency, then the resource handlers — and the in-process actions tests and the demo use to act as
 * people in Outlook (each emits the same change notifications a real user's action would).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxContext } from '../context.js';
import type { VerifiedToken } from '../tokens.js';
import type { Admission } from '../faults.js';
import { GraphApi, type Group } from './routes.js';
import { Mailboxes } from './mailboxes.js';
import { Notifier, type DeliveryRecord, type NotifierSettings } from './notifier.js';
import { renderOccurrence } from './recurrence.js';
import { renderItem } from './render.js';
import { graphError, json, type GraphResponse } from './responses.js';
import type { ContactInput, EventInput, MessageInput, TaskInput } from './schemas.js';
import { ItemStore, type Folder, type Item, type ItemKind } from './store.js';
import { Subscriptions, type Subscription } from './subscriptions.js';
import { runBatch, type SubRequest } from './batch.js';

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface GraphOptions {
  /** Accept only https notification URLs, as Graph does (default: loopback http is accepted too). */
  requireHttpsNotificationUrl?: boolean;
  /** Graph allows 10 s for the validation answer. */
  validationTimeoutMs?: number;
  /** CA certificates to trust when posting to https notification URLs (the sandbox's own is always trusted). */
  notificationCa?: string[];
  /** Seeds the duplicate/reorder randomness of notification delivery. */
  notificationSeed?: number;
  /** Mailbox requests of one `$batch` run at most this many at a time (Graph: 4); null turns the model off. */
  outlookBatchConcurrency?: number | null;
  /** Graph application roles granted to the sandbox's app (default: every role the sandbox knows). */
  graphRoles?: string[];
}

/** A whole-`$batch` answer (undocumented: Graph documents per-item 429/424 only); injected by tests. */
export interface BatchFault {
  status: 429 | 424 | 503;
  retryAfterSeconds?: number;
}

/** One call the Graph endpoint answered (a `$batch` item is its own call), for recording hooks. */
export interface GraphExchange {
  request: SubRequest;
  response: GraphResponse | 'drop';
}

export class TenantGraph {
  readonly store: ItemStore;
  readonly mailboxes: Mailboxes;
  readonly subscriptions: Subscriptions;
  readonly notifier: Notifier;
  readonly groups = new Map<string, Group>();
  readonly api: GraphApi;
  baseUrl = '';
  /** Mailbox requests of one `$batch` at a time; changeable while running. */
  outlookBatchConcurrency: number | null;
  private readonly batchFaults: { fault: BatchFault; remaining: number }[] = [];
  private readonly recorders = new Set<(exchange: GraphExchange) => void>();

  constructor(private readonly ctx: SandboxContext, options: GraphOptions = {}) {
    this.outlookBatchConcurrency = options.outlookBatchConcurrency === undefined ? 4 : options.outlookBatchConcurrency;
    this.store = new ItemStore(ctx.clock);
    this.mailboxes = new Mailboxes(this.store, ctx.directory, ctx.log, ctx.clock);
    this.subscriptions = new Subscriptions(this.mailboxes, ctx.clock, {
      requireHttps: options.requireHttpsNotificationUrl ?? false,
      validationTimeoutMs: options.validationTimeoutMs ?? 10_000,
    });
    this.notifier = new Notifier([ctx.cert.cert, ...(options.notificationCa ?? [])], ctx.clock, options.notificationSeed);
    this.api = new GraphApi({
      directory: ctx.directory,
      mailboxes: this.mailboxes,
      subscriptions: this.subscriptions,
      notifier: this.notifier,
      groups: this.groups,
      baseUrl: () => `${this.baseUrl}/v1.0`,
    });
    this.store.onChange((change) => {
      for (const sub of this.subscriptions.matching(change)) {
        const item = this.subscriptions.notificationItem(sub, change, ctx.tokens.tenantId);
        const notification = { subscriptionId: sub.id, event: change.changeType, resource: item.resource as string, url: sub.notificationUrl, payload: { value: [item] }, lifecycle: false };
        if (sub.needsReauthorization) this.notifier.lose(notification, 'reauthorization required');
        else this.notifier.send(notification);
      }
    });
  }

  /** The next `times` `$batch` requests are answered `fault` as a whole (undocumented behaviour, modelled so the client copes). */
  failBatches(fault: BatchFault, times = 1): void {
    this.batchFaults.push({ fault, remaining: times });
  }

  /** Calls `listener` with every call answered from now on; returns the function that stops it. */
  record(listener: (exchange: GraphExchange) => void): () => void {
    this.recorders.add(listener);
    return () => this.recorders.delete(listener);
  }

  /**
   * One API call (direct or a `$batch` item): limits and faults for its mailbox, latency, then the
   * handler. A `$batch` as a whole can meet injected faults too; its items each meet their mailbox's.
   */
  async execute(request: SubRequest, caller: VerifiedToken): Promise<GraphResponse | 'drop'> {
    const response = await this.answer(request, caller);
    for (const listener of this.recorders) listener({ request, response });
    return response;
  }

  private async answer(request: SubRequest, caller: VerifiedToken): Promise<GraphResponse | 'drop'> {
    const isBatch = request.method === 'POST' && /^\/\$batch\/?$/i.test(request.path);
    const admission = this.ctx.faults.admit('graph', isBatch ? undefined : this.api.mailboxKey(request.path));
    if (admission.outcome !== 'proceed') return refusal(admission);
    try {
      if (admission.delayMs > 0) await sleep(admission.delayMs);
      if (!isBatch) return await this.api.dispatch({ ...request, caller: caller.client, roles: caller.roles });
      const whole = this.takeBatchFault();
      if (whole) return batchRefusal(whole);
      return await runBatch(
        request.body,
        async (sub) => {
          const answer = await this.execute(sub, caller);
          // A batch item cannot lose its connection on its own; the batch answer still arrives.
          return answer === 'drop' ? graphError(503, 'ServiceUnavailable', 'The service is temporarily unavailable.') : answer;
        },
        { outlookConcurrency: this.outlookBatchConcurrency, isOutlook: (url) => this.api.mailboxKey(url.replace(/^\/?(v1\.0\/)?/i, '/')) !== undefined },
      );
    } finally {
      admission.release();
    }
  }

  private takeBatchFault(): BatchFault | undefined {
    const next = this.batchFaults[0];
    if (!next) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) this.batchFaults.shift();
    return next.fault;
  }

  // --- People acting in Outlook (in-process; each emits notifications like the real action) ---

  createEvent(userId: string, input: EventInput): Record<string, unknown> {
    return renderItem(this.mailboxes.createEvent(userId, input));
  }

  /** A contact in the default Contacts folder, or in `folderId` (one made with createContactFolder). */
  createContact(userId: string, input: ContactInput, folderId?: string): Record<string, unknown> {
    return renderItem(this.mailboxes.createContact(userId, input, folderId));
  }

  createContactFolder(userId: string, displayName: string): Folder {
    return this.mailboxes.createContactFolder(userId, displayName);
  }

  /** A message lands in one folder (`inbox` by default). */
  createMessage(userId: string, input: MessageInput, folder = 'inbox'): Record<string, unknown> {
    return renderItem(this.mailboxes.createMessage(userId, input, folder));
  }

  /** The user sends mail: Sent Items copy plus Inbox copies for internal recipients. */
  sendMail(fromUserId: string, input: MessageInput): { sent: Record<string, unknown>; delivered: Record<string, unknown>[] } {
    const { sent, delivered } = this.mailboxes.sendMail(fromUserId, input);
    return { sent: renderItem(sent), delivered: delivered.map((i) => renderItem(i)) };
  }

  /** A To Do task in the given list (default: the user's "Tasks" list). */
  createTask(userId: string, input: TaskInput, listId?: string): Record<string, unknown> {
    return renderItem(this.mailboxes.createTask(userId, input, listId));
  }

  createTodoList(userId: string, displayName: string): Folder {
    return this.mailboxes.createTodoList(userId, displayName);
  }

  defaultTodoList(userId: string): Folder {
    return this.requireBox(userId).todoLists[0] as Folder;
  }

  /** The user edits an item (an organizer's meeting change reaches attendees' copies). */
  userUpdatesItem(userId: string, kind: ItemKind, itemId: string, fields: Record<string, unknown>): Record<string, unknown> {
    const item = this.mailboxes.find(userId, kind, itemId);
    if (!item) throw new Error(`${kind} ${itemId} not found in ${userId}'s mailbox`);
    return renderItem(this.mailboxes.update(item, fields));
  }

  /** The user deletes an item in Outlook; the organizer deleting a meeting cancels attendees' copies. Returns false if it was not there. */
  userDeletesItem(userId: string, kind: ItemKind, itemId: string): boolean {
    return this.mailboxes.delete(userId, kind, itemId, { via: 'user', caller: `user:${this.requireBox(userId).userId}` }) === 'deleted';
  }

  // --- Looking at the tenant (assertions) ---

  /** The user's items of a kind, as Graph renders them (extended properties included). */
  items(userId: string, kind: ItemKind): Record<string, unknown>[] {
    return this.store.list(this.requireBox(userId).userId, kind).map((i) => renderItem(i, { expandExtended: null }));
  }

  /** An item, or (events) an occurrence of a series by its occurrence id. */
  item(userId: string, kind: ItemKind, itemId: string): Record<string, unknown> | undefined {
    const item = this.mailboxes.find(userId, kind, itemId);
    if (item) return renderItem(item, { expandExtended: null });
    const found = kind === 'event' ? this.mailboxes.findOccurrence(userId, itemId) : undefined;
    return found && renderOccurrence(found.occurrence, found.state, renderItem(found.occurrence.master));
  }

  /** The occurrences and exceptions of one series master in the user's calendar that overlap [from, to). */
  occurrences(userId: string, masterId: string, from: number, to: number): Record<string, unknown>[] {
    const master = this.mailboxes.seriesMaster(userId, masterId);
    if (!master) return [];
    const state = this.mailboxes.occurrenceState(master);
    return this.mailboxes
      .occurrencesIn(master.mailboxId, from, to)
      .filter((o) => o.master === master)
      .map((o) => renderOccurrence(o, state, renderItem(master)));
  }

  /** Every copy of a meeting, in every mailbox. */
  meetingCopies(iCalUId: string): { userId: string; event: Record<string, unknown> }[] {
    return this.store
      .all('event')
      .filter((e: Item) => e.fields.iCalUId === iCalUId)
      .map((e) => ({ userId: e.mailboxId, event: renderItem(e, { expandExtended: null }) }));
  }

  addGroup(displayName: string, memberIds: string[]): Group {
    const group: Group = { id: randomUUID(), displayName, memberIds: [...memberIds] };
    this.groups.set(group.id, group);
    return group;
  }

  // --- Subscriptions and notification delivery controls ---

  listSubscriptions(): Subscription[] {
    return this.subscriptions.list();
  }

  /** Sends a lifecycle notification now. `subscriptionRemoved` also removes the subscription; `reauthorizationRequired` holds change notifications back until reauthorize or renew. */
  fireLifecycle(subscriptionId: string, event: LifecycleEvent): void {
    const sub = this.subscriptions.get(subscriptionId);
    if (!sub) throw new Error(`no subscription ${subscriptionId}`);
    if (!sub.lifecycleNotificationUrl) throw new Error(`subscription ${subscriptionId} has no lifecycleNotificationUrl`);
    const item = this.subscriptions.lifecycleItem(sub, event, this.ctx.tokens.tenantId);
    this.notifier.send({ subscriptionId: sub.id, event, url: sub.lifecycleNotificationUrl, payload: { value: [item] }, lifecycle: true });
    if (event === 'reauthorizationRequired') sub.needsReauthorization = true;
    if (event === 'subscriptionRemoved') this.subscriptions.remove(sub.id);
  }

  /** From now on change notifications are lost (delta queries still see the changes). */
  pauseNotifications(): void {
    this.notifier.pause();
  }

  resumeNotifications(): void {
    this.notifier.resume();
  }

  /** Duplicate rate, reorder delay, timeout, attempts and backoff; changeable at any time. */
  get notificationSettings(): NotifierSettings {
    return this.notifier.settings;
  }

  seedNotifications(seed: number): void {
    this.notifier.seed(seed);
  }

  get deliveries(): readonly DeliveryRecord[] {
    return this.notifier.deliveries;
  }

  /** Resolves when every notification has been delivered, retried out or given up. */
  notificationsIdle(): Promise<void> {
    return this.notifier.idle();
  }

  close(): Promise<void> {
    return this.notifier.close();
  }

  private requireBox(userId: string) {
    const found = this.mailboxes.mailboxOf(userId);
    if (!found) throw new Error(`no mailbox for ${userId}`);
    return found.box;
  }
}

function batchRefusal(fault: BatchFault): GraphResponse {
  if (fault.status === 429) return graphError(429, 'TooManyRequests', 'Please retry again later.', { 'Retry-After': String(fault.retryAfterSeconds ?? 1) });
  if (fault.status === 424) return graphError(424, 'FailedDependency', 'The request failed because it depended on a request that failed.');
  return graphError(503, 'ServiceUnavailable', 'The service is temporarily unavailable.', { 'Retry-After': String(fault.retryAfterSeconds ?? 1) });
}

/** Throttling and injected failures, with Graph's bodies (fixtures error-mailbox-concurrency.json, throttle-429-response.json). */
function refusal(admission: Exclude<Admission, { outcome: 'proceed' }>): GraphResponse | 'drop' {
  if (admission.outcome === 'drop') return 'drop';
  if (admission.outcome === 'serverError') {
    const code = admission.status === 503 ? 'ServiceUnavailable' : admission.status === 504 ? 'GatewayTimeout' : 'generalException';
    return graphError(admission.status, code, 'An error occurred while processing the request.', admission.status === 503 ? { 'Retry-After': '1' } : {});
  }
  const headers = { 'Retry-After': String(admission.retryAfterSeconds) };
  if (admission.reason === 'concurrency') return json(429, { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxConcurrency limit.' } }, headers);
  if (admission.reason === 'budget') return json(429, { error: { code: 'ApplicationThrottled', message: 'Application is over its MailboxRequests limit.' } }, headers);
  return graphError(429, 'TooManyRequests', 'Please retry again later.', headers);
}
