/**
 * Mailbox contents: items of four kinds in their containers (calendar, contact folder, mail folder,
 * To Do list), with a change log that delta queries and change notifications both read from.
 */
import { etagOf, newChangeKey, newItemId } from './ids.js';

export type ItemKind = 'event' | 'contact' | 'message' | 'todoTask';
export type ChangeType = 'created' | 'updated' | 'deleted';

export interface ExtendedProperty {
  id: string;
  value: string;
}

/** A To Do task's link to an item in another app ("linkedResource resource type"). */
export interface LinkedResource {
  id: string;
  applicationName: string | null;
  displayName: string | null;
  externalId: string | null;
  webUrl: string | null;
}

export interface Item {
  kind: ItemKind;
  id: string;
  mailboxId: string;
  /** Calendar, contact folder, mail folder or To Do list id. */
  container: string;
  fields: Record<string, unknown>;
  extended: ExtendedProperty[];
  /** To Do tasks only. */
  linkedResources: LinkedResource[];
  changeKey: string;
  createdAt: number;
  modifiedAt: number;
}

export interface Change {
  seq: number;
  changeType: ChangeType;
  kind: ItemKind;
  mailboxId: string;
  container: string;
  id: string;
  etag: string;
}

export interface Folder {
  id: string;
  displayName: string;
  wellKnownName?: string;
}

export interface Mailbox {
  userId: string;
  calendar: Folder;
  /** The default Contacts folder (`/contacts`). */
  contactFolder: Folder;
  /** Folders inside it (what `GET /contactFolders` lists). */
  contactChildFolders: Folder[];
  mailFolders: Folder[];
  todoLists: Folder[];
}

const mailFolderNames: [string, string][] = [
  ['inbox', 'Inbox'],
  ['sentitems', 'Sent Items'],
  ['drafts', 'Drafts'],
  ['deleteditems', 'Deleted Items'],
];

export class ItemStore {
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly items = new Map<string, Item>();
  private readonly changes: Change[] = [];
  private seq = 0;
  private readonly listeners: ((change: Change, item: Item) => void)[] = [];

  constructor(private readonly clock: () => number) {}

  onChange(listener: (change: Change, item: Item) => void): void {
    this.listeners.push(listener);
  }

  mailbox(userId: string): Mailbox {
    let box = this.mailboxes.get(userId);
    if (!box) {
      box = {
        userId,
        calendar: { id: newItemId('AAMkAG'), displayName: 'Calendar', wellKnownName: 'calendar' },
        contactFolder: { id: newItemId('AAMkAG'), displayName: 'Contacts', wellKnownName: 'contacts' },
        contactChildFolders: [],
        mailFolders: mailFolderNames.map(([wellKnownName, displayName]) => ({ id: newItemId('AQMkAD'), displayName, wellKnownName })),
        todoLists: [{ id: newItemId('AAkALg'), displayName: 'Tasks', wellKnownName: 'defaultList' }],
      };
      this.mailboxes.set(userId, box);
    }
    return box;
  }

  /** Mail folders are addressed by id or well-known name (`inbox`, `sentitems`, …). */
  mailFolder(box: Mailbox, idOrName: string): Folder | undefined {
    const key = idOrName.toLowerCase();
    return box.mailFolders.find((f) => f.id === idOrName || f.wellKnownName === key);
  }

  get(id: string): Item | undefined {
    return this.items.get(id);
  }

  list(mailboxId: string, kind: ItemKind, container?: string): Item[] {
    return [...this.items.values()].filter((i) => i.mailboxId === mailboxId && i.kind === kind && (container === undefined || i.container === container));
  }

  /** All items of a kind across mailboxes (meetings are found by iCalUId in every participant's mailbox). */
  all(kind: ItemKind): Item[] {
    return [...this.items.values()].filter((i) => i.kind === kind);
  }

  insert(item: Omit<Item, 'id' | 'changeKey' | 'createdAt' | 'modifiedAt' | 'linkedResources'>, idPrefix?: 'AAMkAG' | 'AAkALg'): Item {
    const now = this.clock();
    const full: Item = { ...item, linkedResources: [], id: newItemId(idPrefix), changeKey: newChangeKey(), createdAt: now, modifiedAt: now };
    this.items.set(full.id, full);
    this.record('created', full);
    return full;
  }

  /** A change to an item's related objects (linked resources) that changes the item, as Graph records it. */
  touch(item: Item): void {
    item.changeKey = newChangeKey();
    item.modifiedAt = this.clock();
    this.record('updated', item);
  }

  update(item: Item, fields: Record<string, unknown>, extended?: ExtendedProperty[]): Item {
    Object.assign(item.fields, fields);
    if (extended) {
      for (const prop of extended) {
        const existing = item.extended.find((p) => p.id.toLowerCase() === prop.id.toLowerCase());
        if (existing) existing.value = prop.value;
        else item.extended.push({ ...prop });
      }
    }
    item.changeKey = newChangeKey();
    item.modifiedAt = this.clock();
    this.record('updated', item);
    return item;
  }

  remove(item: Item): void {
    this.items.delete(item.id);
    this.record('deleted', item);
  }

  currentSeq(): number {
    return this.seq;
  }

  /** Changes in (fromSeq, toSeq] for a mailbox, kind and optionally container. */
  changesBetween(mailboxId: string, kind: ItemKind, container: string | undefined, fromSeq: number, toSeq: number): Change[] {
    return this.changes.filter(
      (c) => c.seq > fromSeq && c.seq <= toSeq && c.mailboxId === mailboxId && c.kind === kind && (container === undefined || c.container === container),
    );
  }

  private record(changeType: ChangeType, item: Item): void {
    this.seq += 1;
    const change: Change = { seq: this.seq, changeType, kind: item.kind, mailboxId: item.mailboxId, container: item.container, id: item.id, etag: etagOf(item.changeKey) };
    this.changes.push(change);
    for (const listener of this.listeners) listener(change, item);
  }
}
