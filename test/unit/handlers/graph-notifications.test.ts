import { beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import type { HandlerDeps } from '../../../src/handlers/deps.js';
import { createGraphLifecycleHandler, createGraphNotificationsHandler, LIFECYCLE_DEDUPE_WINDOW_MS, MAX_NOTIFICATIONS_PER_POST } from '../../../src/handlers/graph-notifications.js';
import { createLogger, type LogLevel } from '../../../src/log.js';
import type { Store } from '../../../src/store/index.js';
import type { QueueMessage } from '../../../src/store/messages.js';
import { unreachableStorage, useTestAzurite } from '../../helpers/azurite.js';
import {
  EVENT_DELETED,
  fixtureJson,
  fixtureSubscription,
  fixtureText,
  LIFECYCLE_REAUTHORIZE,
  lifecycleSubscription,
  request,
} from '../../helpers/requests.js';
import { peekQueue, testStore } from '../../helpers/store.js';

const testAzurite = useTestAzurite();

let config: Config;
let store: Store;
let lines: string[];
const NOW = new Date('2026-01-01T00:00:00Z');
const deps = (now = NOW): HandlerDeps => ({
  config,
  store,
  now: () => now,
  log: createLogger({ level: 'debug', sink: (_l: LogLevel, line: string) => lines.push(line) }),
});
const notifications = () => createGraphNotificationsHandler(deps());
const queued = async () => (await peekQueue(testAzurite().connectionString, config.queue.name)) as QueueMessage[];

type Notification = Record<string, unknown> & { resourceData: Record<string, unknown> };
const collection = () => fixtureJson<{ value: Notification[] }>(EVENT_DELETED);

beforeEach(async () => {
  ({ config, store } = testStore(testAzurite().connectionString));
  lines = [];
  await store.subscriptions.put(fixtureSubscription());
});

describe('validation handshake', () => {
  it.each(['plain', 'a+b', '100%', '<script>alert(1)</script>', 'with spaces and + plus', 'Validation: Testing client application reachability for subscription Request-Id: 8a2e'])(
    'echoes %j as text/plain, nosniff, exactly',
    async (token) => {
      for (const handler of [notifications(), createGraphLifecycleHandler(deps())]) {
        // Hosts hand over the query URL-decoded; the token arrives percent-encoded on the wire.
        const res = await handler(request({ query: { validationToken: token }, headers: { 'content-type': 'text/plain' } }));
        expect(res.status).toBe(200);
        expect(res.body).toBe(token);
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
      expect(lines.join('\n')).not.toContain(token === 'plain' ? '"plain"' : token);
    },
  );
});

describe('POST /api/graph/notifications', () => {
  it('enqueues a valid deleted-event notification and answers 202', async () => {
    const res = await notifications()(request({ body: fixtureText(EVENT_DELETED) }));
    expect(res.status).toBe(202);
    const messages = await queued();
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message?.kind === 'change' && message.event.outlook).toMatchObject({
      userId: '{user_guid}',
      itemId: '{long_id_string}',
      itemKind: 'event',
    });
  });

  it('writes one message per delivery: the same item twice in a body is one input, a redelivery carries the same dedupe key', async () => {
    const body = collection();
    body.value.push(structuredClone(body.value[0]!));
    expect((await notifications()(request({ body: JSON.stringify(body) }))).status).toBe(202);
    expect((await notifications()(request({ body: fixtureText(EVENT_DELETED) }))).status).toBe(202);
    // The processor drops the second (test/unit/pipeline/message.test.ts): keyed alike, it is one input.
    const ids = (await queued()).map((m) => (m.kind === 'change' ? m.event.id : m.kind));
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  it('puts every valid item of one POST into one message', async () => {
    const body = collection();
    const second = structuredClone(body.value[0]!);
    second.resourceData.id = 'second-item';
    body.value.push(second);
    expect((await notifications()(request({ body: JSON.stringify(body) }))).status).toBe(202);
    const messages = await queued();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.kind === 'batch' && messages[0].items.map((i) => i.kind === 'change' && i.event.outlook?.itemId)).toEqual(['{long_id_string}', 'second-item']);
  });

  it(`refuses a POST of more than ${MAX_NOTIFICATIONS_PER_POST} items with 413 before looking any up`, async () => {
    const body = collection();
    body.value = Array.from({ length: MAX_NOTIFICATIONS_PER_POST + 1 }, (_, n) => ({ ...structuredClone(body.value[0]!), subscriptionId: `made-up-${n}` }));
    const res = await notifications()(request({ body: JSON.stringify(body) }));
    expect([res.status, (JSON.parse(res.body) as { code: string }).code]).toEqual([413, 'DS_ERR_BODY_TOO_LARGE']);
    expect(await queued()).toHaveLength(0);
  });

  it('logs the drops of one POST as one line of counts', async () => {
    const body = collection();
    body.value = Array.from({ length: 300 }, (_, n) => ({ ...structuredClone(body.value[0]!), subscriptionId: `made-up-${n % 3}` }));
    expect((await notifications()(request({ body: JSON.stringify(body) }))).status).toBe(202);
    const drops = lines.filter((l) => l.includes('notifications dropped'));
    expect(drops).toHaveLength(1);
    expect(JSON.parse(drops[0]!)).toMatchObject({ dropped: 300, of: 300, reasons: { 'unknown-subscription': 300 } });
    expect(lines.join('\n')).not.toContain('secretClientValue');
  });

  it.each([
    ['an unknown subscription', (n: Notification) => void (n.subscriptionId = 'not-ours'), 'unknown-subscription'],
    ['a wrong clientState', (n: Notification) => void (n.clientState = 'guessed'), 'client-state-mismatch'],
    ['a missing clientState', (n: Notification) => void delete n.clientState, 'client-state-mismatch'],
    ['a wrong tenant', (n: Notification) => void (n.tenantId = '00000000-0000-0000-0000-000000000bad'), 'wrong-tenant'],
  ])('drops %s, answers 202, keeps valid items, logs no secret', async (_name, spoil, reason) => {
    const body = collection();
    const bad = structuredClone(body.value[0]!);
    spoil(bad);
    bad.resourceData.id = 'spoiled-item';
    body.value.unshift(bad);
    const res = await notifications()(request({ body: JSON.stringify(body) }));
    expect(res.status).toBe(202);
    const messages = await queued();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.kind === 'change' && messages[0].event.outlook?.itemId).toBe('{long_id_string}');
    const log = lines.join('\n');
    expect(log).toContain(reason);
    expect(log).not.toContain('secretClientValue');
    expect(log).not.toContain('guessed');
  });

  it('drops every item when the subscription has a tenant of its own and the item names another', async () => {
    await store.subscriptions.put(fixtureSubscription({ tenantId: '00000000-0000-0000-0000-00000000000f' }));
    expect((await notifications()(request({ body: fixtureText(EVENT_DELETED) }))).status).toBe(202);
    expect(await queued()).toHaveLength(0);
  });

  it('answers 400 for a malformed body, 415 for a wrong type, 413 for too large, each with its coded JSON error', async () => {
    const coded = (res: { status: number; body: string }) => ({ status: res.status, code: (JSON.parse(res.body) as { code: string }).code });
    expect(coded(await notifications()(request({ body: '{"value": 3}' })))).toEqual({ status: 400, code: 'DS_ERR_INVALID_PAYLOAD' });
    expect(coded(await notifications()(request({ body: 'nope' })))).toEqual({ status: 400, code: 'DS_ERR_BAD_JSON' });
    const typed = await notifications()(request({ headers: { 'content-type': 'text/html' }, body: fixtureText(EVENT_DELETED) }));
    expect(coded(typed)).toEqual({ status: 415, code: 'DS_ERR_UNSUPPORTED_MEDIA_TYPE' });
    const large = await notifications()(request({ body: Buffer.alloc(config.maxBodyBytes + 1, 0x20) }));
    expect(coded(large)).toEqual({ status: 413, code: 'DS_ERR_BODY_TOO_LARGE' });
    expect(await queued()).toHaveLength(0);
  });

  it('answers 503 when storage is down, so Graph retries', async () => {
    ({ config, store } = testStore(await unreachableStorage()));
    const res = await notifications()(request({ body: fixtureText(EVENT_DELETED) }));
    expect(res.status).toBe(503);
  });
});

describe('POST /api/graph/lifecycle', () => {
  beforeEach(async () => {
    await store.subscriptions.put(lifecycleSubscription());
  });

  it('enqueues a lifecycle notice as its own message kind; a redelivery is the same notice', async () => {
    const handler = createGraphLifecycleHandler(deps());
    expect((await handler(request({ body: fixtureText(LIFECYCLE_REAUTHORIZE) }))).status).toBe(202);
    expect((await handler(request({ body: fixtureText(LIFECYCLE_REAUTHORIZE) }))).status).toBe(202);
    const messages = await queued();
    expect(messages).toHaveLength(2);
    expect(messages[1]).toEqual(messages[0]);
    expect(messages[0]).toEqual(
      {
        kind: 'lifecycle',
        notice: {
          id: 'lifecycle:e3898f08-5cd0-4a6a-80fc-6addbfb73b7b:reauthorizationRequired:2019-09-18T00:52:45.9696658+00:00:window:2026-01-01T00:00:00.000Z',
          subscriptionId: 'e3898f08-5cd0-4a6a-80fc-6addbfb73b7b',
          lifecycleEvent: 'reauthorizationRequired',
          tenantId: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
          subscriptionExpirationDateTime: '2019-09-18T00:52:45.9696658+00:00',
          receivedAt: '2026-01-01T00:00:00.000Z',
        },
      },
    );
  });

  const lifecycleAt = async (at: Date, change: (item: Record<string, unknown>) => void = () => undefined) => {
    const body = fixtureJson<{ value: Record<string, unknown>[] }>(LIFECYCLE_REAUTHORIZE);
    change(body.value[0]!);
    expect((await createGraphLifecycleHandler(deps(at))(request({ body: JSON.stringify(body) }))).status).toBe(202);
  };
  const noticeIds = async () => (await queued()).map((m) => (m.kind === 'lifecycle' ? m.notice.id : m.kind));

  it('a second notice for the same subscription and expiry, a window later, is its own message', async () => {
    await lifecycleAt(NOW);
    await lifecycleAt(new Date(NOW.getTime() + LIFECYCLE_DEDUPE_WINDOW_MS));
    const ids = await noticeIds();
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  it('a redelivery inside the window of the first has its dedupe key', async () => {
    await lifecycleAt(NOW);
    await lifecycleAt(new Date(NOW.getTime() + LIFECYCLE_DEDUPE_WINDOW_MS - 1));
    const ids = await noticeIds();
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  it("Graph's own notification id, when present, decides: the same id later has the same key, another id at once does not", async () => {
    await lifecycleAt(NOW, (item) => (item.id = 'notice-1'));
    await lifecycleAt(new Date(NOW.getTime() + 10 * LIFECYCLE_DEDUPE_WINDOW_MS), (item) => (item.id = 'notice-1'));
    await lifecycleAt(NOW, (item) => (item.id = 'notice-2'));
    expect(await noticeIds()).toEqual([
      'lifecycle:e3898f08-5cd0-4a6a-80fc-6addbfb73b7b:reauthorizationRequired:2019-09-18T00:52:45.9696658+00:00:notice-1',
      'lifecycle:e3898f08-5cd0-4a6a-80fc-6addbfb73b7b:reauthorizationRequired:2019-09-18T00:52:45.9696658+00:00:notice-1',
      'lifecycle:e3898f08-5cd0-4a6a-80fc-6addbfb73b7b:reauthorizationRequired:2019-09-18T00:52:45.9696658+00:00:notice-2',
    ]);
  });

  it('drops a lifecycle notice whose clientState is wrong', async () => {
    const body = fixtureJson<{ value: Record<string, unknown>[] }>(LIFECYCLE_REAUTHORIZE);
    body.value[0]!.clientState = 'wrong';
    const res = await createGraphLifecycleHandler(deps())(request({ body: JSON.stringify(body) }));
    expect(res.status).toBe(202);
    expect(await queued()).toHaveLength(0);
  });
});
