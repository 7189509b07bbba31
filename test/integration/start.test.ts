/**
 * `npm start`'s path: no storage configured → embedded Azurite (data under the data folder), generated
 * local keys, the Fastify host and the worker; a Delete POSTed with the key becomes a decision record
 * readable at /api/decisions.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startService, type RunningService } from '../../src/server/start.js';
import { DELETE_APPOINTMENT, fixtureText } from '../helpers/requests.js';

let dataDir: string;
let service: RunningService;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'delete-sync-start-'));
  service = await startService({ env: { PORT: '0', QUEUE_MAX_POLL_MS: '100' }, dataDir, log: silentLogger });
});
afterAll(async () => {
  await service?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('startService without storage settings', () => {
  it('serves every endpoint on an embedded Azurite and decides a posted Delete', async () => {
    expect(service.azurite).toBeDefined();
    expect((await stat(path.join(dataDir, 'azurite'))).isDirectory()).toBe(true);
    const keysFile = path.join(dataDir, 'local-keys.json');
    expect((await stat(keysFile)).mode & 0o777).toBe(0o600);
    const keys = JSON.parse(await readFile(keysFile, 'utf8')) as { DATAVERSE_WEBHOOK_KEY: string; ADMIN_KEY: string };

    expect((await fetch(`${service.url}/api/health`)).status).toBe(200);
    const posted = await fetch(`${service.url}/api/dataverse/webhook?code=${encodeURIComponent(keys.DATAVERSE_WEBHOOK_KEY)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: fixtureText(DELETE_APPOINTMENT),
    });
    expect(posted.status).toBe(202);

    const read = async () => {
      const res = await fetch(`${service.url}/api/decisions?limit=5`, { headers: { 'x-admin-key': keys.ADMIN_KEY } });
      return ((await res.json()) as { decisions: { recordKey: string; ruleId: string }[] }).decisions;
    };
    await expect.poll(read, { timeout: 10_000, interval: 100 }).toEqual([
      expect.objectContaining({ recordKey: 'appointment:00000000-0000-0000-0000-0000000a0001' }),
    ]);
    const validation = await fetch(`${service.url}/api/graph/notifications?validationToken=a%2Bb%20%3Cscript%3E`, { method: 'POST' });
    expect(await validation.text()).toBe('a+b <script>');
  });

  it('stops start-up naming a bad setting', async () => {
    await expect(startService({ env: { PORT: 'x' }, dataDir, log: silentLogger })).rejects.toMatchObject({
      code: 'DS_ERR_CONFIG',
      field: 'PORT',
    });
  });

  it('keeps the embedded Azurite on the same ports across starts, and a given webhook key does not drop the generated admin key', async () => {
    const ports = service.azurite!.ports;
    await service.stop();
    const webhookKey = 'given-webhook-key-0123456789';
    service = await startService({ env: { PORT: '0', QUEUE_MAX_POLL_MS: '100', DATAVERSE_WEBHOOK_KEY: webhookKey }, dataDir, log: silentLogger });
    expect(service.azurite!.ports).toEqual(ports);
    const keys = JSON.parse(await readFile(path.join(dataDir, 'local-keys.json'), 'utf8')) as { ADMIN_KEY: string };
    expect(service.config.adminKey).toBe(keys.ADMIN_KEY);
    expect(service.config.dataverse.webhookKey).toBe(webhookKey);
    expect((await fetch(`${service.url}/api/decisions?limit=1`, { headers: { 'x-admin-key': keys.ADMIN_KEY } })).status).toBe(200);
  });
});
