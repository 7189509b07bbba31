import { beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import type { DomainEvent } from '../../../src/domain/event.js';
import { createDataverseWebhookHandler } from '../../../src/handlers/dataverse-webhook.js';
import type { HandlerDeps } from '../../../src/handlers/deps.js';
import { createLogger, type LogLevel } from '../../../src/log.js';
import type { Store } from '../../../src/store/index.js';
import { unreachableStorage, useTestAzurite } from '../../helpers/azurite.js';
import { DELETE_APPOINTMENT, fixtureJson, fixtureText, request } from '../../helpers/requests.js';
import { peekQueue, TEST_WEBHOOK_KEY, testStore } from '../../helpers/store.js';

const testAzurite = useTestAzurite();

let config: Config;
let store: Store;
let lines: string[];
const now = new Date('2026-01-01T00:00:00Z');
const deps = (): HandlerDeps => ({
  config,
  store,
  now: () => now,
  log: createLogger({ level: 'debug', sink: (_l: LogLevel, line: string) => lines.push(line) }),
});
const handler = () => createDataverseWebhookHandler(deps());
const body = fixtureText(DELETE_APPOINTMENT);
const withKey = { query: { code: TEST_WEBHOOK_KEY } };

async function queued(): Promise<{ kind: string; event: DomainEvent }[]> {
  return (await peekQueue(testAzurite().connectionString, config.queue.name)) as { kind: string; event: DomainEvent }[];
}

beforeEach(() => {
  ({ config, store } = testStore(testAzurite().connectionString, {
    DATAVERSE_WEBHOOK_HEADER: 'x-sync-secret:header-secret-0123456789',
    DATAVERSE_ALLOWED_ORGANIZATIONS: '00000000-0000-0000-0000-0000000000d1, contoso.crm.dynamics.com',
    MAX_BODY_BYTES: '65536',
  }));
  lines = [];
});

describe('POST /api/dataverse/webhook', () => {
  it('accepts a Delete with the right key: 202, one change message', async () => {
    const res = await handler()(request({ ...withKey, body }));
    expect(res.status).toBe(202);
    const messages = await queued();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.kind).toBe('change');
    expect(messages[0]?.event.crm?.ref).toEqual({ entity: 'appointment', id: '00000000-0000-0000-0000-0000000a0001' });
    expect(messages[0]?.event.crm?.preImageMissing).toBe(false);
  });

  it('accepts the configured header secret instead of the key', async () => {
    const res = await handler()(request({ headers: { 'x-sync-secret': 'header-secret-0123456789' }, body }));
    expect(res.status).toBe(202);
  });

  it('accepts the previous key during a rotation, and neither key once it is retired', async () => {
    const previous = 'previous-webhook-key-0123456789';
    ({ config, store } = testStore(testAzurite().connectionString, { DATAVERSE_WEBHOOK_KEY_PREVIOUS: previous }));
    expect((await handler()(request({ query: { code: previous }, body }))).status).toBe(202);
    expect((await handler()(request({ ...withKey, body }))).status).toBe(202);
    // Retired: the rotation sets the previous key to the current one.
    ({ config, store } = testStore(testAzurite().connectionString, { DATAVERSE_WEBHOOK_KEY_PREVIOUS: TEST_WEBHOOK_KEY }));
    expect((await handler()(request({ query: { code: previous }, body }))).status).toBe(401);
  });

  it('answers a redelivery 202 with one write, under the dedupe key of the first (the processor drops it)', async () => {
    const h = handler();
    expect((await h(request({ ...withKey, body }))).status).toBe(202);
    const second = await h(request({ ...withKey, body }));
    expect(second.status).toBe(202);
    expect(JSON.parse(second.body)).toEqual({ status: 'enqueued' });
    const ids = (await queued()).map((m) => (m.kind === 'change' ? m.event.id : m.kind));
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(1);
  });

  it.each([
    ['no key', {}],
    ['a wrong key', { query: { code: 'wrong-key-wrong-key-wrong' } }],
    ['a wrong header secret', { headers: { 'x-sync-secret': 'nope' } }],
  ])('answers 401 for %s and enqueues nothing', async (_name, over) => {
    const res = await handler()(request({ ...over, body }));
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'DS_ERR_UNAUTHORIZED' });
    expect(await queued()).toHaveLength(0);
  });

  it('answers 413 for a body over MAX_BODY_BYTES', async () => {
    const res = await handler()(request({ ...withKey, body: Buffer.alloc(70_000, 0x20) }));
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).code).toBe('DS_ERR_BODY_TOO_LARGE');
    expect(await queued()).toHaveLength(0);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], [undefined]])(
    'accepts a JSON body with a valid key whatever its Content-Type (%s): Dataverse does not document it',
    async (type) => {
      const res = await handler()(request({ ...withKey, headers: { 'content-type': type }, body }));
      expect(res.status).toBe(202);
      expect(await queued()).toHaveLength(1);
    },
  );

  it('answers 400 DS_ERR_BAD_JSON for a body that is not JSON, whatever its Content-Type', async () => {
    const res = await handler()(request({ ...withKey, headers: { 'content-type': 'text/plain' }, body: 'hello' }));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).code).toBe('DS_ERR_BAD_JSON');
    expect(await queued()).toHaveLength(0);
  });

  it('answers 400 with a coded error naming the field for malformed bodies', async () => {
    const bad = await handler()(request({ ...withKey, body: '{"MessageName":' }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'DS_ERR_BAD_JSON' });
    const wrong = fixtureJson(DELETE_APPOINTMENT);
    delete wrong.OperationId;
    const invalid = await handler()(request({ ...withKey, body: JSON.stringify(wrong) }));
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body)).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'OperationId' });
    expect(await queued()).toHaveLength(0);
  });

  it('answers 403 for an organization outside the allow-list', async () => {
    const other = fixtureJson(DELETE_APPOINTMENT);
    other.OrganizationId = '11111111-0000-0000-0000-000000000000';
    const res = await handler()(request({ ...withKey, body: JSON.stringify(other) }));
    expect(res.status).toBe(403);
    const byName = await handler()(
      request({ ...withKey, headers: { 'x-ms-dynamics-organization': 'Contoso.crm.dynamics.com' }, body: JSON.stringify(other) }),
    );
    expect(byName.status).toBe(202);
  });

  it('keeps a size-exceeded Delete (no images) and marks the pre-image missing', async () => {
    const trimmed = fixtureJson(DELETE_APPOINTMENT);
    // What Dataverse removes when the body passes 256 KB.
    trimmed.InputParameters = [];
    trimmed.PreEntityImages = [];
    trimmed.ParentContext = null;
    const res = await handler()(
      request({ ...withKey, headers: { 'x-ms-dynamics-msg-size-exceeded': 'true' }, body: JSON.stringify(trimmed) }),
    );
    expect(res.status).toBe(202);
    const [message] = await queued();
    expect(message?.event.crm).toMatchObject({ sizeExceeded: true, preImageMissing: true, snapshot: null });
  });

  it('answers 503 when storage is down, so Dataverse retries', async () => {
    ({ config, store } = testStore(await unreachableStorage()));
    const res = await handler()(request({ ...withKey, body }));
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).code).toBe('DS_ERR_STORAGE_UNAVAILABLE');
  });

  it('never logs the key', async () => {
    await handler()(request({ query: { code: 'wrong-key-wrong-key-wrong' }, body }));
    await handler()(request({ ...withKey, body }));
    const all = lines.join('\n');
    expect(all).toContain('webhook accepted');
    expect(all).not.toContain(TEST_WEBHOOK_KEY);
    expect(all).not.toContain('wrong-key-wrong-key-wrong');
  });
});
