/**
 * What people and Exchange do to mailbox items: create, change and delete them, including meeting
 * behaviour (attendee copies share the organizer's iCalUId; the organizer deleting or cancelling marks
 * attendee copies canceled) and mail delivery to internal recipients. The HTTP routes and the tests'
 * user actions both go through here, so both emit the same changes and the same delete-log entries.
 */
import type { Directory, DirectoryUser } from '../directory.js';
import type { DeleteLog } from '../delete-log.js';
import { newICalUId, newInternetMessageId, newItemId } from './ids.js';
import { normalizeDateTime } from './render.js';
import { newRequestId } from './ids.js';
import {
  emptyOccurrenceState,
  occurrencesOf,
  originalStarts,
  parseOccurrenceId,
  recurrenceProblem,
  toMs,
  type Occurrence,
  type OccurrenceState,
  type PatternedRecurrence,
} from './recurrence.js';
import { badRequest, GraphFailure } from './responses.js';
import type { ContactInput, EventInput, LinkedResourceInput, MessageInput, TaskInput } from './schemas.js';
import { eventInput, contactInput, messageInput, taskInput } from './schemas.js';
import type { ExtendedProperty, Folder, Item, ItemKind, ItemStore, LinkedResource, Mailbox } from './store.js';

export interface Actor {
  via: 'api' | 'user';
  /** `app:<clientId>` or `user:<id>`. */
  caller: string;
}

export type DeleteOutcome = 'deleted' | 'notFound';

const meetingFields = ['subject', 'body', 'start', 'end', 'location', 'isAllDay', 'recurrence'] as const;

function checkRecurrence(recurrence: unknown, start: unknown): void {
  if (recurrence === null || recurrence === undefined) return;
  const problem = recurrenceProblem(recurrence as PatternedRecurrence, toMs(start));
  if (problem) throw new GraphFailure(badRequest(problem));
}

export class Mailboxes {
  /** Per series master: what happened to its single occurrences (see recurrence.ts). */
  private readonly occurrenceStates = new Map<string, OccurrenceState>();

  constructor(
    readonly store: ItemStore,
    private readonly directory: Directory,
    private readonly log: DeleteLog,
    private readonly clock: () => number,
  ) {}

  /** The user's mailbox, or undefined for unknown users and application users (they have none). */
  mailboxOf(idOrUpn: string): { user: DirectoryUser; box: Mailbox } | undefined {
    const user = this.directory.find(idOrUpn);
    if (!user || user.isApplicationUser) return undefined;
    return { user, box: this.store.mailbox(user.id) };
  }

  private requireMailbox(idOrUpn: string): { user: DirectoryUser; box: Mailbox } {
    const found = this.mailboxOf(idOrUpn);
    if (!found) throw new Error(`no mailbox for ${idOrUpn}`);
    return found;
  }

  find(userId: string, kind: ItemKind, itemId: string): Item | undefined {
    const item = this.store.get(itemId);
    const owner = this.mailboxOf(userId);
    return item && owner && item.mailboxId === owner.user.id && item.kind === kind ? item : undefined;
  }

  createEvent(userId: string, input: EventInput): Item {
    const data = eventInput.parse(input);
    const { user, box } = this.requireMailbox(userId);
    const { singleValueExtendedProperties, attendees = [], ...rest } = data;
    const organizer = { emailAddress: { name: user.displayName, address: user.mail } };
    const attendeeList = attendees.map((a) => ({ type: a.type, status: { response: 'none', time: '0001-01-01T00:00:00Z' }, emailAddress: a.emailAddress }));
    const iCalUId = newICalUId();
    checkRecurrence(rest.recurrence, rest.start);
    const fields = {
      subject: '',
      body: { contentType: 'text', content: '' },
      isAllDay: false,
      isCancelled: false,
      type: rest.recurrence ? 'seriesMaster' : 'singleInstance',
      seriesMasterId: null,
      recurrence: null,
      showAs: 'busy',
      ...rest,
      start: normalizeDateTime(rest.start),
      end: normalizeDateTime(rest.end),
      attendees: attendeeList,
      organizer,
      iCalUId,
    };
    const own = this.store.insert({
      kind: 'event',
      mailboxId: user.id,
      container: box.calendar.id,
      fields: { ...fields, isOrganizer: true, responseStatus: { response: 'organizer', time: '0001-01-01T00:00:00Z' } },
      extended: singleValueExtendedProperties ?? [],
    });
    for (const attendee of this.internalUsers(attendeeList.map((a) => a.emailAddress.address), user.id)) {
      this.store.insert({
        kind: 'event',
        mailboxId: attendee.id,
        container: this.store.mailbox(attendee.id).calendar.id,
        fields: { ...structuredClone(fields), transactionId: null, isOrganizer: false, responseStatus: { response: 'notResponded', time: '0001-01-01T00:00:00Z' } },
        extended: [],
      });
    }
    return own;
  }

  /** A contact in the default Contacts folder or in one of its folders. */
  createContact(userId: string, input: ContactInput, folderId?: string): Item {
    const { singleValueExtendedProperties, ...rest } = contactInput.parse(input);
    const { user, box } = this.requireMailbox(userId);
    const displayName = rest.displayName ?? [rest.givenName, rest.surname].filter(Boolean).join(' ');
    const folder = folderId === undefined ? box.contactFolder : [box.contactFolder, ...box.contactChildFolders].find((f) => f.id === folderId);
    if (!folder) throw new Error(`no contact folder ${folderId} for ${userId}`);
    return this.store.insert({
      kind: 'contact',
      mailboxId: user.id,
      container: folder.id,
      fields: { emailAddresses: [], businessPhones: [], categories: [], ...rest, displayName },
      extended: singleValueExtendedProperties ?? [],
    });
  }

  /** Puts a message in one folder of one mailbox (`drafts` for API-created messages, as Graph does). */
  createMessage(userId: string, input: MessageInput, folderName = 'inbox'): Item {
    const { singleValueExtendedProperties, ...rest } = messageInput.parse(input);
    const { user, box } = this.requireMailbox(userId);
    const folder = this.store.mailFolder(box, folderName) as Folder;
    const now = new Date(this.clock()).toISOString();
    return this.store.insert({
      kind: 'message',
      mailboxId: user.id,
      container: folder.id,
      fields: {
        subject: '',
        body: { contentType: 'text', content: '' },
        from: { emailAddress: { name: user.displayName, address: user.mail } },
        toRecipients: [],
        ccRecipients: [],
        bccRecipients: [],
        isRead: folderName !== 'inbox',
        isDraft: folderName === 'drafts',
        receivedDateTime: now,
        sentDateTime: folderName === 'drafts' ? null : now,
        internetMessageId: newInternetMessageId(user.mail.split('@')[1] ?? 'contoso.test'),
        conversationId: newICalUId().slice(-40),
        ...rest,
      },
      extended: singleValueExtendedProperties ?? [],
    });
  }

  /** A user sends mail: a copy in their Sent Items and in each internal recipient's Inbox, one internetMessageId. */
  sendMail(fromUserId: string, input: MessageInput): { sent: Item; delivered: Item[] } {
    const sent = this.createMessage(fromUserId, input, 'sentitems');
    const { internetMessageId, conversationId, from } = sent.fields;
    const recipients = [...(input.toRecipients ?? []), ...(input.ccRecipients ?? []), ...(input.bccRecipients ?? [])];
    const delivered = this.internalUsers(recipients.map((r) => r.emailAddress.address), sent.mailboxId).map((u) =>
      this.store.insert({
        kind: 'message',
        mailboxId: u.id,
        container: (this.store.mailFolder(this.store.mailbox(u.id), 'inbox') as Folder).id,
        fields: { ...structuredClone(sent.fields), from, internetMessageId, conversationId, isRead: false, isDraft: false },
        extended: [],
      }),
    );
    return { sent, delivered };
  }

  createTask(userId: string, input: TaskInput, listId?: string): Item {
    const rest = taskInput.parse(input);
    const { user, box } = this.requireMailbox(userId);
    const list = listId ? box.todoLists.find((l) => l.id === listId) : box.todoLists[0];
    if (!list) throw new Error(`no To Do list ${listId} for ${userId}`);
    return this.store.insert(
      { kind: 'todoTask', mailboxId: user.id, container: list.id, fields: { body: { content: '', contentType: 'text' }, ...rest }, extended: [] },
      'AAkALg',
    );
  }

  createContactFolder(userId: string, displayName: string): Folder {
    const { box } = this.requireMailbox(userId);
    const folder: Folder = { id: newItemId('AAMkAG'), displayName };
    box.contactChildFolders.push(folder);
    return folder;
  }

  /** `POST …/tasks/{id}/linkedResources`; the task changes with it (a delta round lists it again). */
  addLinkedResource(task: Item, input: LinkedResourceInput): LinkedResource {
    const resource: LinkedResource = {
      id: newRequestId(),
      applicationName: input.applicationName ?? null,
      displayName: input.displayName ?? null,
      externalId: input.externalId ?? null,
      webUrl: input.webUrl ?? null,
    };
    task.linkedResources.push(resource);
    this.store.touch(task);
    return resource;
  }

  removeLinkedResource(task: Item, id: string): boolean {
    const index = task.linkedResources.findIndex((r) => r.id === id);
    if (index < 0) return false;
    task.linkedResources.splice(index, 1);
    this.store.touch(task);
    return true;
  }

  createTodoList(userId: string, displayName: string): Folder {
    const { box } = this.requireMailbox(userId);
    const list: Folder = { id: newItemId('AAkALg'), displayName };
    box.todoLists.push(list);
    return list;
  }

  /** Changes an item; an organizer's change to a meeting reaches the attendees' copies, as the update Exchange sends does. */
  update(item: Item, fields: Record<string, unknown>, extended?: ExtendedProperty[]): Item {
    const changed = { ...fields };
    if (item.kind === 'event' && 'recurrence' in changed) {
      if (item.fields.type === 'singleInstance' || !changed.recurrence) throw new GraphFailure(badRequest('recurrence can only be changed on a series master'));
      checkRecurrence(changed.recurrence, changed.start ?? item.fields.start);
    }
    if (item.kind === 'event') {
      for (const key of ['start', 'end'] as const) {
        const value = changed[key] as { dateTime: string; timeZone: string } | undefined;
        if (value) changed[key] = normalizeDateTime(value);
      }
    }
    this.store.update(item, changed, extended);
    if (item.kind === 'event' && item.fields.isOrganizer) {
      const propagated = Object.fromEntries(meetingFields.filter((k) => k in changed).map((k) => [k, structuredClone(changed[k])]));
      if (Object.keys(propagated).length > 0) for (const copy of this.attendeeCopies(item)) this.store.update(copy, propagated);
    }
    return item;
  }

  /**
   * Deletes one item and records it. Deleting the organizer's copy of a meeting sends cancellations:
   * every attendee's copy becomes `isCancelled` (it stays in their calendar until they remove it).
   */
  delete(userId: string, kind: ItemKind, itemId: string, actor: Actor): DeleteOutcome {
    if (kind === 'event' && parseOccurrenceId(itemId)) return this.removeOccurrence(userId, itemId, actor, 204);
    const item = this.find(userId, kind, itemId);
    const scope = this.directory.find(userId)?.id ?? userId;
    this.log.append({ at: this.clock(), side: 'graph', scope, kind, id: itemId, caller: actor.caller, via: actor.via, status: item ? 204 : 404 });
    if (!item) return 'notFound';
    if (item.kind === 'event' && item.fields.isOrganizer && !item.fields.isCancelled) this.cancelAttendeeCopies(item);
    this.store.remove(item);
    return 'deleted';
  }

  /** `POST …/events/{id}/cancel`: the organizer's copy goes, attendees' copies are marked canceled. */
  cancel(userId: string, itemId: string, actor: Actor): 'cancelled' | 'notFound' | 'notOrganizer' {
    if (parseOccurrenceId(itemId)) {
      const found = this.findOccurrence(userId, itemId);
      if (!found) return 'notFound';
      if (!found.occurrence.master.fields.isOrganizer) return 'notOrganizer';
      this.removeOccurrence(userId, itemId, actor, 202);
      return 'cancelled';
    }
    const item = this.find(userId, 'event', itemId);
    if (!item) return 'notFound';
    if (!item.fields.isOrganizer) return 'notOrganizer';
    this.cancelAttendeeCopies(item);
    this.log.append({ at: this.clock(), side: 'graph', scope: item.mailboxId, kind: 'event', id: itemId, caller: actor.caller, via: actor.via, status: 202 });
    this.store.remove(item);
    return 'cancelled';
  }

  // ---- recurring meetings -------------------------------------------------------------------------

  occurrenceState(master: Item): OccurrenceState {
    let state = this.occurrenceStates.get(master.id);
    if (!state) {
      state = emptyOccurrenceState();
      this.occurrenceStates.set(master.id, state);
    }
    return state;
  }

  /** The user's series master `masterId`, if it is one. */
  seriesMaster(userId: string, masterId: string): Item | undefined {
    const item = this.find(userId, 'event', masterId);
    return item?.fields.type === 'seriesMaster' ? item : undefined;
  }

  /** An occurrence id of the user's calendar, if the occurrence exists (not removed, inside the range). */
  findOccurrence(userId: string, occurrenceId: string): { occurrence: Occurrence; state: OccurrenceState } | undefined {
    const parsed = parseOccurrenceId(occurrenceId);
    const master = parsed && this.seriesMaster(userId, parsed.masterId);
    if (!parsed || !master) return undefined;
    const state = this.occurrenceState(master);
    if (state.removed.has(parsed.originalStart) || !originalStarts(master, parsed.originalStart).includes(parsed.originalStart)) return undefined;
    const occurrence = occurrencesOf(master, state, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY).find((o) => o.originalStart === parsed.originalStart);
    return occurrence && { occurrence, state };
  }

  /**
   * An occurrence goes from one calendar (DELETE by its owner, or the organizer's cancel). When it is the
   * organizer's copy, attendees' copies of that occurrence are marked cancelled. Graph reports it only as
   * an `updated` of the series master (microsoft-graph-docs #5520), so that is the change recorded.
   */
  private removeOccurrence(userId: string, occurrenceId: string, actor: Actor, status: number): DeleteOutcome {
    const found = this.findOccurrence(userId, occurrenceId);
    const scope = this.directory.find(userId)?.id ?? userId;
    this.log.append({ at: this.clock(), side: 'graph', scope, kind: 'event', id: occurrenceId, caller: actor.caller, via: actor.via, status: found ? status : 404 });
    if (!found) return 'notFound';
    const { occurrence, state } = found;
    state.removed.add(occurrence.originalStart);
    state.exceptions.delete(occurrence.originalStart);
    this.store.update(occurrence.master, {});
    if (occurrence.master.fields.isOrganizer) {
      for (const copy of this.attendeeCopies(occurrence.master)) {
        this.occurrenceState(copy).cancelledByOrganizer.add(occurrence.originalStart);
        this.store.update(copy, {});
      }
    }
    return 'deleted';
  }

  /** PATCH of an occurrence makes it an exception; the organizer's change reaches attendees' copies. The master is what is reported updated. */
  updateOccurrence(userId: string, occurrenceId: string, fields: Record<string, unknown>): Occurrence | undefined {
    const found = this.findOccurrence(userId, occurrenceId);
    if (!found) return undefined;
    const { occurrence } = found;
    const changed = Object.fromEntries(Object.entries(fields).filter(([k]) => meetingFields.includes(k as (typeof meetingFields)[number]) && k !== 'recurrence'));
    for (const key of ['start', 'end'] as const) if (changed[key]) changed[key] = normalizeDateTime(changed[key] as { dateTime: string; timeZone: string });
    const copies = occurrence.master.fields.isOrganizer ? [occurrence.master, ...this.attendeeCopies(occurrence.master)] : [occurrence.master];
    for (const copy of copies) {
      const state = this.occurrenceState(copy);
      state.exceptions.set(occurrence.originalStart, { ...(state.exceptions.get(occurrence.originalStart) ?? {}), ...structuredClone(changed) });
      this.store.update(copy, {});
    }
    return this.findOccurrence(userId, occurrenceId)?.occurrence;
  }

  /** Occurrences and exceptions of the user's series masters overlapping [from, to). */
  occurrencesIn(userId: string, from: number, to: number): Occurrence[] {
    return this.store
      .list(userId, 'event')
      .filter((e) => e.fields.type === 'seriesMaster')
      .flatMap((master) => occurrencesOf(master, this.occurrenceState(master), from, to));
  }

  private attendeeCopies(organizerCopy: Item): Item[] {
    return this.store.all('event').filter((e) => e.fields.iCalUId === organizerCopy.fields.iCalUId && e.id !== organizerCopy.id && !e.fields.isOrganizer);
  }

  private cancelAttendeeCopies(organizerCopy: Item): void {
    for (const copy of this.attendeeCopies(organizerCopy)) {
      if (copy.fields.isCancelled) continue;
      this.store.update(copy, { isCancelled: true, subject: `Canceled: ${String(copy.fields.subject ?? '')}` });
    }
  }

  private internalUsers(addresses: string[], exceptId: string): DirectoryUser[] {
    const seen = new Set<string>();
    const users: DirectoryUser[] = [];
    for (const address of addresses) {
      const user = this.directory.byMail(address);
      if (!user || user.isApplicationUser || user.id === exceptId || seen.has(user.id)) continue;
      seen.add(user.id);
      users.push(user);
    }
    return users;
  }
}
