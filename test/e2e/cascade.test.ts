/**
 * The cascade and the Delete-privilege row in detail: which deletes the sandbox served, as whom, and the
 * decisions behind them, ending with nothing more happening (echoes recognised by their tombstones).
 */
import { describe, expect, it } from 'vitest';
import { trackedMeeting } from '../../demo/tracked.js';
import { crmRecordKey, outlookItemKey, type DecisionRecord } from '../../src/store/decisions.js';
import { useWorld } from '../helpers/e2e-world.js';

const world = useWorld();

const byTime = (a: DecisionRecord, b: DecisionRecord) => a.decidedAt.localeCompare(b.decidedAt);


describe('cascade: the organizer deletes a future meeting in Outlook', () => {
  it('deletes the CRM record as the organizer; its Delete webhook deletes the attendees’ copies; the echoes end it', async () => {
    const w = world();
    const { olga, alice, bob } = w.users;
    const meeting = await trackedMeeting(w, 'Quarterly planning', { organizer: olga, attendees: [alice, bob], startInDays: 5 });
    const first = w.sb.deleteLog.entries().length;

    w.sb.graph.userDeletesItem(olga.id, 'event', meeting.copies.olga!.itemId);
    await w.quiesce();

    const deletes = w.sb.deleteLog.entries().slice(first).map(({ side, scope, id, caller, via, status }) => ({ side, scope, id, caller, via, status }));
    expect(deletes).toHaveLength(4);
    expect(deletes).toEqual(
      expect.arrayContaining([
        { side: 'graph', scope: olga.id, id: meeting.copies.olga!.itemId, caller: `user:${olga.id}`, via: 'user', status: 204 },
        { side: 'dataverse', scope: 'appointment', id: meeting.ref.id, caller: `user:${olga.id}`, via: 'api', status: 204 },
        { side: 'graph', scope: alice.id, id: meeting.copies.alice!.itemId, caller: `app:${w.sb.client.clientId}`, via: 'api', status: 204 },
        { side: 'graph', scope: bob.id, id: meeting.copies.bob!.itemId, caller: `app:${w.sb.client.clientId}`, via: 'api', status: 204 },
      ]),
    );
    for (const copy of Object.values(meeting.copies)) expect(w.sb.graph.item(copy.user.id, 'event', copy.itemId)).toBeUndefined();
    expect(w.sb.dataverse.exists('appointment', meeting.ref.id)).toBe(false);

    const decisions = (await w.store.decisions.listByRecord(crmRecordKey(meeting.ref), 100)).filter((d) => d.input?.change === 'deleted').sort(byTime);
    expect(decisions.map((d) => [d.input?.origin, d.ruleId, d.status])).toEqual([
      ['outlook', 'outlook.appointment.active.organizer', 'executed'],
      ['crm', 'crm.appointment.active.future', 'executed'],
    ]);
    expect(decisions[0]!.outcomes.map((o) => o.status)).toEqual(['done']);
    // The organizer's copy is already gone (the user deleted it); the attendees' copies are deleted.
    expect(decisions[1]!.outcomes.map((o) => o.status).sort()).toEqual(['done', 'done', 'skipped']);

    for (const name of ['alice', 'bob'] as const) {
      const copy = meeting.copies[name]!;
      const echoes = (await w.store.decisions.listByRecord(outlookItemKey(copy.user.id, copy.itemId), 10)).filter((d) => d.input?.change === 'deleted');
      expect(echoes.map((d) => [d.ruleId, d.status])).toEqual([['system.echo', 'echo']]);
    }

    // Nothing further: a while later the delete log, the queue and the poison queue are as they were.
    const settled = w.sb.deleteLog.entries().length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await w.quiesce();
    expect(w.sb.deleteLog.entries().length).toBe(settled);
    expect(await w.poisoned()).toBe(0);
    expect(w.sb.deleteLog.deletedTwice()).toEqual([]);
  });
});

describe('the Delete privilege, enforced by Dataverse because the service deletes as the user', () => {
  it('an organizer without Delete deletes the meeting in Outlook: the CRM record stays, the decision says denied', async () => {
    const w = world();
    const { bob, alice } = w.users;
    const meeting = await trackedMeeting(w, 'Bob’s roadmap', { organizer: bob, attendees: [alice], startInDays: 4 });
    const first = w.sb.deleteLog.entries().length;

    w.sb.graph.userDeletesItem(bob.id, 'event', meeting.copies.bob!.itemId);
    await w.quiesce();

    expect(w.sb.dataverse.exists('appointment', meeting.ref.id)).toBe(true);
    expect(w.sb.graph.item(alice.id, 'event', meeting.copies.alice!.itemId)).toBeDefined();
    const crmDeletes = w.sb.deleteLog.entries().slice(first).filter((d) => d.side === 'dataverse');
    expect(crmDeletes.map(({ id, caller, status }) => ({ id, caller, status }))).toEqual([{ id: meeting.ref.id, caller: `user:${bob.id}`, status: 403 }]);

    const [decision] = (await w.store.decisions.listByRecord(crmRecordKey(meeting.ref), 10)).filter((d) => d.input?.origin === 'outlook' && d.input.change === 'deleted');
    expect(decision?.ruleId).toBe('outlook.appointment.active.organizer');
    expect(decision?.outcomes.map(({ status, httpStatus, code }) => ({ status, httpStatus, code }))).toEqual([{ status: 'denied', httpStatus: 403, code: '0x80040220' }]);
  });

  it('a user without Delete cannot delete the meeting in CRM: nothing reaches the service, Outlook keeps every copy', async () => {
    const w = world();
    const { bob, alice } = w.users;
    const meeting = await trackedMeeting(w, 'Bob’s budget', { organizer: bob, attendees: [alice], startInDays: 4 });
    const webhooks = w.sb.dataverse.deliveries({ message: 'Delete' }).length;

    await expect(w.sb.dataverse.userDeletes(bob.systemUserId, 'appointment', meeting.ref.id)).rejects.toThrow();
    await w.quiesce();

    expect(w.sb.dataverse.exists('appointment', meeting.ref.id)).toBe(true);
    expect(w.sb.dataverse.deliveries({ message: 'Delete' }).length).toBe(webhooks);
    for (const copy of Object.values(meeting.copies)) expect(w.sb.graph.item(copy.user.id, 'event', copy.itemId)).toBeDefined();
  });
});
