/**
 * Graph v1.0 resources, transport-free: (method, path, query, headers, body) → GraphResponse. The HTTPS
 * server and `$batch` both dispatch here. Paths are matched segment by segment, literals
 * case-insensitively, as Graph does.
 */
import type { z } from 'zod';
import type { Directory, DirectoryUser } from '../directory.js';
import type { ClientRegistration } from '../tokens.js';
import { accessDenied, allows, directoryDenied, groupMembersRead, itemRoles, subscriptionDenied, subscriptionRoles, translateIds, userRead, type Requirement, type Roles } from './permissions.js';
import { deltaPage, decodeToken, encodeToken, firstToken, type DeltaScope } from './delta.js';
import type { Mailboxes, Actor } from './mailboxes.js';
import type { Notifier } from './notifier.js';
import { pageSize, paginate, parseFilter } from './query.js';
import { parseOccurrenceId, renderOccurrence, type Occurrence, type OccurrenceState } from './recurrence.js';
import { parseExpand, renderItem, toEpoch } from './render.js';
import { badRequest, empty, graphError, GraphFailure, json, notFound, type GraphResponse } from './responses.js';
import {
  contactInput,
  contactPatch,
  eventInput,
  eventPatch,
  messageInput,
  messagePatch,
  subscriptionInput,
  subscriptionPatch,
  taskInput,
  taskPatch,
  linkedResourceInput,
  todoListInput,
  translateIdsInput,
} from './schemas.js';
import type { Folder, Item, ItemKind, Mailbox } from './store.js';
import type { Subscriptions } from './subscriptions.js';
import { etagOf } from './ids.js';

export interface GraphRequest {
  method: string;
  /** Path below `/v1.0`, starting with `/`, not decoded. */
  path: string;
  query: URLSearchParams;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: unknown;
  caller: ClientRegistration;
  /** The `roles` claim of the caller's token. */
  roles: Roles;
}

export interface Group {
  id: string;
  displayName: string;
  memberIds: string[];
}

interface Ctx {
  req: GraphRequest;
  params: string[];
}

type Handler = (ctx: Ctx) => GraphResponse | Promise<GraphResponse>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

export interface GraphApiDeps {
  directory: Directory;
  mailboxes: Mailboxes;
  subscriptions: Subscriptions;
  notifier: Notifier;
  groups: Map<string, Group>;
  /** Public base of the API, e.g. `https://127.0.0.1:1234/v1.0`, for nextLink/deltaLink. */
  baseUrl: () => string;
}

const defaultPage: Record<ItemKind, number> = { event: 10, contact: 10, message: 10, todoTask: 100 };
const patchSchemas = { event: eventPatch, contact: contactPatch, message: messagePatch, todoTask: taskPatch };

export class GraphApi {
  private readonly routes: Route[] = [];

  constructor(private readonly deps: GraphApiDeps) {
    this.register();
  }

  /** Which mailbox a request is about (for per-mailbox throttling), if any. */
  mailboxKey(path: string): string | undefined {
    const [root, user] = splitPath(path);
    if (root?.toLowerCase() !== 'users' || !user) return undefined;
    return this.deps.directory.find(user)?.id;
  }

  async dispatch(req: GraphRequest): Promise<GraphResponse> {
    const segments = splitPath(req.path);
    if (segments[0]?.toLowerCase() === 'me') return badRequest('/me request is only valid with delegated authentication flow.');
    let pathMatched = false;
    for (const route of this.routes) {
      const params = match(route.segments, segments);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== req.method) continue;
      try {
        return await route.handler({ req, params });
      } catch (e) {
        if (e instanceof GraphFailure) return e.response;
        // A sandbox bug must still look like a Graph failure to the client, not a Fastify one.
        return graphError(500, 'generalException', e instanceof Error ? e.message : 'An unexpected error occurred.');
      }
    }
    if (pathMatched) return graphError(405, 'Request_BadRequest', `The HTTP method '${req.method}' is not allowed for this resource.`);
    return graphError(400, 'BadRequest', `Resource not found for the segment '${segments.at(-1) ?? ''}'.`);
  }

  private on(method: string, pattern: string, handler: Handler): void {
    this.routes.push({ method, segments: pattern.split('/').filter(Boolean), handler });
  }

  private register(): void {
    const d = this.deps;
    this.on('GET', 'users', ({ req }) => {
      need(req, userRead, directoryDenied);
      return this.list(req, d.directory.all().filter((u) => !u.isApplicationUser), 100, renderUser);
    });
    this.on('GET', 'users/:u', ({ req, params }) => {
      need(req, userRead, directoryDenied);
      return json(200, renderUser(this.user(params[0])));
    });
    // "List group members": the members, or with the OData cast only those of one type (users here).
    for (const path of ['groups/:g/members', 'groups/:g/members/microsoft.graph.user']) this.on('GET', path, ({ req, params }) => {
      need(req, groupMembersRead, directoryDenied);
      const group = d.groups.get(params[0] as string);
      if (!group) return graphError(404, 'Request_ResourceNotFound', `Resource '${params[0]}' does not exist or one of its queried reference-property objects are not present.`);
      const members = group.memberIds.map((id) => d.directory.find(id)).filter((u): u is DirectoryUser => !!u);
      // "List group members": without permission to read users, members come back with only @odata.type and id.
      const readable = allows(req.roles, userRead);
      return this.list(req, members, 100, (u) => ({ '@odata.type': '#microsoft.graph.user', ...(readable ? renderUser(u) : hiddenUser(u)) }));
    });
    this.on('POST', 'users/:u/translateExchangeIds', ({ req, params }) => {
      need(req, translateIds, directoryDenied);
      this.mailbox(params[0]);
      const input = parse(translateIdsInput, req.body);
      return json(200, { value: input.inputIds.map((sourceId) => ({ sourceId, targetId: translateId(sourceId, input.sourceIdType ?? 'restId', input.targetIdType) })) });
    });

    // Events: the calendar/events alias is served by the same handlers.
    for (const prefix of ['users/:u/events', 'users/:u/calendar/events']) {
      this.on('GET', prefix, ({ req, params }) => this.listItems(req, params, 'event', undefined));
      this.on('POST', prefix, ({ req, params }) => {
        need(req, itemRoles.event.write);
        return this.created(d.mailboxes.createEvent(this.mailbox(params[0]).user.id, parse(eventInput, req.body)));
      });
      this.on('GET', `${prefix}/:e/instances`, ({ req, params }) => {
        need(req, itemRoles.event.read);
        const window = calendarWindow(req.query);
        const { user } = this.mailbox(params[0]);
        const master = d.mailboxes.seriesMaster(user.id, params[1] as string);
        if (!master) return d.mailboxes.find(user.id, 'event', params[1] as string) ? json(200, { value: [] }) : notFound();
        const state = d.mailboxes.occurrenceState(master);
        const options = this.renderOptions(req, 'event');
        const occurrences = d.mailboxes.occurrencesIn(user.id, window.start, window.end).filter((o) => o.master === master);
        return this.list(req, occurrences, defaultPage.event, (o) => this.renderOccurrence(o, state, options));
      });
      this.itemRoutes(`${prefix}/:e`, 'event', () => undefined);
      this.on('POST', `${prefix}/:e/cancel`, ({ req, params }) => {
        need(req, itemRoles.event.write);
        const outcome = d.mailboxes.cancel(this.mailbox(params[0]).user.id, params[1] as string, this.actor());
        if (outcome === 'notFound') return notFound();
        if (outcome === 'notOrganizer') return graphError(400, 'ErrorInvalidRequest', "Your request can't be completed. You need to be an organizer to cancel a meeting.");
        return empty(202);
      });
    }
    // Single instances, occurrences and exceptions in the window; series masters are not listed.
    this.on('GET', 'users/:u/calendarView', ({ req, params }) => {
      need(req, itemRoles.event.read);
      const window = calendarWindow(req.query);
      const { user } = this.mailbox(params[0]);
      const filter = parseFilter(req.query.get('$filter'));
      if (typeof filter === 'string') return badRequest(filter);
      const options = this.renderOptions(req, 'event');
      const singles = d.mailboxes.store.list(user.id, 'event').filter((i) => i.fields.type !== 'seriesMaster' && overlaps(i, window) && filter(i));
      const occurrences = d.mailboxes.occurrencesIn(user.id, window.start, window.end);
      const rows: (Item | Occurrence)[] = [...singles, ...occurrences];
      return this.list(req, rows, defaultPage.event, (row) => ('originalStart' in row ? this.renderOccurrence(row, d.mailboxes.occurrenceState(row.master), options) : renderItem(row, options)));
    });
    this.on('GET', 'users/:u/calendarView/delta', ({ req, params }) => {
      need(req, itemRoles.event.read);
      const { box } = this.mailbox(params[0]);
      const hasToken = req.query.has('$deltatoken') || req.query.has('$skiptoken');
      return this.delta(req, { mailboxId: box.userId, kind: 'event', ...(hasToken ? {} : { window: calendarWindow(req.query) }) }, 'event');
    });

    // Contacts: `/contacts` is the default folder; `/contactFolders` lists the folders inside it ("List
    // contactFolders"), and delta is documented per folder only ("contact: delta").
    this.on('GET', 'users/:u/contactFolders', ({ req, params }) => {
      need(req, itemRoles.contact.read);
      const { box } = this.mailbox(params[0]);
      return this.list(req, box.contactChildFolders, 10, (f) => ({ ...renderFolder(f), parentFolderId: box.contactFolder.id }));
    });
    const contactFolder = (box: Mailbox, folderId: string | undefined): string => {
      if (folderId === undefined) return box.contactFolder.id;
      const folder = [box.contactFolder, ...box.contactChildFolders].find((f) => f.id === folderId);
      if (!folder) throw new GraphFailure(notFound('The specified folder could not be found in the store.'));
      return folder.id;
    };
    // The mailbox-wide contacts delta is expressible in the metadata but not documented: not served.
    this.on('GET', 'users/:u/contacts/delta', () => badRequest('Contacts delta is documented per folder only: use /users/{id}/contactFolders/{id}/contacts/delta.'));
    this.on('GET', 'users/:u/contactFolders/:f/contacts/delta', ({ req, params }) => {
      need(req, itemRoles.contact.read);
      const { box } = this.mailbox(params[0]);
      return this.delta(req, { mailboxId: box.userId, kind: 'contact', container: contactFolder(box, params[1]) }, 'contact');
    });
    for (const prefix of ['users/:u/contacts', 'users/:u/contactFolders/:f/contacts']) {
      const hasFolder = prefix.includes(':f');
      const folderOf = (box: Mailbox, params: string[]) => contactFolder(box, hasFolder ? params[1] : undefined);
      this.on('GET', prefix, ({ req, params }) => this.listItems(req, params, 'contact', (box) => folderOf(box, params)));
      this.on('POST', prefix, ({ req, params }) => {
        need(req, itemRoles.contact.write);
        const { user, box } = this.mailbox(params[0]);
        return this.created(d.mailboxes.createContact(user.id, parse(contactInput, req.body), folderOf(box, params)));
      });
      this.itemRoutes(`${prefix}/:c`, 'contact', (box, params) => (hasFolder ? contactFolder(box, params[1]) : undefined));
    }

    // Messages: all folders, or one folder by id or well-known name.
    this.on('GET', 'users/:u/mailFolders', ({ req, params }) => {
      need(req, itemRoles.message.read);
      return this.list(req, this.mailbox(params[0]).box.mailFolders, 10, renderFolder);
    });
    const mailFolder = (box: Mailbox, ref: string | undefined): Folder => {
      const folder = ref === undefined ? undefined : d.mailboxes.store.mailFolder(box, ref);
      if (!folder) throw new GraphFailure(notFound('The specified folder could not be found in the store.'));
      return folder;
    };
    this.on('GET', 'users/:u/mailFolders/:f', ({ req, params }) => {
      need(req, itemRoles.message.read);
      return json(200, renderFolder(mailFolder(this.mailbox(params[0]).box, params[1])));
    });
    this.on('GET', 'users/:u/mailFolders/:f/messages/delta', ({ req, params }) => {
      need(req, itemRoles.message.read);
      const { box } = this.mailbox(params[0]);
      return this.delta(req, { mailboxId: box.userId, kind: 'message', container: mailFolder(box, params[1]).id }, 'message');
    });
    this.on('GET', 'users/:u/messages', ({ req, params }) => this.listItems(req, params, 'message', undefined));
    this.on('POST', 'users/:u/messages', ({ req, params }) => {
      need(req, itemRoles.message.write);
      return this.created(d.mailboxes.createMessage(this.mailbox(params[0]).user.id, parse(messageInput, req.body), 'drafts'));
    });
    this.itemRoutes('users/:u/messages/:m', 'message', () => undefined);
    this.on('GET', 'users/:u/mailFolders/:f/messages', ({ req, params }) => this.listItems(req, params, 'message', (box) => mailFolder(box, params[1]).id));
    this.on('POST', 'users/:u/mailFolders/:f/messages', ({ req, params }) => {
      need(req, itemRoles.message.write);
      const { user, box } = this.mailbox(params[0]);
      const folder = mailFolder(box, params[1]);
      return this.created(d.mailboxes.createMessage(user.id, parse(messageInput, req.body), folder.wellKnownName ?? folder.id));
    });
    this.itemRoutes('users/:u/mailFolders/:f/messages/:m', 'message', (box, params) => mailFolder(box, params[1]).id);

    // To Do.
    const todoList = (box: Mailbox, id: string | undefined): Folder => {
      const list = box.todoLists.find((l) => l.id === id);
      if (!list) throw new GraphFailure(notFound('The specified object was not found in the store.'));
      return list;
    };
    this.on('GET', 'users/:u/todo/lists', ({ req, params }) => {
      need(req, itemRoles.todoTask.read);
      return this.list(req, this.mailbox(params[0]).box.todoLists, 100, renderTodoList);
    });
    this.on('POST', 'users/:u/todo/lists', ({ req, params }) => {
      need(req, itemRoles.todoTask.write);
      return json(201, renderTodoList(d.mailboxes.createTodoList(this.mailbox(params[0]).user.id, parse(todoListInput, req.body).displayName)));
    });
    this.on('GET', 'users/:u/todo/lists/:l', ({ req, params }) => {
      need(req, itemRoles.todoTask.read);
      return json(200, renderTodoList(todoList(this.mailbox(params[0]).box, params[1])));
    });
    this.on('GET', 'users/:u/todo/lists/:l/tasks/delta', ({ req, params }) => {
      need(req, itemRoles.todoTask.read);
      const { box } = this.mailbox(params[0]);
      return this.delta(req, { mailboxId: box.userId, kind: 'todoTask', container: todoList(box, params[1]).id }, 'todoTask');
    });
    this.on('GET', 'users/:u/todo/lists/:l/tasks', ({ req, params }) => this.listItems(req, params, 'todoTask', (box) => todoList(box, params[1]).id));
    this.on('POST', 'users/:u/todo/lists/:l/tasks', ({ req, params }) => {
      need(req, itemRoles.todoTask.write);
      const { user, box } = this.mailbox(params[0]);
      return this.created(d.mailboxes.createTask(user.id, parse(taskInput, req.body), todoList(box, params[1]).id));
    });
    this.itemRoutes('users/:u/todo/lists/:l/tasks/:t', 'todoTask', (box, params) => todoList(box, params[1]).id);
    // "linkedResource resource type" / "Create linkedResource": a task's link to an item in another app.
    const task = (req: GraphRequest, params: string[]): Item => {
      const { user, box } = this.mailbox(params[0]);
      const item = d.mailboxes.find(user.id, 'todoTask', params[2] as string);
      if (!item || item.container !== todoList(box, params[1]).id) throw new GraphFailure(notFound());
      return item;
    };
    this.on('GET', 'users/:u/todo/lists/:l/tasks/:t/linkedResources', ({ req, params }) => {
      need(req, itemRoles.todoTask.read);
      return this.list(req, task(req, params).linkedResources, 100, (r) => ({ ...r }));
    });
    this.on('POST', 'users/:u/todo/lists/:l/tasks/:t/linkedResources', ({ req, params }) => {
      need(req, itemRoles.todoTask.write);
      return json(201, { ...d.mailboxes.addLinkedResource(task(req, params), parse(linkedResourceInput, req.body)) });
    });
    this.on('DELETE', 'users/:u/todo/lists/:l/tasks/:t/linkedResources/:r', ({ req, params }) => {
      need(req, itemRoles.todoTask.write);
      return d.mailboxes.removeLinkedResource(task(req, params), params[3] as string) ? empty(204) : notFound();
    });

    this.registerSubscriptions();
  }

  private registerSubscriptions(): void {
    const { subscriptions, notifier } = this.deps;
    const own = (req: GraphRequest, id: string | undefined) => {
      const sub = id === undefined ? undefined : subscriptions.get(id, req.caller.clientId);
      if (!sub) throw new GraphFailure(graphError(404, 'ResourceNotFound', `The object was not found.`));
      return sub;
    };
    const context = () => `${this.deps.baseUrl().replace(/\/v1\.0$/, '')}/v1.0/$metadata#subscriptions/$entity`;
    this.on('GET', 'subscriptions', ({ req }) => json(200, { '@odata.context': `${this.deps.baseUrl()}/$metadata#subscriptions`, value: subscriptions.list(req.caller.clientId).map((s) => subscriptions.render(s)) }));
    this.on('POST', 'subscriptions', async ({ req }) => {
      const input = parse(subscriptionInput, req.body);
      const kind = subscribedKind(input.resource);
      const required = kind === undefined ? undefined : subscriptionRoles[kind];
      // To Do (application: "Not supported") is refused by the subscription rules below.
      if (required !== undefined && required !== 'notSupported' && !allows(req.roles, required)) return subscriptionDenied();
      const prepared = subscriptions.prepare(input, req.caller.clientId);
      if ('status' in prepared) return graphError(prepared.status, prepared.code, prepared.message);
      for (const url of [prepared.notificationUrl, prepared.lifecycleNotificationUrl]) {
        if (!url) continue;
        const failure = await notifier.handshake(url, subscriptions.validationTimeoutMs);
        if (failure) {
          return graphError(400, 'ValidationError', `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request. (${failure})`);
        }
      }
      subscriptions.add(prepared);
      return json(201, { '@odata.context': context(), ...subscriptions.render(prepared) });
    });
    this.on('GET', 'subscriptions/:s', ({ req, params }) => json(200, { '@odata.context': context(), ...subscriptions.render(own(req, params[0])) }));
    this.on('PATCH', 'subscriptions/:s', ({ req, params }) => {
      const sub = own(req, params[0]);
      const rejection = subscriptions.renew(sub, parse(subscriptionPatch, req.body).expirationDateTime);
      if (rejection) return graphError(rejection.status, rejection.code, rejection.message);
      return json(200, { '@odata.context': context(), ...subscriptions.render(sub) });
    });
    this.on('DELETE', 'subscriptions/:s', ({ req, params }) => {
      subscriptions.remove(own(req, params[0]).id);
      return empty(204);
    });
    this.on('POST', 'subscriptions/:s/reauthorize', ({ req, params }) => {
      own(req, params[0]).needsReauthorization = false;
      return empty(204);
    });
  }

  /** GET/PATCH/DELETE on one item; `container` narrows where the item must live (folder/list routes). */
  private itemRoutes(pattern: string, kind: ItemKind, container: (box: Mailbox, params: string[]) => string | undefined): void {
    const { mailboxes } = this.deps;
    const load = (req: GraphRequest, params: string[]) => {
      const { user, box } = this.mailbox(params[0]);
      const where = container(box, params);
      const item = mailboxes.find(user.id, kind, params.at(-1) as string);
      if (!item || (where !== undefined && item.container !== where)) throw new GraphFailure(notFound());
      checkIfMatch(req, item);
      return item;
    };
    // Occurrences of a series are no items of their own: they are read and changed through their master.
    const occurrence = (params: string[]) => {
      if (kind !== 'event' || !parseOccurrenceId(params.at(-1) as string)) return undefined;
      const found = mailboxes.findOccurrence(this.mailbox(params[0]).user.id, params.at(-1) as string);
      if (!found) throw new GraphFailure(notFound());
      return found;
    };
    this.on('GET', pattern, ({ req, params }) => {
      need(req, itemRoles[kind].read);
      const found = occurrence(params);
      if (found) return json(200, this.renderOccurrence(found.occurrence, found.state, this.renderOptions(req, kind)));
      return json(200, renderItem(load(req, params), this.renderOptions(req, kind)));
    });
    this.on('PATCH', pattern, ({ req, params }) => {
      need(req, itemRoles[kind].write);
      const found = occurrence(params);
      if (found) {
        const { recurrence, singleValueExtendedProperties: _ignored, ...fields } = parse(eventPatch, req.body);
        if (recurrence !== undefined) return badRequest('recurrence can only be changed on a series master');
        const changed = mailboxes.updateOccurrence(this.mailbox(params[0]).user.id, params.at(-1) as string, fields) as Occurrence;
        return json(200, this.renderOccurrence(changed, mailboxes.occurrenceState(changed.master), this.renderOptions(req, kind)));
      }
      const item = load(req, params);
      const { singleValueExtendedProperties, ...fields } = parse(patchSchemas[kind], req.body) as Record<string, unknown> & { singleValueExtendedProperties?: { id: string; value: string }[] };
      mailboxes.update(item, fields, singleValueExtendedProperties);
      return json(200, renderItem(item, this.renderOptions(req, kind)));
    });
    this.on('DELETE', pattern, ({ req, params }) => {
      need(req, itemRoles[kind].write);
      const { user, box } = this.mailbox(params[0]);
      const itemId = params.at(-1) as string;
      const existing = mailboxes.find(user.id, kind, itemId);
      const where = container(box, params);
      if (existing) {
        checkIfMatch(req, existing);
        if (where !== undefined && existing.container !== where) return notFound();
      }
      return mailboxes.delete(user.id, kind, itemId, this.actor(req)) === 'deleted' ? empty(204) : notFound();
    });
  }

  private renderOccurrence(occurrence: Occurrence, state: OccurrenceState, options: ReturnType<GraphApi['renderOptions']>): Record<string, unknown> {
    const full = renderOccurrence(occurrence, state, renderItem(occurrence.master));
    if (!options.select || options.select.length === 0) return full;
    const keep = new Set(['@odata.etag', 'id', ...options.select]);
    return Object.fromEntries(Object.entries(full).filter(([k]) => keep.has(k)));
  }

  private actor(req?: GraphRequest): Actor {
    return { via: 'api', caller: `app:${req?.caller.clientId ?? 'unknown'}` };
  }

  /** `$select` and `$expand`; reading extended properties needs the full read role, and a basic role never sees bodies. */
  private renderOptions(req: GraphRequest, kind: ItemKind) {
    const expand = parseExpand(req.query.get('$expand'), kind);
    if (typeof expand === 'string') throw new GraphFailure(badRequest(expand));
    if (expand.expandExtended !== undefined) need(req, itemRoles[kind].readFull);
    const select = req.query.get('$select')?.split(',').map((s) => s.trim()).filter(Boolean);
    return { ...expand, select, basic: !allows(req.roles, itemRoles[kind].readFull) };
  }

  private listItems(req: GraphRequest, params: string[], kind: ItemKind, container: ((box: Mailbox) => string) | undefined, extra: (item: Item) => boolean = () => true): GraphResponse {
    need(req, itemRoles[kind].read);
    const { user, box } = this.mailbox(params[0]);
    const filter = parseFilter(req.query.get('$filter'));
    if (typeof filter === 'string') return badRequest(filter);
    if (/singleValueExtendedProperties/i.test(req.query.get('$filter') ?? '')) need(req, itemRoles[kind].readFull);
    const items = this.deps.mailboxes.store.list(user.id, kind, container?.(box)).filter((i) => filter(i) && extra(i));
    const options = this.renderOptions(req, kind);
    return this.list(req, items, defaultPage[kind], (i) => renderItem(i, options));
  }

  private list<T>(req: GraphRequest, all: T[], fallback: number, render: (t: T) => unknown): GraphResponse {
    const size = pageSize(req.query, req.headers.prefer, fallback);
    const { page, nextLink } = paginate(all, req.query, size, `${this.deps.baseUrl()}${req.path}`);
    return json(200, { value: page.map(render), ...(nextLink ? { '@odata.nextLink': nextLink } : {}) });
  }

  private delta(req: GraphRequest, scope: DeltaScope, kind: ItemKind): GraphResponse {
    const text = req.query.get('$skiptoken') ?? req.query.get('$deltatoken');
    const token = text === null ? firstToken(scope) : decodeToken(text, scope);
    if (!token) return graphError(400, 'ErrorInvalidSyncStateData', 'The sync state data is corrupted or otherwise invalid.');
    if (text === null) {
      // The first round's options travel in the state tokens, as Graph's nextLink/deltaLink carry them.
      const options = this.renderOptions(req, kind);
      token.render = { expandLinked: options.expandLinked === true, basic: options.basic, ...(options.select ? { select: options.select } : {}) };
    }
    const page = deltaPage(this.deps.mailboxes.store, token, pageSize(new URLSearchParams(), req.headers.prefer, defaultPage[kind]));
    const self = `${this.deps.baseUrl()}${req.path}`;
    return json(200, {
      '@odata.context': `${this.deps.baseUrl()}/$metadata#Collection(${kind})`,
      value: page.value,
      ...(page.nextToken ? { '@odata.nextLink': `${self}?$skiptoken=${page.nextToken}` } : { '@odata.deltaLink': `${self}?$deltatoken=${page.deltaToken as string}` }),
    });
  }

  private created(item: Item): GraphResponse {
    return json(201, renderItem(item));
  }

  private user(ref: string | undefined): DirectoryUser {
    const user = ref === undefined ? undefined : this.deps.directory.find(ref);
    if (!user) throw new GraphFailure(graphError(404, 'Request_ResourceNotFound', `Resource '${ref}' does not exist or one of its queried reference-property objects are not present.`));
    return user;
  }

  private mailbox(ref: string | undefined): { user: DirectoryUser; box: Mailbox } {
    const user = this.user(ref);
    const found = this.deps.mailboxes.mailboxOf(user.id);
    if (!found) throw new GraphFailure(graphError(404, 'MailboxNotEnabledForRESTAPI', 'The mailbox is either inactive, soft-deleted, or is hosted on-premise.'));
    return found;
  }
}

/** Refuses the request unless the token carries one of the roles. */
function need(req: GraphRequest, requirement: Requirement, denied: () => GraphResponse = accessDenied): void {
  if (!allows(req.roles, requirement)) throw new GraphFailure(denied());
}

/** The item kind a subscription resource names (`users/{id}/events`, `…/mailFolders('inbox')/messages`, …). */
function subscribedKind(resource: string): ItemKind | undefined {
  const path = resource.replace(/^\//, '').split('?')[0] ?? '';
  if (/\/todo\//i.test(path)) return 'todoTask';
  if (/\/(calendar\/)?events$/i.test(path)) return 'event';
  if (/\/contacts$/i.test(path)) return 'contact';
  if (/\/messages$/i.test(path)) return 'message';
  return undefined;
}

function splitPath(path: string): string[] {
  return path
    .split('?')[0]!
    .replace(/\('([^']*)'\)/g, '/$1')
    .split('/')
    .filter(Boolean)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

function match(pattern: string[], segments: string[]): string[] | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith(':')) params.push(s);
    else if (p.toLowerCase() !== s.toLowerCase()) return undefined;
  }
  return params;
}

function parse<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue?.path.join('.') ?? '';
    throw new GraphFailure(graphError(400, issue?.code === 'unrecognized_keys' ? 'RequestBodyRead' : 'ErrorInvalidRequest', `${where ? `${where}: ` : ''}${issue?.message ?? 'Invalid request body.'}`));
  }
  return result.data;
}

function checkIfMatch(req: GraphRequest, item: Item): void {
  const wanted = req.headers['if-match'];
  if (wanted && wanted !== '*' && wanted !== etagOf(item.changeKey)) {
    throw new GraphFailure(graphError(412, 'ErrorIrresolvableConflict', 'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.'));
  }
}

function calendarWindow(query: URLSearchParams): { start: number; end: number } {
  const start = Date.parse(query.get('startDateTime') ?? '');
  const end = Date.parse(query.get('endDateTime') ?? '');
  if (Number.isNaN(start) || Number.isNaN(end)) {
    throw new GraphFailure(graphError(400, 'ErrorInvalidParameter', 'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.'));
  }
  return { start, end };
}

function overlaps(item: Item, window: { start: number; end: number }): boolean {
  return toEpoch(item.fields.start as { dateTime: string }) < window.end && toEpoch(item.fields.end as { dateTime: string }) > window.start;
}

function renderUser(u: DirectoryUser): Record<string, unknown> {
  return { id: u.id, displayName: u.displayName, userPrincipalName: u.userPrincipalName, mail: u.mail, businessPhones: [], givenName: null, surname: null, jobTitle: null, mobilePhone: null, officeLocation: null, preferredLanguage: null };
}

function hiddenUser(u: DirectoryUser): Record<string, unknown> {
  return { ...Object.fromEntries(Object.keys(renderUser(u)).map((k) => [k, null])), id: u.id, businessPhones: [] };
}

function renderFolder(f: Folder): Record<string, unknown> {
  return { id: f.id, displayName: f.displayName, parentFolderId: null };
}

function renderTodoList(f: Folder): Record<string, unknown> {
  return { '@odata.etag': etagOf(f.id.slice(-16)), id: f.id, displayName: f.displayName, isOwner: true, isShared: false, wellknownListName: f.wellKnownName ?? 'none' };
}

/** Ids are immutable here, so REST and immutable REST ids coincide; EWS ids use the standard base64 alphabet; entry ids are binary (hex here). */
function translateId(id: string, from: string, to: string): string {
  const binary = new Set(['entryId', 'immutableEntryId']);
  const rest = from === 'ewsId' ? id.replace(/\+/g, '-').replace(/\//g, '_') : binary.has(from) ? Buffer.from(id, 'hex').toString('utf8') : id;
  if (to === 'ewsId') return rest.replace(/-/g, '+').replace(/_/g, '/');
  if (binary.has(to)) return Buffer.from(rest, 'utf8').toString('hex').toUpperCase();
  return rest;
}
