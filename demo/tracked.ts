/**
 * Tracked records for the demo and the end-to-end tests: one CRM record and its Outlook copies, made the
 * way a real tenant has them, and linked by the service itself through the paths a real tenant supports
 * (docs/operator-guide.md § Linking) — never written into its store here:
 * - meeting: the CRM appointment's `globalobjectid` is the Outlook iCalUId (as server-side sync keeps
 *   it); the CRM Create webhook makes the service find the copies by iCalUId in the parties' mailboxes.
 * - e-mail: the CRM e-mail's `messageid` is the sent mail's internetMessageId; the created
 *   notifications make the service match each copy by it.
 * - task: the To Do copy carries this service's linkedResource (applicationName, externalId = the CRM
 *   activityid), written through Graph by the tracker that made the copy; the To Do poll learns it.
 * - contact: each Outlook copy carries this service's CRM-id extended property, written through Graph
 *   by the tracker; the updated notifications make the service learn it (checked against CRM).
 * The tracker writes with the service's own app registration, as a deployment's provisioning does.
 */
import type { DirectoryUser, ItemKind } from '../sandbox/index.js';
import type { CrmRef } from '../src/domain/event.js';
import type { LinkRole } from '../src/domain/link.js';
import { writeMarker } from '../src/links/markers.js';
import type { World } from './world.js';

const DAY_MS = 86_400_000;

export interface Copy {
  user: DirectoryUser;
  itemKind: ItemKind;
  itemId: string;
  listId: string | null;
}

export interface Tracked {
  ref: CrmRef;
  /** The Outlook copies by the name of the mailbox owner (olga, alice, bob). */
  copies: Record<string, Copy>;
  /** Contacts: the surname a copy is recognised by (a contact that comes back is a new item). */
  surname?: string;
}

const systemUser = (u: DirectoryUser) => ({ logicalName: 'systemuser', id: u.systemUserId });

function graphTime(ms: number) {
  return { dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' };
}

function nameOf(world: World, user: DirectoryUser): string {
  const found = Object.entries(world.users).find(([, u]) => u.id === user.id);
  if (!found) throw new Error(`${user.displayName} is not one of the world's users`);
  return found[0];
}

function graphOf(world: World) {
  const graph = world.composed.clients?.graph;
  if (!graph) throw new Error('the service was composed without a Graph client');
  return graph;
}

/** Waits until the service has linked every copy to the record (it learns them on its own), then names them. */
async function finish(world: World, ref: CrmRef, copies: [Copy, LinkRole][]): Promise<Tracked> {
  await world.quiesce();
  for (const [copy] of copies) {
    const link = await world.store.links.getByItem(copy.user.id, copy.itemId);
    if (link?.crm.id.toLowerCase() !== ref.id.toLowerCase()) {
      throw new Error(`the service did not link ${copy.user.displayName}'s ${copy.itemKind} to ${ref.entity} ${ref.id} (link: ${JSON.stringify(link?.crm ?? null)})`);
    }
  }
  return { ref, copies: Object.fromEntries(copies.map(([copy]) => [nameOf(world, copy.user), copy])) };
}

export interface MeetingOptions {
  organizer: DirectoryUser;
  attendees: DirectoryUser[];
  /** Days from now to the start; negative = in the past. */
  startInDays: number;
  /** CRM state: 3 Scheduled (default), 0 Open, 1 Completed, 2 Canceled. */
  statecode?: number;
  /** Required attendees known to CRM only by address (unresolved parties, no mailbox here); a few hundred push the webhooks past 256 KB. */
  guests?: string[];
}

export async function trackedMeeting(world: World, subject: string, options: MeetingOptions): Promise<Tracked> {
  const { sb } = world;
  const start = Date.now() + options.startInDays * DAY_MS;
  const event = sb.graph.createEvent(options.organizer.id, {
    subject,
    start: graphTime(start),
    end: graphTime(start + 3_600_000),
    attendees: options.attendees.map((a) => ({ emailAddress: { address: a.mail, name: a.displayName }, type: 'required' as const })),
  });
  const iCalUId = String(event.iCalUId);
  const id = await sb.dataverse.createAppointment({
    subject,
    start,
    end: start + 3_600_000,
    statecode: options.statecode ?? 3,
    organizer: systemUser(options.organizer),
    requiredAttendees: [...options.attendees.map(systemUser), ...(options.guests ?? []).map((address) => ({ address }))],
    globalobjectid: iCalUId,
  });
  const copies = sb.graph.meetingCopies(iCalUId).map(({ userId, event: e }): [Copy, LinkRole] => {
    const user = options.organizer.id === userId ? options.organizer : (options.attendees.find((a) => a.id === userId) as DirectoryUser);
    return [{ user, itemKind: 'event', itemId: String(e.id), listId: null }, user === options.organizer ? 'organizer' : 'attendee'];
  });
  return finish(world, { entity: 'appointment', id }, copies);
}

export async function trackedTask(world: World, subject: string, owner: DirectoryUser, completed: boolean): Promise<Tracked> {
  const { sb } = world;
  const list = sb.graph.defaultTodoList(owner.id);
  const task = sb.graph.createTask(owner.id, { title: subject, status: completed ? 'completed' : 'notStarted' }, list.id);
  const id = await sb.dataverse.createTask({ subject, ownerId: owner.systemUserId, statecode: completed ? 1 : 0 });
  const webUrl = `${sb.dataverseUrl}/main.aspx?etn=task&id=${id}&pagetype=entityrecord`;
  await writeMarker(graphOf(world), { userId: owner.id, itemKind: 'todoTask', itemId: String(task.id), listId: list.id }, { entity: 'task', id }, { displayName: subject, webUrl });
  // To Do has no app-only notifications: the service's poll finds the task changed and reads its mark.
  await world.pollTodo();
  return finish(world, { entity: 'task', id }, [[{ user: owner, itemKind: 'todoTask', itemId: String(task.id), listId: list.id }, 'owner']]);
}

export async function trackedEmail(world: World, subject: string, from: DirectoryUser, to: DirectoryUser): Promise<Tracked> {
  const { sb } = world;
  // A CRM e-mail sent through Exchange: CRM's messageid is the message's internetMessageId.
  const messageid = `<${subject.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${Date.now().toString(36)}@${from.mail.split('@')[1] ?? 'contoso.test'}>`;
  const id = await sb.dataverse.createEmail({ subject, ownerId: from.systemUserId, messageid, from: systemUser(from), to: [systemUser(to)] });
  const { sent, delivered } = sb.graph.sendMail(from.id, { subject, internetMessageId: messageid, toRecipients: [{ emailAddress: { address: to.mail } }] });
  const received = delivered[0];
  if (!received) throw new Error('the e-mail was not delivered');
  return finish(world, { entity: 'email', id }, [
    [{ user: from, itemKind: 'message', itemId: String(sent.id), listId: null }, 'owner'],
    [{ user: to, itemKind: 'message', itemId: String(received.id), listId: null }, 'other'],
  ]);
}

/** A CRM contact owned by `owner`, with copies in the owner's and in `other`'s mailbox. */
export async function trackedContact(world: World, lastname: string, owner: DirectoryUser, other: DirectoryUser): Promise<Tracked> {
  const { sb } = world;
  const input = { givenName: 'Carla', surname: lastname, emailAddresses: [{ address: `carla.${lastname.toLowerCase()}@fabrikam.test` }] };
  const ownerCopy = sb.graph.createContact(owner.id, input);
  const otherCopy = sb.graph.createContact(other.id, input);
  const id = await sb.dataverse.createContact({ firstname: 'Carla', lastname, emailaddress1: input.emailAddresses[0]!.address, ownerId: owner.systemUserId });
  for (const [user, copy] of [[owner, ownerCopy], [other, otherCopy]] as const) {
    await writeMarker(graphOf(world), { userId: user.id, itemKind: 'contact', itemId: String(copy.id), listId: null }, { entity: 'contact', id }, { displayName: lastname, webUrl: null });
  }
  const tracked = await finish(world, { entity: 'contact', id }, [
    [{ user: owner, itemKind: 'contact', itemId: String(ownerCopy.id), listId: null }, 'owner'],
    [{ user: other, itemKind: 'contact', itemId: String(otherCopy.id), listId: null }, 'other'],
  ]);
  return { ...tracked, surname: lastname };
}
