import { describe, expect, it } from 'vitest';
import { AZURE_SETTING_NAMES, loadConfig, REQUIRED_AZURE_SETTINGS, SETTING_NAMES } from '../../../src/config.js';

const base = { STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' };

function configError(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (error) {
    return error as { code: string; field: string; message: string };
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('applies the documented defaults, equal to host.json', () => {
    const config = loadConfig(base);
    expect(config.port).toBe(7071);
    expect(config.host).toBe('127.0.0.1');
    expect(config.queue).toEqual({
      name: 'changes',
      poisonName: 'changes-poison',
      maxDequeueCount: 5,
      visibilityTimeoutSeconds: 30,
      batchSize: 16,
      maxPollMs: 2000,
      leaseSeconds: 600,
    });
    expect(config.maxBodyBytes).toBe(1_048_576);
    expect(config.dryRun).toBe(false);
    expect(config.tablePrefix).toBe('deletesync');
    expect(config.storage).toEqual({ kind: 'connectionString', connectionString: 'UseDevelopmentStorage=true' });
  });

  it('reads the identity-based AzureWebJobsStorage__* settings', () => {
    const config = loadConfig({
      AzureWebJobsStorage__accountName: 'stdeletesync',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: 'client-1',
    });
    expect(config.storage).toEqual({
      kind: 'identity',
      tableServiceUri: 'https://stdeletesync.table.core.windows.net',
      queueServiceUri: 'https://stdeletesync.queue.core.windows.net',
      clientId: 'client-1',
    });
    expect(configError({ AzureWebJobsStorage__tableServiceUri: 'https://x.table.core.windows.net' }).field).toBe(
      'AzureWebJobsStorage__queueServiceUri',
    );
    expect(loadConfig({}).storage).toEqual({ kind: 'embedded' });
  });

  it('parses the header secret as name:value and the organization allow-list', () => {
    const config = loadConfig({
      ...base,
      DATAVERSE_WEBHOOK_HEADER: 'X-Sync-Secret: 0123456789abcdef0123',
      DATAVERSE_ALLOWED_ORGANIZATIONS: ' Org-A ,org-b,,',
    });
    expect(config.dataverse.webhookHeader).toEqual({ name: 'x-sync-secret', value: '0123456789abcdef0123' });
    expect(config.dataverse.allowedOrganizations).toEqual(['org-a', 'org-b']);
  });

  it.each([
    ['PORT', 'seventy'],
    ['MAX_DEQUEUE_COUNT', '0'],
    ['DRY_RUN', 'perhaps'],
    ['DATAVERSE_WEBHOOK_KEY', 'short'],
    ['DATAVERSE_WEBHOOK_HEADER', 'no-colon-here-at-all'],
    ['ADMIN_KEY', 'short'],
    ['QUEUE_NAME', 'Bad_Name'],
    ['TABLE_PREFIX', '1abc'],
    ['AzureWebJobsStorage__queueServiceUri', 'not a url'],
    ['AzureWebJobsStorage__credential', 'password'],
    ['LOG_LEVEL', 'loud'],
  ])('stops with DS_ERR_CONFIG naming %s', (name, value) => {
    const error = configError({ ...base, [name]: value });
    expect(error.code).toBe('DS_ERR_CONFIG');
    expect(error.field).toBe(name);
    expect(error.message).toContain(name);
    // Secrets are named, never echoed.
    if (/KEY|HEADER/.test(name)) expect(error.message).not.toContain(value);
  });

  it.each(['DATAVERSE_WEBHOOK_KEY', 'DATAVERSE_WEBHOOK_KEY_PREVIOUS', 'ADMIN_KEY', 'DATAVERSE_WEBHOOK_HEADER'])(
    'refuses an unresolved Key Vault reference in %s, whose text anyone reading the template knows',
    (name) => {
      const reference = '@Microsoft.KeyVault(SecretUri=https://kv-abc.vault.azure.net/secrets/dataverse-webhook-key)';
      const error = configError({ ...base, DATAVERSE_WEBHOOK_KEY: 'current-key-0123456789', [name]: reference });
      expect(error).toMatchObject({ code: 'DS_ERR_CONFIG', field: name });
      expect(error.message).toContain('unresolved Key Vault reference');
    },
  );

  it('takes a previous webhook key only beside a current one', () => {
    const config = loadConfig({ ...base, DATAVERSE_WEBHOOK_KEY: 'current-key-0123456789', DATAVERSE_WEBHOOK_KEY_PREVIOUS: 'previous-key-0123456789' });
    expect(config.dataverse).toMatchObject({ webhookKey: 'current-key-0123456789', previousWebhookKey: 'previous-key-0123456789' });
    expect(configError({ ...base, DATAVERSE_WEBHOOK_KEY_PREVIOUS: 'previous-key-0123456789' }).field).toBe('DATAVERSE_WEBHOOK_KEY');
  });

  it('refuses a poison queue equal to the main queue', () => {
    expect(configError({ ...base, QUEUE_NAME: 'same', POISON_QUEUE_NAME: 'same' }).field).toBe('POISON_QUEUE_NAME');
  });

  it('lists every setting it reads, and which belong in Azure', () => {
    expect(SETTING_NAMES).toContain('DATAVERSE_WEBHOOK_KEY');
    expect(SETTING_NAMES).toContain('AzureWebJobsStorage__accountName');
    expect(AZURE_SETTING_NAMES).not.toContain('STORAGE_CONNECTION_STRING');
    expect(AZURE_SETTING_NAMES).toContain('ADMIN_KEY');
    expect(new Set(SETTING_NAMES).size).toBe(SETTING_NAMES.length);
    for (const name of REQUIRED_AZURE_SETTINGS) expect(AZURE_SETTING_NAMES).toContain(name);
  });

  it('accepts a deployment that sets exactly the required Azure settings', () => {
    const env = Object.fromEntries(REQUIRED_AZURE_SETTINGS.map((n) => [n, n === 'AzureWebJobsStorage__credential' ? 'managedidentity' : `${n.toLowerCase().replace(/_/g, '')}-0123456789`]));
    const config = loadConfig(env);
    expect(config.storage.kind).toBe('identity');
    expect(config.adminKey).toBeDefined();
  });
});
