import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
