/**
 * The deployment sets every setting the code reads in Azure, and nothing it does not know about.
 * Setting names come from src/config.ts (AZURE_SETTING_NAMES), so a new setting there fails this test
 * until infra/main.bicep sets it.
 */
import { describe, expect, it } from 'vitest';
import { AZURE_SETTING_NAMES, loadConfig } from '../../../src/config.js';
import { parseAuthenticationString } from '../../../src/telemetry/index.js';
import { bicepParams, bicepStringVars, blockAfter, objectEntries, readRepoFile, stringLiteral } from './bicep.js';

const main = readRepoFile('infra/main.bicep');
const api = readRepoFile('infra/app/api.bicep');
const hostJson = JSON.parse(readRepoFile('host.json')) as {
  extensions: { queues: { maxDequeueCount: number; visibilityTimeout: string; batchSize: number } };
};

/** Settings passed from main.bicep plus those api.bicep adds (storage, App Insights, identity). */
const fromMain = objectEntries(blockAfter(main, 'appSettings: {'));
const fromApi = objectEntries(blockAfter(api, 'union(appSettings, {'));
const settings = new Map([...fromMain, ...fromApi]);
const mainParams = bicepParams(main);
const mainVars = bicepStringVars(main);

/** Read by code outside src/config.ts: the Functions host, telemetry, Graph/Dataverse credentials. */
const READ_ELSEWHERE = {
  AzureWebJobsStorage__blobServiceUri: 'Functions host (leases, timers) with identity-based storage',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'Functions host and src/telemetry startTelemetry',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Functions host and src/telemetry (Entra auth to App Insights)',
  AZURE_CLIENT_ID: 'src/graph/auth.ts credentialConfigFromEnv (user-assigned managed identity)',
  DATAVERSE_URL: 'Dataverse client (issue 6 registration, executor)',
  SYNC_GROUP_ID: 'mailbox discovery (synced group)',
  SYNC_USERS: 'mailbox discovery (extra mailboxes)',
  PUBLIC_BASE_URL: 'Graph subscription notification and lifecycle URLs',
} as const;

/** Flex Consumption rejects these; the runtime comes from functionAppConfig and storage is identity-based. */
const NOT_ON_FLEX = [
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_EXTENSION_VERSION',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTSHARE',
  'AzureWebJobsStorage',
  'STORAGE_CONNECTION_STRING',
];

/** The literal value of a setting, following one `var` indirection. */
function literal(name: string): string | undefined {
  const value = settings.get(name);
  return stringLiteral(value) ?? (value === undefined ? undefined : mainVars.get(value));
}

describe('app settings in infra/', () => {
  it('reads the settings from both Bicep files', () => {
    expect(fromMain.size).toBeGreaterThanOrEqual(15);
    expect(fromApi.size).toBeGreaterThanOrEqual(8);
  });

  it('sets every setting src/config.ts reads in Azure', () => {
    expect(AZURE_SETTING_NAMES.length).toBeGreaterThan(10);
    const missing = AZURE_SETTING_NAMES.filter((name) => !settings.has(name));
    expect(missing).toEqual([]);
  });

  it('sets nothing the code does not read (catches typos)', () => {
    const known = new Set<string>([...AZURE_SETTING_NAMES, ...Object.keys(READ_ELSEWHERE)]);
    expect([...settings.keys()].filter((name) => !known.has(name))).toEqual([]);
  });

  it('sets what the telemetry and identity code read outside config.ts', () => {
    for (const name of Object.keys(READ_ELSEWHERE)) expect(settings.has(name), name).toBe(true);
  });

  it('sets no setting Flex Consumption rejects and no storage connection string', () => {
    for (const name of NOT_ON_FLEX) expect(settings.has(name), name).toBe(false);
    expect(literal('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(settings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
  });

  it('points each storage service setting at its own endpoint', () => {
    expect(settings.get('AzureWebJobsStorage__blobServiceUri')).toBe('storage.properties.primaryEndpoints.blob');
    expect(settings.get('AzureWebJobsStorage__queueServiceUri')).toBe('storage.properties.primaryEndpoints.queue');
    expect(settings.get('AzureWebJobsStorage__tableServiceUri')).toBe('storage.properties.primaryEndpoints.table');
  });

  it('gives App Insights an Entra authentication string that the telemetry code understands', () => {
    const template = literal('APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
    expect(template).toBe('Authorization=AAD;ClientId=${identityClientId}');
    const clientId = '2b9c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d';
    expect(parseAuthenticationString(template!.replace('${identityClientId}', clientId))).toEqual({ clientId });
    expect(settings.get('AZURE_CLIENT_ID')).toBe('identityClientId');
  });

  it('feeds secrets only from @secure() parameters and never outputs them', () => {
    for (const name of ['DATAVERSE_WEBHOOK_KEY', 'DATAVERSE_WEBHOOK_HEADER', 'ADMIN_KEY']) {
      const source = settings.get(name)!;
      expect(mainParams.get(source)?.secure, `${name} ← ${source}`).toBe(true);
      expect(main).not.toMatch(new RegExp(`^output .*\\b${source}\\b`, 'm'));
    }
  });

  it('uses the queue names and limits the code and host.json use', () => {
    const defaults = loadConfig({});
    expect(literal('QUEUE_NAME')).toBe(defaults.queue.name);
    expect(literal('POISON_QUEUE_NAME')).toBe(defaults.queue.poisonName);
    // The Functions queue trigger moves a message to `<queue>-poison` after maxDequeueCount attempts.
    expect(literal('POISON_QUEUE_NAME')).toBe(`${literal('QUEUE_NAME')}-poison`);

    const queues = hostJson.extensions.queues;
    expect(Number(literal('MAX_DEQUEUE_COUNT'))).toBe(queues.maxDequeueCount);
    expect(Number(literal('QUEUE_BATCH_SIZE'))).toBe(queues.batchSize);
    const [h, m, s] = queues.visibilityTimeout.split(':').map(Number);
    expect(Number(literal('VISIBILITY_TIMEOUT_SECONDS'))).toBe(h! * 3600 + m! * 60 + s!);
  });

  it('gives every literal setting a value config.ts accepts', () => {
    const env = Object.fromEntries(
      AZURE_SETTING_NAMES.flatMap((name) => {
        const value = literal(name);
        return value === undefined || value.includes('${') ? [] : [[name, value]];
      }),
    );
    expect(Object.keys(env).length).toBeGreaterThan(8);
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('starts in dry-run and lets the operator switch it off', () => {
    expect(settings.get('DRY_RUN')).toBe('string(dryRun)');
    expect(main).toMatch(/^param dryRun bool = true$/m);
  });
});
