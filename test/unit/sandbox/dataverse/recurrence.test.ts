/**
 * The sandbox's recurring series in Dataverse: a recurringappointmentmaster expands into appointment
 * instances (instancetypecode 2, seriesid, originalstartdate) up to the future expansion window only;
 * deleting an instance records it in the master's deletedexceptionslist; deleting the master cascades to
 * every instance, past ones included, and its Delete step carries the master's pre-image. Instances are
 * read through the Web API by `_seriesid_value`, as the service reads them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerStep, startHarness, startReceiver, type Harness } from './harness.js';

const DAY = 86_400_000;
let h: Harness;
let receivers: { close(): Promise<void> }[] = [];
beforeAll(async () => {
  h = await startHarness({ webhooks: { retryDelayMs: 5, timeoutMs: 300 } });
});
afterEach(async () => {
  await h.server.state.settle();
  for (const step of h.server.state.query('sdkmessageprocessingstep')) await h.api('DELETE', `sdkmessageprocessingsteps(${step.sdkmessageprocessingstepid})`);
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});
afterAll(async () => {
  await h.close();
});

/** The Monday at 09:00 UTC a week or two before now: the series has past and future occurrences. */
const today = new Date();
const MONDAY = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - ((today.getUTCDay() + 6) % 7) - 7, 9);
const iso = (weeks: number) => new Date(MONDAY + weeks * 7 * DAY).toISOString();

/** Weekly on Mondays (mask 2). */
async function weeklySeries(endType: { patternendtype: number; occurrences?: number }) {
  const monday = MONDAY;
  return h.server.state.createRecurringAppointment({
    subject: 'Pipeline review',
    firstStart: monday,
    durationMinutes: 30,
    pattern: { recurrencepatterntype: 1, interval: 1, daysofweekmask: 2, ...endType },
    organizer: { logicalName: 'systemuser', id: h.alice.systemUserId },
    requiredAttendees: [{ logicalName: 'systemuser', id: h.bob.systemUserId }],
  });
}

describe('sandbox Dataverse: recurring series', () => {
  it('expands a numbered series into instances with instancetypecode 2, seriesid and originalstartdate, readable by seriesid', async () => {
    const { id, instances } = await weeklySeries({ patternendtype: 2, occurrences: 4 });
    expect(instances).toHaveLength(4);
    const read = await h.api('GET', `appointments?$select=activityid,instancetypecode,originalstartdate,scheduledstart,seriesid&$filter=seriesid eq ${id}&$orderby=scheduledstart`);
    expect(read.status).toBe(200);
    expect(read.body.value.map((r: any) => r.originalstartdate)).toEqual([0, 1, 2, 3].map((w) => iso(w).replace('.000Z', 'Z')));
    expect(read.body.value.every((r: any) => r.instancetypecode === 2 && r.seriesid === id)).toBe(true);
    const master = h.server.state.get('recurringappointmentmaster', id)!;
    expect(master).toMatchObject({ expansionstatecode: 2, instancetypecode: 1, effectivestartdate: MONDAY });
    // Instances have the master's parties.
    expect(h.server.state.parties(instances[0]!).map((p) => p.participationtypemask).sort()).toEqual([5, 7, 9]);
  });

  it('materialises a series without end only up to the future expansion window', async () => {
    const { id, instances } = await weeklySeries({ patternendtype: 1 });
    const last = Math.max(...instances.map((i) => h.server.state.get('appointment', i)!.scheduledstart as number));
    expect(last).toBeLessThanOrEqual(Date.now() + 93 * DAY);
    expect(last).toBeGreaterThan(Date.now() + 80 * DAY);
    expect(h.server.state.get('recurringappointmentmaster', id)).toMatchObject({ expansionstatecode: 1 });
    expect(h.server.state.expandSeries(id)).toEqual([]);
  });

  it('deleting one instance records its original start in the master’s deletedexceptionslist and does not bring it back on expansion', async () => {
    const { id, instances } = await weeklySeries({ patternendtype: 2, occurrences: 3 });
    await h.server.state.userDeletes(h.alice.systemUserId, 'appointment', instances[1]!);
    expect(h.server.state.get('recurringappointmentmaster', id)!.deletedexceptionslist).toBe(iso(1));
    expect(h.server.state.expandSeries(id)).toEqual([]);
    expect(h.server.state.instancesOf(id)).toHaveLength(2);
  });

  it('deleting the master deletes every instance, past ones included; its Delete step carries the master’s pre-image', async () => {
    const r = await startReceiver();
    receivers.push(r);
    await registerStep(h, { url: r.url, key: 'k', message: 'Delete', entity: 'recurringappointmentmaster', mode: 1, preImageAttributes: 'statecode,starttime,globalobjectid,organizer' });
    const { id, instances } = await weeklySeries({ patternendtype: 2, occurrences: 3 });
    await h.server.state.userDeletes(h.alice.systemUserId, 'recurringappointmentmaster', id);
    await h.server.state.settle();
    for (const instance of instances) expect(h.server.state.exists('appointment', instance)).toBe(false);
    expect(r.received).toHaveLength(1);
    const body = r.received[0]!.body;
    expect(body).toMatchObject({ MessageName: 'Delete', PrimaryEntityName: 'recurringappointmentmaster', PrimaryEntityId: id });
    expect(body.PreEntityImages[0].value.Attributes.map((a: any) => a.key).sort()).toEqual(['globalobjectid', 'organizer', 'starttime', 'statecode']);
  });

  it('an instance’s Delete step carries seriesid (a Guid), instancetypecode and originalstartdate', async () => {
    const r = await startReceiver();
    receivers.push(r);
    await registerStep(h, { url: r.url, key: 'k', message: 'Delete', entity: 'appointment', mode: 1, preImageAttributes: 'statecode,scheduledstart,instancetypecode,seriesid,originalstartdate' });
    const { id, instances } = await weeklySeries({ patternendtype: 2, occurrences: 2 });
    await h.server.state.userDeletes(h.alice.systemUserId, 'appointment', instances[0]!);
    await h.server.state.settle();
    const attributes = Object.fromEntries(r.received[0]!.body.PreEntityImages[0].value.Attributes.map((a: any) => [a.key, a.value]));
    expect(attributes.seriesid).toBe(id);
    expect(attributes.instancetypecode).toMatchObject({ Value: 2 });
    expect(attributes.originalstartdate).toMatch(/^\/Date\(\d+\)\/$/);
  });
});
