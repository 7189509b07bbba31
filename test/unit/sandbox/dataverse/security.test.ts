import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

async function aliceMeeting(): Promise<string> {
  const start = Date.now() + 86_400_000;
  return h.server.state.createAppointment({
    subject: 'Review',
    start,
    end: start + 1_800_000,
    organizer: { logicalName: 'systemuser', id: h.alice.systemUserId },
    requiredAttendees: [{ logicalName: 'systemuser', id: h.bob.systemUserId }],
  });
}

describe('Dataverse sandbox: impersonation and privileges', () => {
  it('runs as the CallerObjectId user when the app may act on behalf of others', async () => {
    const response = await h.api('GET', 'WhoAmI', { headers: { CallerObjectId: h.alice.id } });
    expect(response.body.UserId).toBe(h.alice.systemUserId);
  });

  it('refuses impersonation with 403 0x80040220 to an app without prvActOnBehalfOfAnotherUser', async () => {
    const id = await aliceMeeting();
    const response = await h.api('DELETE', `appointments(${id})`, { token: h.plainToken, headers: { CallerObjectId: h.alice.id } });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('0x80040220');
    expect(response.body.error.message).toContain('prvActOnBehalfOfAnotherUser');
    expect(h.server.state.exists('appointment', id)).toBe(true);
  });

  it('refuses a delete as a user without the Delete privilege with 403 0x80040220, and logs it', async () => {
    const id = await aliceMeeting();
    const response = await h.api('DELETE', `appointments(${id})`, { headers: { CallerObjectId: h.bob.id } });
    expect(response.status).toBe(403);
    expect(response.body.error).toEqual({ code: '0x80040220', message: expect.stringContaining('prvDeleteActivity') });
    expect(h.server.state.exists('appointment', id)).toBe(true);
    expect(h.ctx.log.entries({ id })).toEqual([expect.objectContaining({ status: 403, caller: `user:${h.bob.id}`, via: 'api', scope: 'appointment' })]);
  });

  it('deletes as a user who holds Delete, recording the impersonated caller', async () => {
    const id = await aliceMeeting();
    expect((await h.api('DELETE', `appointments(${id})`, { headers: { CallerObjectId: h.alice.id } })).status).toBe(204);
    expect(h.server.state.exists('appointment', id)).toBe(false);
    expect(h.ctx.log.entries({ id, status: 204 })).toEqual([expect.objectContaining({ caller: `user:${h.alice.id}` })]);
  });

  it('applies the same privilege check to a user deleting in the CRM UI', async () => {
    const id = await aliceMeeting();
    await expect(h.server.state.userDeletes(h.bob.systemUserId, 'appointment', id)).rejects.toMatchObject({ status: 403, code: '0x80040220' });
    await h.server.state.userDeletes(h.alice.systemUserId, 'appointment', id);
    expect(h.ctx.log.entries({ id }).map((e) => [e.status, e.via])).toEqual([
      [403, 'user'],
      [204, 'user'],
    ]);
  });

  it('answers RetrievePrincipalAccess with DeleteAccess only for users holding Delete', async () => {
    const id = await aliceMeeting();
    const target = encodeURIComponent(`{'@odata.id':'appointments(${id})'}`);
    const alice = await h.api('GET', `systemusers(${h.alice.systemUserId})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)?@t=${target}`);
    expect(alice.status).toBe(200);
    expect(alice.body.AccessRights.split(', ')).toContain('DeleteAccess');
    const bob = await h.api('GET', `systemusers(${h.bob.systemUserId})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)?@t=${target}`);
    expect(bob.body.AccessRights.split(', ')).toEqual(expect.arrayContaining(['ReadAccess', 'WriteAccess']));
    expect(bob.body.AccessRights).not.toContain('DeleteAccess');
    const gone = encodeURIComponent(JSON.stringify({ '@odata.id': 'appointments(00000000-0000-4000-8000-000000000009)' }));
    expect((await h.api('GET', `systemusers(${h.bob.systemUserId})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)?@t=${gone}`)).status).toBe(404);
  });
});

describe('Dataverse sandbox: the intersection of privileges under impersonation', () => {
  const reset = () => {
    h.server.state.security.set(h.app.systemUserId, 'prvDeleteActivity', { depth: 'Global', via: 'role' });
    h.server.state.security.set(h.app.systemUserId, 'prvActOnBehalfOfAnotherUser', { depth: 'Global', via: 'role' });
    h.server.state.security.set(h.alice.systemUserId, 'prvDeleteActivity', { depth: 'Global', via: 'role' });
    h.server.state.security.set(h.app.systemUserId, 'prvReadActivity', { depth: 'Global', via: 'role' });
    h.server.state.security.set(h.alice.systemUserId, 'prvReadActivity', { depth: 'Global', via: 'role' });
  };
  afterEach(reset);

  it('refuses with 0x80040220 when the application user lacks Delete, naming the impersonated user', async () => {
    h.server.state.security.set(h.app.systemUserId, 'prvDeleteActivity', null);
    const id = await aliceMeeting();
    const response = await h.api('DELETE', `appointments(${id})`, { headers: { CallerObjectId: h.alice.id } });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('0x80040220');
    expect(response.body.error.message).toContain(h.alice.systemUserId);
    expect(h.server.state.exists('appointment', id)).toBe(true);
  });

  it('refuses with 0x80048306 when a Delete depth (of either user) does not reach the record', async () => {
    const bobsMeeting = await h.server.state.createAppointment({ subject: 'Bob owns it', start: Date.now() + 86_400_000, end: Date.now() + 90_000_000, organizer: { logicalName: 'systemuser', id: h.bob.systemUserId } });
    h.server.state.security.set(h.alice.systemUserId, 'prvDeleteActivity', { depth: 'Basic', via: 'role' });
    const byAlice = await h.api('DELETE', `appointments(${bobsMeeting})`, { headers: { CallerObjectId: h.alice.id } });
    expect(byAlice.status).toBe(403);
    expect(byAlice.body.error).toEqual({ code: '0x80048306', message: expect.stringContaining('does not have DeleteAccess right(s) for record') });
    reset();
    h.server.state.security.set(h.app.systemUserId, 'prvDeleteActivity', { depth: 'Basic', via: 'role' });
    const own = await aliceMeeting();
    expect((await h.api('DELETE', `appointments(${own})`, { headers: { CallerObjectId: h.alice.id } })).body.error.code).toBe('0x80048306');
    expect(h.server.state.exists('appointment', own)).toBe(true);
  });

  it('refuses a single read with 403 0x80048306 when Read’s depth does not reach the record, and leaves it out of a collection', async () => {
    const bobs = await h.server.state.createAppointment({ subject: 'Bob owns it', start: Date.now() + 86_400_000, end: Date.now() + 90_000_000, organizer: { logicalName: 'systemuser', id: h.bob.systemUserId } });
    const own = await aliceMeeting();
    h.server.state.security.set(h.alice.systemUserId, 'prvReadActivity', { depth: 'Basic', via: 'role' });
    const asAlice = { headers: { CallerObjectId: h.alice.id } };
    const single = await h.api('GET', `appointments(${bobs})?$select=subject`, asAlice);
    expect(single.status).toBe(403);
    expect(single.body.error).toEqual({ code: '0x80048306', message: expect.stringContaining(`does not have ReadAccess right(s) for record with id ${bobs}`) });
    expect((await h.api('GET', `appointments(${bobs})/appointment_activity_parties`, asAlice)).body.error.code).toBe('0x80048306');
    expect((await h.api('GET', `appointments(${own})?$select=subject`, asAlice)).status).toBe(200);
    const listed = await h.api('GET', 'appointments?$select=activityid', asAlice);
    expect(listed.status).toBe(200);
    const ids = (listed.body.value as { activityid: string }[]).map((r) => r.activityid);
    expect(ids).toContain(own);
    expect(ids).not.toContain(bobs);
    // At Organization depth (the default here) the same reads reach Bob's meeting.
    reset();
    expect((await h.api('GET', `appointments(${bobs})?$select=subject`, asAlice)).status).toBe(200);
  });

  it('applies the application user’s Read depth too, with or without impersonation', async () => {
    const own = await aliceMeeting();
    h.server.state.security.set(h.app.systemUserId, 'prvReadActivity', { depth: 'Basic', via: 'role' });
    expect((await h.api('GET', `appointments(${own})?$select=subject`, { headers: { CallerObjectId: h.alice.id } })).body.error.code).toBe('0x80048306');
    expect((await h.api('GET', `appointments(${own})?$select=subject`)).body.error.code).toBe('0x80048306');
    const listed = await h.api('GET', 'appointments?$select=activityid');
    expect((listed.body.value as { activityid: string }[]).map((r) => r.activityid)).not.toContain(own);
  });

  it('does not let prvActOnBehalfOfAnotherUser inherited through a team impersonate, though RetrieveUserPrivileges lists it', async () => {
    h.server.state.security.set(h.app.systemUserId, 'prvActOnBehalfOfAnotherUser', { depth: 'Global', via: 'team' });
    const response = await h.api('GET', 'WhoAmI', { headers: { CallerObjectId: h.alice.id } });
    expect(response.status).toBe(403);
    expect(response.body.error).toEqual({ code: '0x80040220', message: expect.stringContaining('prvActOnBehalfOfAnotherUser') });
    const privileges = await h.api('GET', `systemusers(${h.app.systemUserId})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()`);
    expect(privileges.status).toBe(200);
    expect(privileges.body.RolePrivileges).toEqual(expect.arrayContaining([
      { BusinessUnitId: h.server.state.organization.businessUnitId, Depth: 'Global', PrivilegeId: expect.any(String), PrivilegeName: 'prvActOnBehalfOfAnotherUser' },
    ]));
  });

  it('answers RetrievePrincipalAccess by depth: ReadAccess and DeleteAccess on own records only at Basic depth', async () => {
    h.server.state.security.set(h.alice.systemUserId, 'prvDeleteActivity', { depth: 'Basic', via: 'role' });
    h.server.state.security.set(h.alice.systemUserId, 'prvReadActivity', { depth: 'Basic', via: 'role' });
    const own = await aliceMeeting();
    const bobs = await h.server.state.createAppointment({ subject: 'Bob owns it', start: Date.now() + 86_400_000, end: Date.now() + 90_000_000, organizer: { logicalName: 'systemuser', id: h.bob.systemUserId } });
    const rights = async (id: string) => {
      const target = encodeURIComponent(`{'@odata.id':'appointments(${id})'}`);
      return (await h.api('GET', `systemusers(${h.alice.systemUserId})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@t)?@t=${target}`)).body.AccessRights as string;
    };
    expect(await rights(own)).toContain('DeleteAccess');
    expect(await rights(bobs)).not.toContain('DeleteAccess');
    expect(await rights(own)).toContain('ReadAccess');
    expect(await rights(bobs)).not.toContain('ReadAccess');
  });
});

describe('Dataverse sandbox: throttling and faults', () => {
  it('answers 429 with Retry-After once the caller has spent its request budget', async () => {
    // A fresh window: the budget counts every request this caller made before.
    h.ctx.faults.reset('dataverse');
    h.ctx.faults.set('dataverse', { budget: { limit: 2, windowMs: 60_000 } });
    try {
      expect((await h.api('GET', 'WhoAmI')).status).toBe(200);
      expect((await h.api('GET', 'WhoAmI')).status).toBe(200);
      const throttled = await h.api('GET', 'WhoAmI');
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(throttled.body.error.code).toBe('0x80072322');
      // The budget is per caller: the other app is not affected.
      expect((await h.api('GET', 'WhoAmI', { token: h.plainToken })).status).toBe(200);
    } finally {
      h.ctx.faults.reset('dataverse');
    }
  });

  it('answers 429 0x80072326 beyond the concurrent request limit', async () => {
    h.ctx.faults.set('dataverse', { concurrencyLimit: 1, latencyMs: 150 });
    try {
      const statuses = await Promise.all([h.api('GET', 'WhoAmI'), h.api('GET', 'WhoAmI')]);
      const refused = statuses.find((r) => r.status === 429);
      expect(statuses.map((r) => r.status).sort()).toEqual([200, 429]);
      expect(refused?.body.error.code).toBe('0x80072326');
      expect(refused?.headers.get('retry-after')).toBeTruthy();
    } finally {
      h.ctx.faults.reset('dataverse');
    }
  });

  it('serves injected 5xx answers and dropped connections', async () => {
    h.ctx.faults.inject('dataverse', { kind: 'serverError', status: 503 });
    expect((await h.api('GET', 'WhoAmI')).status).toBe(503);
    h.ctx.faults.inject('dataverse', { kind: 'drop' });
    await expect(h.api('GET', 'WhoAmI')).rejects.toThrow();
    expect((await h.api('GET', 'WhoAmI')).status).toBe(200);
  });
});
