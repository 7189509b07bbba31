/**
 * Every row of the deletion table (design.md §1), both directions, as plays on a running world: set up a
 * tracked record, have a person delete it on one side, wait until the service is done, and look at both
 * sides and at the decision the service recorded for that delete. The expected state is the table's;
 * the observed one is read from the sandbox (which items exist in which mailbox, whether the CRM record
 * exists) and from the decision records.
 */
import type { DecisionRecord } from '../src/store/decisions.js';
import { crmRecordKey } from '../src/store/decisions.js';
import { RECURRENCE_SCENARIOS } from './recurrence-scenarios.js';
import { trackedContact, trackedEmail, trackedMeeting, trackedTask, type Copy, type Tracked } from './tracked.js';
import type { World } from './world.js';

export type Direction = 'CRM → Outlook' | 'Outlook → CRM';

/** Whether the CRM record exists, and for each mailbox whether its copy exists. */
export interface SideState {
  crm: boolean;
  outlook: Record<string, boolean>;
}

export interface Observed extends SideState {
  /** Rule of the decision the service recorded for the delete; null when there was none. */
  ruleId: string | null;
  /** The decision's status and its targets' outcomes, e.g. `executed: done, done`. */
  outcome: string;
  /** The recorded decision, for assertions. */
  decision: DecisionRecord | null;
  /** The record and copies the play made, for assertions on what else was touched. */
  tracked: Tracked;
}

export interface Scenario {
  name: string;
  row: string;
  direction: Direction;
  /** Who does what, in words. */
  action: string;
  expected: SideState & { ruleId: string | null };
  play(world: World): Promise<Observed>;
}

interface Trigger {
  origin: 'crm' | 'outlook';
  itemId?: string;
}

/** The decision made for the triggering delete: the first one recorded for it. */
export async function decisionFor(world: World, tracked: Tracked, trigger: Trigger): Promise<DecisionRecord | null> {
  const records = await world.store.decisions.listByRecord(crmRecordKey(tracked.ref), 100);
  const matching = records.filter(
    (r) =>
      r.input?.change === 'deleted' &&
      r.input.origin === trigger.origin &&
      (trigger.itemId === undefined || r.input.outlook?.itemId === trigger.itemId),
  );
  return matching.sort((a, b) => a.decidedAt.localeCompare(b.decidedAt))[0] ?? null;
}

/** A contact counts as present when the mailbox holds one of that name: a comeback is a new item. */
function present(world: World, copy: Copy, tracked: Tracked): boolean {
  if (tracked.surname === undefined) return world.sb.graph.item(copy.user.id, copy.itemKind, copy.itemId) !== undefined;
  return world.sb.graph.items(copy.user.id, 'contact').some((c) => c.surname === tracked.surname);
}

export function sideState(world: World, tracked: Tracked): SideState {
  const outlook: Record<string, boolean> = {};
  for (const [name, copy] of Object.entries(tracked.copies)) outlook[name] = present(world, copy, tracked);
  return { crm: world.sb.dataverse.exists(tracked.ref.entity, tracked.ref.id), outlook };
}

export function outcomeText(decision: DecisionRecord | null): string {
  if (decision === null) return 'no decision';
  const outcomes = decision.outcomes.map((o) => o.status);
  return outcomes.length === 0 ? decision.status : `${decision.status}: ${outcomes.join(', ')}`;
}

export async function observe(world: World, tracked: Tracked, trigger: Trigger): Promise<Observed> {
  await world.quiesce();
  const decision = await decisionFor(world, tracked, trigger);
  return { ...sideState(world, tracked), ruleId: decision?.ruleId ?? null, outcome: outcomeText(decision), decision, tracked };
}

async function crmDelete(world: World, tracked: Tracked, by: keyof World['users']): Promise<Observed> {
  await world.sb.dataverse.userDeletes(world.users[by].systemUserId, tracked.ref.entity, tracked.ref.id);
  return observe(world, tracked, { origin: 'crm' });
}

async function outlookDelete(world: World, tracked: Tracked, by: string): Promise<Observed> {
  const copy = tracked.copies[by];
  if (!copy) throw new Error(`no copy in ${by}'s mailbox`);
  if (!world.sb.graph.userDeletesItem(copy.user.id, copy.itemKind, copy.itemId)) throw new Error(`${by}'s copy was already gone`);
  // To Do has no app-only notifications: the service finds the delete on its next poll.
  if (copy.itemKind === 'todoTask') await world.pollTodo();
  return observe(world, tracked, { origin: 'outlook', itemId: copy.itemId });
}

let serial = 0;
const subject = (what: string) => `${what} #${++serial}`;

export const SCENARIOS: Scenario[] = [
  {
    name: 'email-crm',
    row: 'Email',
    direction: 'CRM → Outlook',
    action: 'Olga deletes the tracked e-mail in CRM',
    expected: { crm: false, outlook: { olga: true, alice: true }, ruleId: 'crm.email' },
    play: async (w) => crmDelete(w, await trackedEmail(w, subject('Proposal'), w.users.olga, w.users.alice), 'olga'),
  },
  {
    name: 'email-outlook',
    row: 'Email',
    direction: 'Outlook → CRM',
    action: 'Olga deletes her sent copy in Outlook',
    expected: { crm: true, outlook: { olga: false, alice: true }, ruleId: 'outlook.email' },
    play: async (w) => outlookDelete(w, await trackedEmail(w, subject('Quote'), w.users.olga, w.users.alice), 'olga'),
  },
  {
    name: 'appointment-future-crm',
    row: 'Active appointment, future',
    direction: 'CRM → Outlook',
    action: 'Olga deletes a future meeting in CRM',
    expected: { crm: false, outlook: { olga: false, alice: false, bob: false }, ruleId: 'crm.appointment.active.future' },
    play: async (w) => crmDelete(w, await trackedMeeting(w, subject('Review'), { organizer: w.users.olga, attendees: [w.users.alice, w.users.bob], startInDays: 2 }), 'olga'),
  },
  {
    name: 'appointment-past-crm',
    row: 'Active appointment, past',
    direction: 'CRM → Outlook',
    action: 'Olga deletes a meeting that already took place in CRM',
    expected: { crm: false, outlook: { olga: true, alice: true, bob: true }, ruleId: 'crm.appointment.active.past' },
    play: async (w) => crmDelete(w, await trackedMeeting(w, subject('Kick-off'), { organizer: w.users.olga, attendees: [w.users.alice, w.users.bob], startInDays: -2 }), 'olga'),
  },
  {
    name: 'appointment-organizer-outlook',
    row: 'Active appointment, organizer',
    direction: 'Outlook → CRM',
    action: 'Olga (organizer) deletes a future meeting in Outlook',
    expected: { crm: false, outlook: { olga: false, alice: false, bob: false }, ruleId: 'outlook.appointment.active.organizer' },
    play: async (w) => outlookDelete(w, await trackedMeeting(w, subject('Planning'), { organizer: w.users.olga, attendees: [w.users.alice, w.users.bob], startInDays: 3 }), 'olga'),
  },
  {
    name: 'appointment-attendee-outlook',
    row: 'Active appointment, attendee',
    direction: 'Outlook → CRM',
    action: 'Alice (attendee) deletes her copy of a meeting in Outlook',
    expected: { crm: true, outlook: { olga: true, alice: false, bob: true }, ruleId: 'outlook.appointment.active.attendee' },
    play: async (w) => outlookDelete(w, await trackedMeeting(w, subject('Sync'), { organizer: w.users.olga, attendees: [w.users.alice, w.users.bob], startInDays: 3 }), 'alice'),
  },
  {
    name: 'appointment-inactive-crm',
    row: 'Completed / Canceled appointment',
    direction: 'CRM → Outlook',
    action: 'Olga deletes a completed meeting in CRM',
    expected: { crm: false, outlook: { olga: true, alice: true }, ruleId: 'crm.appointment.inactive' },
    play: async (w) => crmDelete(w, await trackedMeeting(w, subject('Debrief'), { organizer: w.users.olga, attendees: [w.users.alice], startInDays: 1, statecode: 1 }), 'olga'),
  },
  {
    name: 'appointment-inactive-outlook',
    row: 'Completed / Canceled appointment',
    direction: 'Outlook → CRM',
    action: 'Olga deletes a canceled meeting in Outlook',
    expected: { crm: true, outlook: { olga: false, alice: true }, ruleId: 'outlook.appointment.inactive' },
    play: async (w) => outlookDelete(w, await trackedMeeting(w, subject('Offsite'), { organizer: w.users.olga, attendees: [w.users.alice], startInDays: 1, statecode: 2 }), 'olga'),
  },
  {
    name: 'task-open-crm',
    row: 'Open task',
    direction: 'CRM → Outlook',
    action: 'Olga deletes her open task in CRM',
    expected: { crm: false, outlook: { olga: false }, ruleId: 'crm.task.active' },
    play: async (w) => crmDelete(w, await trackedTask(w, subject('Call back'), w.users.olga, false), 'olga'),
  },
  {
    name: 'task-open-outlook',
    row: 'Open task',
    direction: 'Outlook → CRM',
    action: 'Olga deletes her open task in To Do',
    expected: { crm: false, outlook: { olga: false }, ruleId: 'outlook.task.active' },
    play: async (w) => outlookDelete(w, await trackedTask(w, subject('Send contract'), w.users.olga, false), 'olga'),
  },
  {
    name: 'task-done-crm',
    row: 'Completed / Canceled task',
    direction: 'CRM → Outlook',
    action: 'Olga deletes a completed task in CRM',
    expected: { crm: false, outlook: { olga: true }, ruleId: 'crm.task.inactive' },
    play: async (w) => crmDelete(w, await trackedTask(w, subject('Book room'), w.users.olga, true), 'olga'),
  },
  {
    name: 'task-done-outlook',
    row: 'Completed / Canceled task',
    direction: 'Outlook → CRM',
    action: 'Olga deletes a completed task in To Do',
    expected: { crm: true, outlook: { olga: false }, ruleId: 'outlook.task.inactive' },
    play: async (w) => outlookDelete(w, await trackedTask(w, subject('Order badges'), w.users.olga, true), 'olga'),
  },
  {
    name: 'contact-crm',
    row: 'Contact',
    direction: 'CRM → Outlook',
    action: 'Alice deletes a contact she owns in CRM',
    expected: { crm: false, outlook: { alice: true, olga: false }, ruleId: 'crm.contact' },
    play: async (w) => crmDelete(w, await trackedContact(w, `Nguyen${++serial}`, w.users.alice, w.users.olga), 'alice'),
  },
  {
    name: 'contact-outlook',
    row: 'Contact',
    direction: 'Outlook → CRM',
    action: "Alice (owner) deletes the contact in Outlook; later someone edits it in CRM",
    expected: { crm: true, outlook: { alice: true, olga: true }, ruleId: 'outlook.contact' },
    play: async (w) => {
      const lastname = `Okafor${++serial}`;
      const tracked = await trackedContact(w, lastname, w.users.alice, w.users.olga);
      const deleted = await outlookDelete(w, tracked, 'alice');
      await w.sb.dataverse.userUpdates(w.users.olga.systemUserId, 'contact', tracked.ref.id, { telephone1: '+1 555 0100' });
      const after = await observe(w, tracked, { origin: 'outlook', itemId: tracked.copies.alice!.itemId });
      const back = !deleted.outlook.alice && after.outlook.alice;
      return { ...after, outcome: `${deleted.outcome}${back ? '; back in her mailbox after the CRM edit' : ''}` };
    },
  },
  {
    name: 'privilege-outlook',
    row: 'Active appointment, organizer without Delete',
    direction: 'Outlook → CRM',
    action: 'Bob (no Delete privilege) deletes the future meeting he organizes in Outlook',
    expected: { crm: true, outlook: { bob: false, alice: true }, ruleId: 'outlook.appointment.active.organizer' },
    play: async (w) => outlookDelete(w, await trackedMeeting(w, subject('Bob\'s demo'), { organizer: w.users.bob, attendees: [w.users.alice], startInDays: 2 }), 'bob'),
  },
  {
    name: 'privilege-crm',
    row: 'Active appointment, organizer without Delete',
    direction: 'CRM → Outlook',
    action: 'Bob (no Delete privilege) tries to delete his meeting in CRM',
    expected: { crm: true, outlook: { bob: true, alice: true }, ruleId: null },
    play: async (w) => {
      const tracked = await trackedMeeting(w, subject('Bob\'s review'), { organizer: w.users.bob, attendees: [w.users.alice], startInDays: 2 });
      const refused = await w.sb.dataverse.userDeletes(w.users.bob.systemUserId, 'appointment', tracked.ref.id).then(
        () => false,
        () => true,
      );
      const observed = await observe(w, tracked, { origin: 'crm' });
      return { ...observed, outcome: refused ? 'refused by Dataverse (0x80040220)' : observed.outcome };
    },
  },
  ...RECURRENCE_SCENARIOS,
];

/** Whether what was observed is what the table expects. */
export function matches(scenario: Scenario, observed: Observed): boolean {
  const { expected } = scenario;
  return (
    observed.ruleId === expected.ruleId &&
    observed.crm === expected.crm &&
    Object.entries(expected.outlook).every(([name, exists]) => observed.outlook[name] === exists)
  );
}

/** Both sides in a few words: `CRM kept · olga kept, alice gone`. */
export function describeState(state: SideState): string {
  const mailboxes = Object.entries(state.outlook).map(([name, exists]) => `${name} ${exists ? 'kept' : 'gone'}`);
  return `CRM ${state.crm ? 'kept' : 'gone'} · ${mailboxes.join(', ')}`;
}
