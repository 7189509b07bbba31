/**
 * Both receivers under generated bad requests, against real storage (Azurite): every answer is 202 or a
 * coded 4xx (never 5xx, never an exception), only authentic well-formed inputs reach the queue, every
 * queued message passes the queue contract, and no secret appears in the log.
 */
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import { normalizeGraphNotification, parseNotificationCollection } from '../../../src/domain/normalize-graph.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../../../src/errors.js';
import { createDataverseWebhookHandler } from '../../../src/handlers/dataverse-webhook.js';
import type { HandlerDeps } from '../../../src/handlers/deps.js';
import { createGraphLifecycleHandler, createGraphNotificationsHandler } from '../../../src/handlers/graph-notifications.js';
import type { HandlerResponse } from '../../../src/handlers/http.js';
import { parseQueueMessage } from '../../../src/pipeline/message.js';
import { createLogger } from '../../../src/log.js';
import type { Store } from '../../../src/store/index.js';
import { itemKey, type QueueMessage } from '../../../src/store/messages.js';
import { useTestAzurite } from '../../helpers/azurite.js';
import { fcParams } from '../../helpers/reliability-runs.js';
import { DELETE_APPOINTMENT, deleteBody, EVENT_DELETED, fixtureJson, fixtureSubscription, fixtureText, LIFECYCLE_REAUTHORIZE, lifecycleSubscription, request } from '../../helpers/requests.js';
import { TEST_TENANT_ID, TEST_WEBHOOK_KEY, testStore } from '../../helpers/store.js';
import { badBodies, CONTENT_TYPES, mutated } from './inputs.js';

const testAzurite = useTestAzurite();
const MAX_BODY = 8192;
const CLIENT_STATE = 'secretClientValue';

let config: Config;
let store: Store;
let lines: string[];
let clock: Date;

const deps = (): HandlerDeps => ({ config, store, now: () => clock, log: createLogger({ level: 'debug', sink: (_l, line) => lines.push(line) }) });

beforeEach(async () => {
  ({ config, store } = testStore(testAzurite().connectionString, { MAX_BODY_BYTES: String(MAX_BODY) }));
  lines = [];
  clock = new Date('2026-01-01T00:00:00Z');
  await store.subscriptions.put(fixtureSubscription());
  await store.subscriptions.put(lifecycleSubscription());
});

/** Takes every message off the queue, each checked against the queue contract. */
async function drain(): Promise<QueueMessage[]> {
  const out: QueueMessage[] = [];
  for (;;) {
    const batch = await store.queue.receive(32, 60);
    if (batch.length === 0) return out;
    for (const message of batch) {
      // A POST's inputs share one message: the checks below are per input.
      const parsed = parseQueueMessage(message.text);
      out.push(...(parsed.kind === 'batch' ? parsed.items : [parsed]));
      await store.queue.complete(message);
    }
  }
}

/** 202, or a 4xx whose JSON body names a catalogue code with that very status. */
function expectCodedAnswer(res: HandlerResponse): void {
  if (res.status === 202) return;
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  const body = JSON.parse(res.body) as { code: ErrorCode };
  expect(ERROR_CATALOGUE[body.code]?.status).toBe(res.status);
}

function expectNoSecretsLogged(): void {
  const log = lines.join('\n');
  for (const secret of [TEST_WEBHOOK_KEY, CLIENT_STATE, '{secret client state}']) expect(log).not.toContain(secret);
}

const padded = (body: Buffer) => Buffer.concat([body, Buffer.from(' '.repeat(MAX_BODY))]);

describe('Dataverse webhook receiver', () => {
  const key = fc.oneof(
    { arbitrary: fc.constant(TEST_WEBHOOK_KEY), weight: 3 },
    { arbitrary: fc.constantFrom(undefined, '', TEST_WEBHOOK_KEY.toUpperCase(), `${TEST_WEBHOOK_KEY} `, TEST_WEBHOOK_KEY.slice(1)), weight: 1 },
    { arbitrary: fc.string({ maxLength: 40 }), weight: 1 },
  );
  const valid = fixtureText(DELETE_APPOINTMENT);
  const body = fc.oneof(
    { arbitrary: fc.uuid().map((operation) => Buffer.from(deleteBody(operation))), weight: 2 },
    { arbitrary: badBodies(DELETE_APPOINTMENT), weight: 6 },
    { arbitrary: fc.constant(Buffer.from(valid)).map(padded), weight: 1 },
  );
  const contentType = fc.oneof({ arbitrary: fc.constant('application/json'), weight: 3 }, { arbitrary: CONTENT_TYPES, weight: 1 });

  it('answers 202 or a coded 4xx; only authentic, well-formed deletes are queued, once', async () => {
    let enqueued = 0;
    await fc.assert(
      fc.asyncProperty(key, body, contentType, async (code, raw, type) => {
        const res = await createDataverseWebhookHandler(deps())(
          request({ query: code === undefined ? {} : { code }, headers: { 'content-type': type }, body: raw }),
        );
        expectCodedAnswer(res);
        if (code !== TEST_WEBHOOK_KEY) expect(res.status).toBe(401);
        if (res.status === 202) {
          expect(raw.length).toBeLessThanOrEqual(MAX_BODY);
          if ((JSON.parse(res.body) as { status: string }).status === 'enqueued') enqueued += 1;
        }
      }),
      fcParams('dataverse receiver', 150, 3_000),
    );
    const queued = await drain();
    expect(enqueued).toBeGreaterThan(5);
    expect(queued).toHaveLength(enqueued);
    expect(queued.every((m) => m.kind === 'change' && m.event.origin === 'crm')).toBe(true);
    expectNoSecretsLogged();
  });

  it('answers a replay of an old delivery 202 with the dedupe key of the first, so the processor takes it once', async () => {
    const handler = createDataverseWebhookHandler(deps());
    const call = () => handler(request({ query: { code: TEST_WEBHOOK_KEY }, body: valid }));
    expect(JSON.parse((await call()).body)).toEqual({ status: 'enqueued' });
    clock = new Date('2026-01-09T00:00:00Z');
    expect(JSON.parse((await call()).body)).toEqual({ status: 'enqueued' });
    const keys = (await drain()).map((m) => (m.kind === 'change' || m.kind === 'lifecycle' ? itemKey(m) : m.kind));
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
  });
});

type Notification = Record<string, unknown>;
const template = (fixtureJson<{ value: Notification[] }>(EVENT_DELETED).value[0] ?? {}) as Notification;

describe('Graph notification receiver', () => {
  /** One notification, authentic or not in each of the fields the receiver checks. */
  const item = fc
    .record({
      subscriptionId: fc.oneof({ arbitrary: fc.constant('{subscription_guid}'), weight: 3 }, { arbitrary: fc.uuid(), weight: 1 }),
      clientState: fc.oneof(
        { arbitrary: fc.constant<string | undefined>(CLIENT_STATE), weight: 3 },
        { arbitrary: fc.constantFrom(undefined, '', 'secretclientvalue', '{secret client state}'), weight: 1 },
      ),
      tenantId: fc.oneof({ arbitrary: fc.constant<string | undefined>(TEST_TENANT_ID), weight: 3 }, { arbitrary: fc.constantFrom(undefined, '00000000-0000-0000-0000-000000000000'), weight: 1 }),
      etag: fc.stringMatching(/^[A-Za-z0-9]{1,12}$/),
      shape: fc.oneof({ arbitrary: fc.constant(template), weight: 3 }, { arbitrary: mutated(template) as fc.Arbitrary<Notification>, weight: 1 }),
    })
    .map(({ shape, etag, ...fields }) => {
      const n: Notification = { ...(shape && typeof shape === 'object' ? shape : {}), ...fields };
      for (const [k, v] of Object.entries(fields)) if (v === undefined) delete n[k];
      if (n.resourceData && typeof n.resourceData === 'object') n.resourceData = { ...(n.resourceData as object), '@odata.etag': `W/"${etag}"` };
      return n;
    });
  const authentic = (n: Notification) => n.subscriptionId === '{subscription_guid}' && n.clientState === CLIENT_STATE && n.tenantId === TEST_TENANT_ID;

  it('answers 202 or a coded 4xx; only items with a known subscription, its clientState and the tenant are queued', async () => {
    const allowed = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 3 }), fc.oneof({ arbitrary: fc.constant('application/json'), weight: 4 }, { arbitrary: CONTENT_TYPES, weight: 1 }), async (items, type) => {
        const body = JSON.stringify({ value: items });
        const res = await createGraphNotificationsHandler(deps())(request({ headers: { 'content-type': type }, body }));
        expectCodedAnswer(res);
        for (const n of items.filter(authentic)) {
          try {
            const [parsed] = parseNotificationCollection(JSON.stringify({ value: [n] }));
            allowed.add(normalizeGraphNotification(parsed!, clock).id);
          } catch {
            // Not well-formed: must not be queued either.
          }
        }
      }),
      fcParams('graph receiver', 150, 3_000),
    );
    const queued = await drain();
    expect(queued.length).toBeGreaterThan(0);
    for (const m of queued) {
      expect(m.kind).toBe('change');
      if (m.kind === 'change') expect(allowed.has(m.event.id)).toBe(true);
    }
    expectNoSecretsLogged();
  });

  it('answers any malformed body with a coded 4xx and queues nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(badBodies(EVENT_DELETED), fc.constant(Buffer.from(fixtureText(EVENT_DELETED))).map(padded)), async (raw) => {
        const res = await createGraphNotificationsHandler(deps())(request({ body: raw }));
        expectCodedAnswer(res);
      }),
      fcParams('graph receiver bodies', 150, 3_000),
    );
    for (const m of await drain()) expect(m.kind === 'change' && m.event.outlook?.subscriptionId).toBe('{subscription_guid}');
    expectNoSecretsLogged();
  });

  it('lifecycle: answers 202 or a coded 4xx under bad bodies; queued notices are for known subscriptions', async () => {
    await fc.assert(
      fc.asyncProperty(badBodies(LIFECYCLE_REAUTHORIZE), async (raw) => {
        expectCodedAnswer(await createGraphLifecycleHandler(deps())(request({ body: raw })));
      }),
      fcParams('graph lifecycle receiver', 100, 3_000),
    );
    for (const m of await drain()) expect(m.kind === 'lifecycle' && m.notice.subscriptionId).toBe(lifecycleSubscription().id);
    expectNoSecretsLogged();
  });

  it('echoes any validation token exactly, as text/plain, and never logs it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 8, maxLength: 200 }).filter((t) => t.trim().length >= 8), async (token) => {
        const res = await createGraphNotificationsHandler(deps())(request({ query: { validationToken: token }, headers: { 'content-type': 'text/plain' } }));
        expect(res).toMatchObject({ status: 200, body: token });
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(lines.join('\n')).not.toContain(token);
      }),
      fcParams('validation token', 100, 2_000),
    );
  });

  it('queues a replayed old notification under the dedupe key of the first, so the processor takes it once', async () => {
    const handler = createGraphNotificationsHandler(deps());
    const body = fixtureText(EVENT_DELETED);
    expect((await handler(request({ body }))).status).toBe(202);
    clock = new Date('2026-01-04T00:00:00Z');
    expect((await handler(request({ body }))).status).toBe(202);
    const keys = (await drain()).map((m) => (m.kind === 'change' || m.kind === 'lifecycle' ? itemKey(m) : m.kind));
    expect(keys).toHaveLength(2);
    expect(new Set(keys).size).toBe(1);
  });
});
