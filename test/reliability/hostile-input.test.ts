/**
 * Hostile input against the running service (issue 13): a webhook-key holder's forged Delete of a record
 * the service never saw, naming an untracked meeting's globalobjectid, and a notification signed with one
 * subscription's clientState but naming another mailbox. Nothing may be deleted anywhere.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { optionSet, reconstructedDelete, setColumn, xrmDate } from '../unit/domain/dataverse-bodies.js';
import { startReliabilityWorld, type ReliabilityWorld } from '../helpers/reliability-world.js';

let world: ReliabilityWorld;
beforeAll(async () => {
  world = await startReliabilityWorld({ users: 3 });
}, 120_000);
afterAll(async () => world?.close());

const DAY_MS = 86_400_000;
const graphTime = (ms: number) => ({ dateTime: new Date(ms).toISOString().slice(0, 19), timeZone: 'UTC' });

describe('hostile input deletes nothing', () => {
  it("a forged Delete of a never-seen record naming another person's meeting; a notification for another mailbox", async () => {
    const [owner, guest, outsider] = world.users as [ReliabilityWorld['users'][number], ReliabilityWorld['users'][number], ReliabilityWorld['users'][number]];
    const start = Date.now() + 3 * DAY_MS;
    const meeting = world.sb.graph.createEvent(owner.id, { subject: 'Never tracked', start: graphTime(start), end: graphTime(start + 3_600_000), attendees: [{ emailAddress: { address: guest.mail }, type: 'required' }] });
    const iCalUId = String(meeting.iCalUId);
    await world.quiesce();
    const before = world.sb.deleteLog.entries({ side: 'graph' }).length;

    // The key holder's Delete: a record id nobody saw, the meeting's organizer named in the pre-image.
    const recordId = randomUUID();
    let body = setColumn(setColumn(reconstructedDelete(), 'globalobjectid', iCalUId), 'scheduledstart', xrmDate(new Date(start)));
    body = setColumn(body, 'statecode', optionSet(3));
    const forged = JSON.stringify({ ...body, OperationId: randomUUID() })
      .replaceAll('00000000-0000-0000-0000-0000000a0001', recordId)
      .replaceAll('00000000-0000-0000-0000-0000000000a1', owner.systemUserId);
    const res = await fetch(`${world.service.url}/api/dataverse/webhook?code=${encodeURIComponent(world.env.DATAVERSE_WEBHOOK_KEY!)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: forged,
    });
    expect(res.status).toBe(202);

    // One subscription's clientState, another mailbox's item.
    const [sub] = world.sb.graph.listSubscriptions().filter((s) => s.mailboxId === outsider.id);
    const stored = await world.store.subscriptions.get(sub!.id);
    const copy = world.sb.graph.meetingCopies(iCalUId).find((c) => c.userId === owner.id)!;
    const notification = {
      value: [{ subscriptionId: sub!.id, clientState: stored!.clientState, changeType: 'deleted', resource: `Users/${owner.id}/Events/${copy.event.id}`, resourceData: { id: copy.event.id }, tenantId: world.sb.tenantId }],
    };
    const spoof = await fetch(`${world.service.url}/api/graph/notifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification) });
    expect(spoof.status).toBe(202);
    await world.quiesce();

    expect(world.sb.graph.meetingCopies(iCalUId)).toHaveLength(2);
    expect(world.sb.deleteLog.entries({ side: 'graph' }).length).toBe(before);
    const decisions = await world.decisions();
    expect(decisions.find((d) => d.input?.crm?.id === recordId)).toMatchObject({ ruleId: 'crm.appointment.never-seen', action: 'skip', targets: [] });
    expect(decisions.some((d) => d.input?.outlook?.itemId === copy.event.id && d.input?.change === 'deleted')).toBe(false);
  });
});
