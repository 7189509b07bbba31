import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';
import { API_PATH } from '../../../../sandbox/dataverse/server.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('Dataverse sandbox: authentication', () => {
  it('answers 401 without a bearer token', async () => {
    const response = await h.api('GET', 'WhoAmI', { token: null });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('answers 401 for a token issued for another audience', async () => {
    const other = h.ctx.tokens.issue('svc', 'svc-secret', 'https://graph.microsoft.com/.default')?.token as string;
    expect((await h.api('GET', 'WhoAmI', { token: other })).status).toBe(401);
  });

  it('WhoAmI names the application user behind the token', async () => {
    const response = await h.api('GET', 'WhoAmI');
    expect(response.status).toBe(200);
    expect(response.body.UserId).toBe(h.app.systemUserId);
  });
});

describe('Dataverse sandbox: records over the Web API', () => {
  it('creates with 204 and OData-EntityId, reads back with $select', async () => {
    const created = await h.api('POST', 'contacts', {
      body: { firstname: 'Dana', lastname: 'Client', emailaddress1: 'dana@fabrikam.test', 'ownerid@odata.bind': `/systemusers(${h.alice.systemUserId})` },
    });
    expect(created.status).toBe(204);
    const id = /contacts\(([0-9a-f-]{36})\)$/.exec(created.headers.get('odata-entityid') ?? '')?.[1];
    expect(id).toBeDefined();
    const read = await h.api('GET', `contacts(${id})?$select=fullname,_ownerid_value,statecode`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ contactid: id, fullname: 'Dana Client', _ownerid_value: h.alice.systemUserId, statecode: 0 });
    expect(read.body.emailaddress1).toBeUndefined();
  });

  it('answers 201 with the record for Prefer: return=representation', async () => {
    const created = await h.api('POST', 'tasks?$select=subject,statecode,statuscode', {
      body: { subject: 'Call back', 'ownerid@odata.bind': `/systemusers(${h.alice.systemUserId})` },
      headers: { Prefer: 'return=representation' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ subject: 'Call back', statecode: 0, statuscode: 2 });
  });

  it('filters with eq/and on columns and lookups, and honours $top', async () => {
    for (const subject of ['One', 'Two', 'Three']) {
      await h.api('POST', 'tasks', { body: { subject, 'ownerid@odata.bind': `/systemusers(${h.bob.systemUserId})` } });
    }
    const mine = await h.api('GET', `tasks?$select=subject&$filter=_ownerid_value eq ${h.bob.systemUserId} and statecode eq 0`);
    expect(mine.body.value.map((t: { subject: string }) => t.subject).sort()).toEqual(['One', 'Three', 'Two']);
    const one = await h.api('GET', `tasks?$select=subject&$filter=subject eq 'two' and _ownerid_value eq ${h.bob.systemUserId}`);
    expect(one.body.value).toHaveLength(1);
    const top = await h.api('GET', `tasks?$select=subject&$top=2&$filter=_ownerid_value eq ${h.bob.systemUserId}`);
    expect(top.body.value).toHaveLength(2);
  });

  it('rejects unknown properties and direct lookup writes as Dataverse does', async () => {
    const unknown = await h.api('GET', 'tasks?$select=nosuchcolumn');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('0x80060888');
    const direct = await h.api('POST', 'tasks', { body: { subject: 'x', _ownerid_value: h.alice.systemUserId } });
    expect(direct.status).toBe(400);
  });

  it('creates an appointment with its party list and expands appointment_activity_parties', async () => {
    const start = Date.UTC(2030, 0, 1, 9);
    const created = await h.api('POST', 'appointments', {
      headers: { Prefer: 'return=representation' },
      body: {
        subject: 'Planning',
        scheduledstart: new Date(start).toISOString(),
        scheduledend: new Date(start + 3_600_000).toISOString(),
        statecode: 3,
        'ownerid@odata.bind': `/systemusers(${h.alice.systemUserId})`,
        appointment_activity_parties: [
          { 'partyid_systemuser@odata.bind': `/systemusers(${h.alice.systemUserId})`, participationtypemask: 7 },
          { 'partyid_systemuser@odata.bind': `/systemusers(${h.bob.systemUserId})`, participationtypemask: 5 },
          { addressused: 'guest@outside.test', participationtypemask: 6 },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ statecode: 3, statuscode: 5, scheduledstart: '2030-01-01T09:00:00Z' });
    const read = await h.api('GET', `appointments(${created.body.activityid})?$select=subject&$expand=appointment_activity_parties($select=_partyid_value,participationtypemask,addressused)`);
    const parties = read.body.appointment_activity_parties as { participationtypemask: number; _partyid_value: string | null; addressused: string }[];
    expect(parties.map((p) => p.participationtypemask).sort()).toEqual([5, 6, 7, 9]);
    expect(parties.find((p) => p.participationtypemask === 5)?._partyid_value).toBe(h.bob.systemUserId);
    expect(parties.find((p) => p.participationtypemask === 6)?.addressused).toBe('guest@outside.test');
  });

  it('updates with PATCH, upserts without If-Match, 404s with If-Match: *', async () => {
    const created = await h.api('POST', 'tasks', { body: { subject: 'Draft' } });
    const id = /\(([0-9a-f-]{36})\)$/.exec(created.headers.get('odata-entityid') ?? '')?.[1] as string;
    expect((await h.api('PATCH', `tasks(${id})`, { body: { subject: 'Final', statecode: 1 }, headers: { 'If-Match': '*' } })).status).toBe(204);
    expect((await h.api('GET', `tasks(${id})?$select=subject,statecode,statuscode`)).body).toMatchObject({ subject: 'Final', statecode: 1, statuscode: 5 });
    const missing = '9a1b2c3d-0000-4000-8000-000000000001';
    const refused = await h.api('PATCH', `tasks(${missing})`, { body: { subject: 'x' }, headers: { 'If-Match': '*' } });
    expect(refused.status).toBe(404);
    expect((await h.api('PATCH', `tasks(${missing})`, { body: { subject: 'upserted' } })).status).toBe(204);
    expect(h.server.state.exists('task', missing)).toBe(true);
  });

  it('deletes with 204, then answers 404 with the Dataverse error body, and logs both', async () => {
    const created = await h.api('POST', 'tasks', { body: { subject: 'Gone soon' } });
    const id = /\(([0-9a-f-]{36})\)$/.exec(created.headers.get('odata-entityid') ?? '')?.[1] as string;
    expect((await h.api('DELETE', `tasks(${id})`)).status).toBe(204);
    const again = await h.api('DELETE', `tasks(${id})`);
    expect(again.status).toBe(404);
    expect(again.body.error).toEqual({ code: '0x80040217', message: expect.stringContaining(id) });
    expect(h.ctx.log.entries({ id }).map((e) => [e.status, e.caller, e.via])).toEqual([
      [204, 'app:svc', 'api'],
      [404, 'app:svc', 'api'],
    ]);
  });

  it('serves systemusers from the directory with their Entra object ids', async () => {
    const users = await h.api('GET', `systemusers?$select=fullname,internalemailaddress&$filter=azureactivedirectoryobjectid eq ${h.alice.id}`);
    expect(users.body.value).toEqual([expect.objectContaining({ systemuserid: h.alice.systemUserId, internalemailaddress: h.alice.mail })]);
  });

  it('serves exchangesyncidmappings as the table reference types them: objectid a Guid, objecttypecode an Integer', async () => {
    const contact = await h.server.state.createContact({ lastname: 'Linked', ownerId: h.alice.systemUserId });
    await h.server.state.linkExchangeItem(h.alice.systemUserId, { logicalName: 'contact', id: contact }, 'AAMkAGI2-contact-1');
    const rows = await h.api('GET', `exchangesyncidmappings?$select=exchangeentryid,objectid,objecttypecode,_ownerid_value&$filter=_ownerid_value eq ${h.alice.systemUserId}`);
    expect(rows.status).toBe(200);
    expect(rows.body.value).toEqual([expect.objectContaining({ exchangeentryid: 'AAMkAGI2-contact-1', objectid: contact, objecttypecode: 2, _ownerid_value: h.alice.systemUserId.toLowerCase() })]);
    // objectid is no lookup, and the table has no userid column: the real service answers 400 to both.
    for (const select of ['_objectid_value', 'userid']) {
      const bad = await h.api('GET', `exchangesyncidmappings?$select=${select}`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain(`Could not find a property named '${select}'`);
    }
    expect((await h.api('GET', `exchangesyncidmappings?$filter=objecttypecode eq 'contact'`)).status).toBe(400);
    expect((await h.api('GET', `exchangesyncidmappings?$filter=objecttypecode eq 2 and objectid eq ${contact}`)).body.value).toHaveLength(1);
  });

  it('pages at its configured size with an absolute next link and an opaque cookie, and refuses $skip and tampered cookies', async () => {
    for (let i = 0; i < 30; i += 1) await h.server.state.createContact({ lastname: `Page ${i}`, ownerId: h.alice.systemUserId });
    const first = await h.api('GET', 'contacts?$select=lastname', { headers: { Prefer: 'odata.maxpagesize=10' } });
    expect(first.headers.get('preference-applied')).toBe('odata.maxpagesize=10');
    expect(first.body.value).toHaveLength(10);
    const next = first.body['@odata.nextLink'] as string;
    expect(next.startsWith(`${h.server.url}${API_PATH}/contacts?`)).toBe(true);
    expect(decodeURIComponent(new URL(next).searchParams.get('$skiptoken') ?? '')).toMatch(/^<cookie pagenumber="2" /);
    const viaLink = await h.api('GET', next.slice(`${h.server.url}${API_PATH}/`.length), { headers: { Prefer: 'odata.maxpagesize=10' } });
    expect(viaLink.status).toBe(200);
    expect(viaLink.body.value.map((r: { contactid: string }) => r.contactid)).not.toContain(first.body.value[0].contactid);
    // Without a preference the sandbox's own (small) page size applies; $top is ignored next to the preference.
    const unpreferred = await h.api('GET', 'contacts?$select=lastname');
    expect(unpreferred.body.value).toHaveLength(25);
    expect((await h.api('GET', 'contacts?$select=lastname&$top=3', { headers: { Prefer: 'odata.maxpagesize=10' } })).body.value).toHaveLength(10);
    expect((await h.api('GET', 'contacts?$select=lastname', { headers: { Prefer: 'odata.maxpagesize=5001' } })).status).toBe(400);
    expect((await h.api('GET', 'contacts?$skip=10')).status).toBe(400);
    expect((await h.api('GET', 'contacts?$skiptoken=10')).status).toBe(400);
  });
});
