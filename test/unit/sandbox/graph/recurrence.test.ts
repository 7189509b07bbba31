/**
 * The sandbox's recurring meetings, over its HTTPS Graph API: a series master expands into occurrences
 * (own ids, own iCalUIds, originalStart, seriesMasterId), `/instances` and `/calendarView` list them
 * (masters are not in calendarView), one occurrence can be deleted, cancelled (organizer only) or
 * changed into an exception, and each of these is reported as an `updated` of the series master only.
 * The master's range can be cut back by PATCHing recurrence.range.endDate, which attendees' copies follow.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DirectoryUser } from '../../../../sandbox/index.js';
import { originalStarts, parseOccurrenceId } from '../../../../sandbox/graph/recurrence.js';
import type { EventInput } from '../../../../sandbox/graph/schemas.js';
import { useSandbox } from './client.js';

const env = useSandbox();
let olga: DirectoryUser;
let bob: DirectoryUser;

beforeAll(() => {
  olga = env.sandbox.directory.add({ displayName: 'Olga Organizer' });
  bob = env.sandbox.directory.add({ displayName: 'Bob Attendee' });
});

const DAY = 86_400_000;
const FIRST = Date.parse('2031-03-03T09:00:00Z'); // a Monday

function weekly(subject: string, range: Record<string, unknown> = { type: 'numbered', numberOfOccurrences: 5 }): EventInput {
  return {
    subject,
    start: { dateTime: '2031-03-03T09:00:00', timeZone: 'UTC' },
    end: { dateTime: '2031-03-03T09:30:00', timeZone: 'UTC' },
    attendees: [{ emailAddress: { address: bob.mail } }],
    recurrence: { pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] }, range: { startDate: '2031-03-03', ...range } as never },
  };
}

const window = `startDateTime=2031-01-01T00:00:00Z&endDateTime=2031-12-31T00:00:00Z`;

async function instances(userId: string, masterId: string) {
  const answer = await env.client.graph('GET', `/users/${userId}/events/${masterId}/instances?${window}`);
  expect(answer.status).toBe(200);
  return answer.body.value as Record<string, any>[];
}

describe('sandbox Graph: recurring meetings', () => {
  it('a series master expands into occurrences with their own id and iCalUId, the original start and the master id', async () => {
    const created = await env.client.graph('POST', `/users/${olga.id}/events`, weekly('Pipeline review'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'seriesMaster', seriesMasterId: null, recurrence: { range: { numberOfOccurrences: 5 } } });
    const list = await instances(olga.id, created.body.id);
    expect(list.map((o) => o.originalStart)).toEqual([0, 1, 2, 3, 4].map((w) => new Date(FIRST + w * 7 * DAY).toISOString().replace('.000Z', 'Z')));
    expect(list.every((o) => o.type === 'occurrence' && o.seriesMasterId === created.body.id && o.recurrence === null)).toBe(true);
    expect(new Set(list.map((o) => o.id)).size).toBe(5);
    expect(new Set(list.map((o) => o.iCalUId)).size).toBe(5);
    expect(list.every((o) => o.iCalUId !== created.body.iCalUId)).toBe(true);
    // Each occurrence can be read by its id; the id is opaque but stable.
    const one = await env.client.graph('GET', `/users/${olga.id}/events/${list[2]!.id}`);
    expect(one.body).toMatchObject({ id: list[2]!.id, type: 'occurrence', start: { dateTime: '2031-03-17T09:00:00.0000000' } });
    // Attendees get their own series master with the master's iCalUId, and their own occurrence ids.
    const bobs = await env.client.graph('GET', `/users/${bob.id}/events?$filter=iCalUId eq '${created.body.iCalUId}'`);
    expect(bobs.body.value).toHaveLength(1);
    const bobsOccurrences = await instances(bob.id, bobs.body.value[0].id);
    expect(bobsOccurrences.map((o) => o.originalStart)).toEqual(list.map((o) => o.originalStart));
    expect(bobsOccurrences.map((o) => o.id)).not.toEqual(list.map((o) => o.id));
  });

  it('calendarView lists occurrences and single meetings, never the series master; /events lists the master, not occurrences', async () => {
    const master = env.sandbox.graph.createEvent(olga.id, weekly('Standup'));
    const view = await env.client.graph('GET', `/users/${olga.id}/calendarView?startDateTime=2031-03-09T00:00:00Z&endDateTime=2031-03-24T00:00:00Z&$top=50`);
    const ours = (view.body.value as Record<string, any>[]).filter((e) => e.seriesMasterId === master.id);
    expect(ours.map((o) => o.originalStart)).toEqual(['2031-03-10T09:00:00Z', '2031-03-17T09:00:00Z']);
    expect((view.body.value as Record<string, any>[]).some((e) => e.type === 'seriesMaster')).toBe(false);
    const events = await env.client.graph('GET', `/users/${olga.id}/events?$filter=iCalUId eq '${master.iCalUId}'`);
    expect(events.body.value.map((e: any) => e.type)).toEqual(['seriesMaster']);
  });

  it('instances needs its time window, as Graph requires', async () => {
    const master = env.sandbox.graph.createEvent(olga.id, weekly('Window'));
    expect((await env.client.graph('GET', `/users/${olga.id}/events/${master.id}/instances`)).status).toBe(400);
  });

  it('the organizer cancelling one occurrence removes it from her calendar and marks it cancelled in attendees’ copies; only `updated` of the masters is recorded', async () => {
    const master = env.sandbox.graph.createEvent(olga.id, weekly('Account call'));
    const bobsMaster = env.sandbox.graph.meetingCopies(String(master.iCalUId)).find((c) => c.userId === bob.id)!.event;
    const [, second] = await instances(olga.id, String(master.id));
    const seq = env.sandbox.graph.store.currentSeq();
    const cancelled = await env.client.graph('POST', `/users/${olga.id}/events/${second!.id}/cancel`, { comment: 'Holiday' });
    expect(cancelled.status).toBe(202);
    expect((await instances(olga.id, String(master.id))).map((o) => o.originalStart)).not.toContain(second!.originalStart);
    const bobs = (await instances(bob.id, String(bobsMaster.id))).find((o) => o.originalStart === second!.originalStart);
    expect(bobs).toMatchObject({ isCancelled: true });
    expect(String(bobs!.subject)).toMatch(/^Canceled: /);
    const changes = env.sandbox.graph.store.changesBetween(olga.id, 'event', undefined, seq, env.sandbox.graph.store.currentSeq());
    expect(changes.map((c) => [c.changeType, c.id])).toEqual([['updated', master.id]]);
    expect((await env.client.graph('GET', `/users/${olga.id}/events/${second!.id}`)).status).toBe(404);
  });

  it('an attendee cannot cancel an occurrence (400, as Graph answers); deleting it removes only their copy', async () => {
    const master = env.sandbox.graph.createEvent(olga.id, weekly('Attendee leaves one'));
    const bobsMaster = env.sandbox.graph.meetingCopies(String(master.iCalUId)).find((c) => c.userId === bob.id)!.event;
    const [first] = await instances(bob.id, String(bobsMaster.id));
    const refused = await env.client.graph('POST', `/users/${bob.id}/events/${first!.id}/cancel`, { comment: 'no' });
    expect(refused.status).toBe(400);
    expect((await env.client.graph('DELETE', `/users/${bob.id}/events/${first!.id}`)).status).toBe(204);
    expect(await instances(bob.id, String(bobsMaster.id))).toHaveLength(4);
    const olgas = await instances(olga.id, String(master.id));
    expect(olgas).toHaveLength(5);
    expect(olgas.every((o) => o.isCancelled === false)).toBe(true);
    expect((await env.client.graph('DELETE', `/users/${bob.id}/events/${first!.id}`)).status).toBe(404);
  });

  it('PATCHing an occurrence makes it an exception that keeps its id and original start', async () => {
    const master = env.sandbox.graph.createEvent(olga.id, weekly('Moved once'));
    const [, second] = await instances(olga.id, String(master.id));
    const moved = await env.client.graph('PATCH', `/users/${olga.id}/events/${second!.id}`, {
      start: { dateTime: '2031-03-11T15:00:00', timeZone: 'UTC' },
      end: { dateTime: '2031-03-11T15:30:00', timeZone: 'UTC' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ id: second!.id, type: 'exception', originalStart: second!.originalStart, start: { dateTime: '2031-03-11T15:00:00.0000000' } });
    const bobsMaster = env.sandbox.graph.meetingCopies(String(master.iCalUId)).find((c) => c.userId === bob.id)!.event;
    expect((await instances(bob.id, String(bobsMaster.id)))[1]).toMatchObject({ type: 'exception', start: { dateTime: '2031-03-11T15:00:00.0000000' } });
    expect((await env.client.graph('PATCH', `/users/${olga.id}/events/${second!.id}`, { recurrence: null })).status).toBe(400);
  });

  it('cutting the range back by PATCHing recurrence.range.endDate removes later occurrences for attendees too and keeps earlier ones', async () => {
    const created = await env.client.graph('POST', `/users/${olga.id}/events`, weekly('Ends early', { type: 'noEnd' }));
    const recurrence = created.body.recurrence;
    const patched = await env.client.graph('PATCH', `/users/${olga.id}/events/${created.body.id}`, {
      recurrence: { ...recurrence, range: { ...recurrence.range, type: 'endDate', endDate: '2031-03-17' } },
    });
    expect(patched.status).toBe(200);
    expect((await instances(olga.id, created.body.id)).map((o) => o.originalStart)).toEqual(['2031-03-03T09:00:00Z', '2031-03-10T09:00:00Z', '2031-03-17T09:00:00Z']);
    const bobsMaster = env.sandbox.graph.meetingCopies(created.body.iCalUId).find((c) => c.userId === bob.id)!.event;
    expect(await instances(bob.id, String(bobsMaster.id))).toHaveLength(3);
  });

  it('refuses a recurrence Graph would refuse, and patterns the sandbox does not model', async () => {
    const wrongStart = weekly('Wrong start');
    (wrongStart.recurrence as any).range.startDate = '2031-03-04';
    expect((await env.client.graph('POST', `/users/${olga.id}/events`, wrongStart)).status).toBe(400);
    const relative = weekly('Relative');
    (relative.recurrence as any).pattern = { type: 'relativeMonthly', interval: 1, daysOfWeek: ['monday'], index: 'first' };
    expect((await env.client.graph('POST', `/users/${olga.id}/events`, relative)).status).toBe(400);
    const single = env.sandbox.graph.createEvent(olga.id, { ...weekly('Single'), recurrence: null });
    expect((await env.client.graph('PATCH', `/users/${olga.id}/events/${single.id}`, { recurrence: weekly('x').recurrence })).status).toBe(400);
  });

  it('expands daily, weekly (several days, interval 2) and absoluteMonthly patterns', () => {
    const master = (pattern: Record<string, unknown>, range: Record<string, unknown>) =>
      ({ fields: { start: { dateTime: '2031-03-03T09:00:00.0000000' }, recurrence: { pattern, range: { startDate: '2031-03-03', ...range } } } }) as never;
    const dates = (starts: number[]) => starts.map((ms) => new Date(ms).toISOString().slice(0, 10));
    expect(dates(originalStarts(master({ type: 'daily', interval: 3 }, { type: 'endDate', endDate: '2031-03-12' }), 0))).toEqual(['2031-03-03', '2031-03-06', '2031-03-09', '2031-03-12']);
    expect(dates(originalStarts(master({ type: 'weekly', interval: 2, daysOfWeek: ['monday', 'thursday'] }, { type: 'numbered', numberOfOccurrences: 4 }), 0))).toEqual([
      '2031-03-03',
      '2031-03-06',
      '2031-03-17',
      '2031-03-20',
    ]);
    expect(dates(originalStarts(master({ type: 'absoluteMonthly', interval: 1, dayOfMonth: 3 }, { type: 'numbered', numberOfOccurrences: 3 }), 0))).toEqual(['2031-03-03', '2031-04-03', '2031-05-03']);
    expect(parseOccurrenceId('AAMkAGnot-an-occurrence')).toBeUndefined();
  });
});
