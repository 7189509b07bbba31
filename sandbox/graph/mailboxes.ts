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
import type { ContactInput, EventInput, LinkedResourceInput, MessageInput, TaskInput } from './schemas.js';
import { newRequestId } from './ids.js';
import { eventInput, contactInput, messageInput, taskInput } from './schemas.js';
import type { ExtendedProperty, Folder, Item, ItemKind, ItemStore, LinkedResource, Mailbox } from './store.js';

export interface Actor {
  via: 'api' | 'user';
  /** `app:<clientId>` or `user:<id>`. */
  caller: string;
}

export type DeleteOutcome = 'deleted' | 'notFound';

const meetingFields = ['subject', 'body', 'start', 'end', 'location', 'isAllDay'] as const;

export class Mailboxes {
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
    const fields = {
      subject: '',
      body: { contentType: 'text', content: '' },
      isAllDay: false,
      isCancelled: false,
      type: 'singleInstance',
      seriesMasterId: null,
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
    const item = this.find(userId, 'event', itemId);
    if (!item) return 'notFound';
    if (!item.fields.isOrganizer) return 'notOrganizer';
    this.cancelAttendeeCopies(item);
    this.log.append({ at: this.clock(), side: 'graph', scope: item.mailboxId, kind: 'event', id: itemId, caller: actor.caller, via: actor.via, status: 202 });
    this.store.remove(item);
    return 'cancelled';
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
