/**
 * Graph subscriptions: the rules for creating one (resource, change types, lifetime, clientState,
 * quota, validation of both URLs), renewal, reauthorization, expiry by the sandbox clock, and matching
 * item changes to the subscriptions that should hear of them.
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Change, ChangeType, ItemKind } from './store.js';
import type { Mailboxes } from './mailboxes.js';
import type { subscriptionInput } from './schemas.js';

/** Outlook resources: 10,080 minutes (7 days). */
export const maxLifetimeMinutes = 10_080;
export const perMailboxQuota = 1000;

export interface Subscription {
  id: string;
  resource: string;
  changeTypes: ChangeType[];
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  clientState: string;
  expiresAt: number;
  applicationId: string;
  latestSupportedTlsVersion: string;
  mailboxId: string;
  kind: ItemKind;
  container?: string;
  /** Set by a `reauthorizationRequired` lifecycle event until the app reauthorizes or renews; notifications are held back meanwhile. */
  needsReauthorization: boolean;
}

/** A rejected request, with the status and code Graph answers. */
export interface Rejection {
  status: number;
  code: string;
  message: string;
}

const reject = (status: number, reason: string, operation = 'Create'): Rejection => ({
  status,
  code: 'ExtensionError',
  message: `Operation: ${operation}; Exception: [Status Code: ${status === 400 ? 'BadRequest' : 'Forbidden'}; Reason: ${reason}]`,
});

const odataType: Record<ItemKind, string> = {
  event: '#Microsoft.Graph.Event',
  contact: '#Microsoft.Graph.Contact',
  message: '#Microsoft.Graph.Message',
  todoTask: '#Microsoft.Graph.TodoTask',
};
const segment: Record<ItemKind, string> = { event: 'Events', contact: 'Contacts', message: 'Messages', todoTask: 'Tasks' };

export interface SubscriptionOptions {
  /** Real Graph requires https; loopback http is accepted unless this is set. */
  requireHttps: boolean;
  validationTimeoutMs: number;
}

export class Subscriptions {
  private readonly byId = new Map<string, Subscription>();

  constructor(
    private readonly mailboxes: Mailboxes,
    private readonly clock: () => number,
    private readonly options: SubscriptionOptions,
  ) {}

  /** Checks a create request; returns the subscription to validate and add, or why Graph would refuse. */
  prepare(input: z.infer<typeof subscriptionInput>, applicationId: string): Subscription | Rejection {
    const changeTypes = input.changeType.split(',').map((t) => t.trim());
    const bad = changeTypes.find((t) => !['created', 'updated', 'deleted'].includes(t));
    if (bad !== undefined) return { status: 400, code: 'InvalidRequest', message: `Invalid 'changeType' attribute: '${bad}'.` };
    if (!input.clientState) return reject(400, 'clientState is required.');
    const target = this.resolveResource(input.resource);
    if ('status' in target) return target;
    for (const url of [input.notificationUrl, input.lifecycleNotificationUrl].filter((u): u is string => !!u)) {
      const problem = this.checkUrl(url);
      if (problem) return problem;
    }
    const expiresAt = this.checkExpiry(input.expirationDateTime, 'Create');
    if (typeof expiresAt !== 'number') return expiresAt;
    if (this.list(applicationId).filter((s) => s.mailboxId === target.mailboxId).length >= perMailboxQuota) {
      return reject(403, `The maximum number of subscriptions (${perMailboxQuota}) for the mailbox has been reached.`);
    }
    return {
      id: randomUUID(),
      resource: input.resource,
      changeTypes: changeTypes as ChangeType[],
      notificationUrl: input.notificationUrl,
      lifecycleNotificationUrl: input.lifecycleNotificationUrl ?? null,
      clientState: input.clientState,
      expiresAt,
      applicationId,
      latestSupportedTlsVersion: input.latestSupportedTlsVersion ?? 'v1_2',
      needsReauthorization: false,
      ...target,
    };
  }

  add(subscription: Subscription): void {
    this.byId.set(subscription.id, subscription);
  }

  /** A live subscription (expired ones are gone, as in Graph). */
  get(id: string, applicationId?: string): Subscription | undefined {
    this.sweep();
    const sub = this.byId.get(id);
    return sub && (applicationId === undefined || sub.applicationId === applicationId) ? sub : undefined;
  }

  list(applicationId?: string): Subscription[] {
    this.sweep();
    return [...this.byId.values()].filter((s) => applicationId === undefined || s.applicationId === applicationId);
  }

  renew(sub: Subscription, expirationDateTime: string): Rejection | undefined {
    const expiresAt = this.checkExpiry(expirationDateTime, 'Update');
    if (typeof expiresAt !== 'number') return expiresAt;
    sub.expiresAt = expiresAt;
    sub.needsReauthorization = false;
    return undefined;
  }

  remove(id: string): boolean {
    return this.byId.delete(id);
  }

  /** Subscriptions that should hear of a change. */
  matching(change: Change): Subscription[] {
    return this.list().filter(
      (s) => s.mailboxId === change.mailboxId && s.kind === change.kind && (s.container === undefined || s.container === change.container) && s.changeTypes.includes(change.changeType),
    );
  }

  render(sub: Subscription): Record<string, unknown> {
    return {
      id: sub.id,
      resource: sub.resource,
      applicationId: sub.applicationId,
      changeType: sub.changeTypes.join(','),
      clientState: sub.clientState,
      notificationUrl: sub.notificationUrl,
      notificationQueryOptions: null,
      notificationContentType: null,
      lifecycleNotificationUrl: sub.lifecycleNotificationUrl,
      expirationDateTime: isoSeven(sub.expiresAt),
      creatorId: sub.applicationId,
      includeResourceData: null,
      latestSupportedTlsVersion: sub.latestSupportedTlsVersion,
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    };
  }

  /** One change notification item, shaped as Graph sends it. */
  notificationItem(sub: Subscription, change: Change, tenantId: string): Record<string, unknown> {
    const resource = `Users/${change.mailboxId}/${segment[change.kind]}/${change.id}`;
    return {
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: isoSeven(sub.expiresAt),
      changeType: change.changeType,
      resource,
      resourceData: { '@odata.type': odataType[change.kind], '@odata.id': resource, '@odata.etag': change.etag, id: change.id },
      clientState: sub.clientState,
      tenantId,
    };
  }

  lifecycleItem(sub: Subscription, event: string, tenantId: string): Record<string, unknown> {
    return { subscriptionId: sub.id, subscriptionExpirationDateTime: isoSeven(sub.expiresAt), tenantId, clientState: sub.clientState, lifecycleEvent: event };
  }

  get validationTimeoutMs(): number {
    return this.options.validationTimeoutMs;
  }

  private sweep(): void {
    const now = this.clock();
    for (const [id, sub] of this.byId) if (sub.expiresAt <= now) this.byId.delete(id);
  }

  private checkExpiry(text: string, operation: string): number | Rejection {
    const at = Date.parse(text);
    const now = this.clock();
    if (Number.isNaN(at)) return { status: 400, code: 'InvalidRequest', message: `Invalid expirationDateTime: '${text}'.` };
    if (at <= now) return reject(400, 'Subscription expiration can only be in the future.', operation);
    if (at > now + maxLifetimeMinutes * 60_000) return reject(400, `Subscription expiration can only be ${maxLifetimeMinutes} minutes in the future.`, operation);
    return at;
  }

  private checkUrl(url: string): Rejection | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { status: 400, code: 'InvalidRequest', message: `Invalid notification url: '${url}'.` };
    }
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
    if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback && !this.options.requireHttps)) return undefined;
    return { status: 400, code: 'InvalidRequest', message: 'The notification url must use https.' };
  }

  /** `users/{id}/events`, `/users('{id}')/messages`, `users/{id}/mailFolders('Inbox')/messages`, `users/{id}/contactFolders/{id}/contacts`, … */
  private resolveResource(resource: string): Pick<Subscription, 'mailboxId' | 'kind' | 'container'> | Rejection {
    const path = resource.replace(/^\//, '').replace(/\('([^']*)'\)/g, '/$1').split('/').filter(Boolean);
    const [root, userRef, ...rest] = path;
    if (root?.toLowerCase() === 'me') return reject(400, '/me request is only valid with delegated authentication flow.');
    if (root?.toLowerCase() !== 'users' || !userRef) return reject(400, `Unsupported resource '${resource}'.`);
    const owner = this.mailboxes.mailboxOf(decodeURIComponent(userRef));
    if (!owner) return { status: 404, code: 'ResourceNotFound', message: `Resource '${userRef}' does not exist.` };
    const shape = rest.map((s) => s.toLowerCase()).join('/');
    const mailboxId = owner.user.id;
    if (shape === 'events' || shape === 'calendar/events') return { mailboxId, kind: 'event' };
    if (shape === 'messages') return { mailboxId, kind: 'message' };
    if (shape === 'contacts') return { mailboxId, kind: 'contact', container: owner.box.contactFolder.id };
    if (/^mailfolders\/[^/]+\/messages$/.test(shape)) {
      const folder = this.mailboxes.store.mailFolder(owner.box, rest[1] as string);
      if (!folder) return { status: 404, code: 'ErrorItemNotFound', message: 'The specified folder could not be found in the store.' };
      return { mailboxId, kind: 'message', container: folder.id };
    }
    if (/^contactfolders\/[^/]+\/contacts$/.test(shape)) {
      if (rest[1] !== owner.box.contactFolder.id) return { status: 404, code: 'ErrorItemNotFound', message: 'The specified folder could not be found in the store.' };
      return { mailboxId, kind: 'contact', container: owner.box.contactFolder.id };
    }
    if (/^todo\/lists\/[^/]+\/tasks$/.test(shape)) {
      return reject(403, 'Subscriptions to todoTask are supported for delegated permissions only.');
    }
    return reject(400, `Unsupported resource '${resource}'.`);
  }
}

/** Graph writes subscription times with seven fractional digits. */
export function isoSeven(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}
