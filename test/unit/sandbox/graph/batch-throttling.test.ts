import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetch } from 'undici';
import type { DirectoryUser } from '../../../../sandbox/index.js';
import { FIXTURES_URL } from '../../../helpers/fixtures.js';
import { useSandbox } from './client.js';

const fixtures = new URL('graph/', FIXTURES_URL);
const concurrencyBody = JSON.parse(readFileSync(new URL('error-mailbox-concurrency.json', fixtures), 'utf8'));
const throttleBody = JSON.parse(readFileSync(new URL('throttle-429-response.json', fixtures), 'utf8'));

const env = useSandbox();
let erin: DirectoryUser;
let frank: DirectoryUser;

beforeAll(async () => {
  erin = env.sandbox.directory.add({ displayName: 'Erin Busy' });
  frank = env.sandbox.directory.add({ displayName: 'Frank Quiet' });
});

afterEach(() => env.sandbox.faults.reset());

const task = (userId: string) => env.sandbox.graph.createTask(userId, { title: 'x' });
const deleteTaskRequest = (id: string, userId: string, taskId: string) => ({ id, method: 'DELETE', url: `/users/${userId}/todo/lists/${env.sandbox.graph.defaultTodoList(userId).id}/tasks/${taskId}` });

describe('$batch', () => {
  it('refuses more than 20 requests with 400', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i + 1), method: 'GET', url: `/users/${erin.id}` }));
    const answer = await env.client.graph('POST', '/$batch', { requests });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('BadRequest');
  });

  it('runs the Outlook requests of one batch at most 4 at a time, so one batch stays within a mailbox limit', async () => {
    env.sandbox.faults.set('graph', { latencyMs: 40 });
    const erinTasks = Array.from({ length: 6 }, () => task(erin.id));
    const frankTask = task(frank.id);
    const requests = [...erinTasks.map((t, i) => deleteTaskRequest(String(i + 1), erin.id, t.id as string)), deleteTaskRequest('7', frank.id, frankTask.id as string), { id: '8', method: 'GET', url: `/users/${frank.id}/events/AAMkAGnope=` }];
    const started = performance.now();
    const answer = await env.client.graph('POST', '/$batch', { requests });
    const elapsed = performance.now() - started;
    expect(answer.status).toBe(200);
    const byId = new Map<string, { status: number }>(answer.body.responses.map((r: { id: string }) => [r.id, r]));
    expect(erinTasks.map((_, i) => byId.get(String(i + 1))!.status)).toEqual([204, 204, 204, 204, 204, 204]);
    expect(byId.get('7')!.status).toBe(204);
    expect(byId.get('8')).toMatchObject({ status: 404, body: { error: { code: 'ErrorItemNotFound' } } });
    // The batch's own latency, then 8 Outlook requests in two rounds of 4.
    expect(elapsed).toBeGreaterThanOrEqual(3 * 40);
    expect(env.sandbox.graph.items(erin.id, 'todoTask')).toHaveLength(0);
  });

  it('answers 200 outside; items past 4 in flight for one mailbox across batches get 429 with their own Retry-After', async () => {
    // Long enough that the two batches' requests overlap even on a loaded machine.
    env.sandbox.faults.set('graph', { retryAfterSeconds: 3, latencyMs: 300 });
    const erinTasks = Array.from({ length: 8 }, () => task(erin.id));
    const batch = (tasks: typeof erinTasks) => env.client.graph('POST', '/$batch', { requests: tasks.map((t, i) => deleteTaskRequest(String(i + 1), erin.id, t.id as string)) });
    const answers = await Promise.all([batch(erinTasks.slice(0, 4)), batch(erinTasks.slice(4))]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const items = answers.flatMap((a) => a.body.responses as { status: number; headers: Record<string, string>; body?: unknown }[]);
    const throttled = items.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    for (const r of throttled) {
      expect(r.headers['Retry-After']).toBe('3');
      expect(r.body).toEqual(concurrencyBody);
    }
    expect(env.sandbox.graph.items(erin.id, 'todoTask')).toHaveLength(throttled.length);
  });

  it('runs dependsOn chains in order and answers 424 after a failed dependency', async () => {
    const t = task(frank.id);
    const answer = await env.client.graph('POST', '/$batch', {
      requests: [
        { id: 'a', method: 'GET', url: `/users/${frank.id}/todo/lists/${env.sandbox.graph.defaultTodoList(frank.id).id}/tasks/${t.id}` },
        { ...deleteTaskRequest('b', frank.id, t.id as string), dependsOn: ['a'] },
        { ...deleteTaskRequest('c', frank.id, t.id as string), dependsOn: ['b'] },
        { id: 'd', method: 'GET', url: `/users/${frank.id}/events/nope=`, headers: {} },
        { id: 'e', method: 'GET', url: `/users/${frank.id}`, dependsOn: ['d'] },
      ],
    });
    const status = Object.fromEntries(answer.body.responses.map((r: { id: string; status: number }) => [r.id, r.status]));
    expect(status).toEqual({ a: 200, b: 204, c: 404, d: 404, e: 424 });
  });

  it('counts each item against its mailbox budget', async () => {
    env.sandbox.faults.set('graph', { budget: { limit: 2, windowMs: 600_000 } });
    const requests = [0, 1, 2].map((i) => ({ id: String(i), method: 'GET', url: `/users/${frank.id}/events`, ...(i > 0 ? { dependsOn: [String(i - 1)] } : {}) }));
    const answer = await env.client.graph('POST', '/$batch', { requests });
    const byId = Object.fromEntries(answer.body.responses.map((r: { id: string }) => [r.id, r]));
    expect([byId['0'].status, byId['1'].status, byId['2'].status]).toEqual([200, 200, 429]);
    expect(byId['2'].headers['Retry-After']).toBe('600');
  });
});

describe('throttling and faults over HTTPS', () => {
  it('answers the 5th concurrent request to one mailbox with 429 MailboxConcurrency while others proceed', async () => {
    env.sandbox.faults.set('graph', { latencyMs: 150 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => env.client.graph('GET', `/users/${erin.id}/events`)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const refused = answers.find((a) => a.status === 429)!;
    expect(refused.body).toEqual(concurrencyBody);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await env.client.graph('GET', `/users/${frank.id}/events`)).status).toBe(200);
  });

  it('injects 429s at a seeded rate with the throttle body, and 5xx on demand', async () => {
    env.sandbox.faults.seed(3);
    env.sandbox.faults.set('graph', { throttleRate: 0.5 });
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await env.client.graph('GET', `/users/${frank.id}`)).status);
    expect(statuses).toContain(429);
    expect(statuses).toContain(200);
    env.sandbox.faults.set('graph', { throttleRate: 1 });
    const throttled = await env.client.graph('GET', `/users/${frank.id}`);
    expect(Object.keys(throttled.body.error).sort()).toEqual(Object.keys(throttleBody.error).sort());
    env.sandbox.faults.reset('graph');
    env.sandbox.faults.inject('graph', { kind: 'serverError', status: 503 });
    expect((await env.client.graph('GET', `/users/${frank.id}`)).status).toBe(503);
    expect((await env.client.graph('GET', `/users/${frank.id}`)).status).toBe(200);
  });

  it('drops the connection without an answer when told to', async () => {
    env.sandbox.faults.inject('graph', { kind: 'drop' }, { key: frank.id });
    const token = await env.client.token();
    await expect(fetch(`${env.sandbox.graphUrl}/v1.0/users/${frank.id}/events`, { headers: { authorization: `Bearer ${token}` }, dispatcher: env.client.agent })).rejects.toThrow();
    expect((await env.client.graph('GET', `/users/${frank.id}/events`)).status).toBe(200);
  });
});
