import { describe, expect, it } from 'vitest';
import { createService } from '../../../src/app/service.js';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/log.js';
import { azuriteConnectionString } from '../../../src/server/azurite.js';

// Nothing here connects: the store, credential and clients are only built.
const base = {
  STORAGE_CONNECTION_STRING: azuriteConnectionString({ blob: 1, queue: 1, table: 1 }),
  DATAVERSE_WEBHOOK_KEY: 'unit-webhook-key-0123456789',
};
const sandboxCredential = {
  AZURE_TENANT_ID: '84bd8158-6d4d-4958-8b9f-9d6445542f95',
  AZURE_CLIENT_ID: 'b0c3c1de-2f9a-4a53-9d8e-7f2f2b7e0d11',
  AZURE_CLIENT_SECRET: 'not-a-real-secret',
};

describe('createService', () => {
  it('without DATAVERSE_URL records decisions and plugs in no executor', () => {
    const service = createService(loadConfig(base), { log: silentLogger, env: {} });
    expect(service.clients).toBeNull();
    expect(service.executor).toBeNull();
    expect(service.runtime.queue.execute).toBeUndefined();
  });

  it('with DATAVERSE_URL builds the clients and puts the executor behind the processor seam', () => {
    const config = loadConfig({ ...base, DATAVERSE_URL: 'https://contoso.crm.dynamics.com' });
    const service = createService(config, { log: silentLogger, env: sandboxCredential });
    expect(service.clients).not.toBeNull();
    expect(service.executor).not.toBeNull();
    expect(service.runtime.queue.execute).toBeTypeOf('function');
  });

  it('names EXTRA_CA_FILE when it cannot be read', () => {
    const config = loadConfig({ ...base, DATAVERSE_URL: 'https://contoso.crm.dynamics.com', EXTRA_CA_FILE: '/nonexistent/ca.pem' });
    expect(() => createService(config, { log: silentLogger, env: sandboxCredential })).toThrow(
      expect.objectContaining({ code: 'DS_ERR_CONFIG', field: 'EXTRA_CA_FILE' }),
    );
  });

  it('names the incomplete credential setting', () => {
    const config = loadConfig({ ...base, DATAVERSE_URL: 'https://contoso.crm.dynamics.com' });
    expect(() => createService(config, { log: silentLogger, env: { AZURE_CLIENT_SECRET: 'x' } })).toThrow(expect.objectContaining({ code: 'DS_ERR_CONFIG' }));
  });
});
