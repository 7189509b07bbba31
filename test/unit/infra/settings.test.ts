/**
 * The deployment and src/config.ts agree on every setting, by name and by required-ness (issue 16,
 * item 11): each setting the code reads in Azure is set by infra/ or listed here as deliberately left to
 * the code's default; each one the code requires is set to a value that cannot come out empty; the
 * template sets nothing the code does not read; and secrets are only Key Vault references. Setting names
 * come from src/config.ts (AZURE_SETTING_NAMES, REQUIRED_AZURE_SETTINGS) and from a scan of what src/
 * and functions/ read from the environment, so a new setting fails here until infra/ handles it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AZURE_SETTING_NAMES, loadConfig, REQUIRED_AZURE_SETTINGS, SETTING_NAMES } from '../../../src/config.js';
import { parseAuthenticationString } from '../../../src/telemetry/index.js';
import {
  bicepModules,
  bicepParams,
  bicepStringVars,
  bicepVars,
  blockAfter,
  decoratorNumber,
  objectEntries,
  readRepoFile,
  repoRoot,
  stringLiteral,
} from './bicep.js';

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
const apiParams = bicepParams(api);
const mainVars = bicepVars(main);
const mainStringVars = bicepStringVars(main);
const apiModuleParams = bicepModules(main).find((m) => m.symbol === 'api')!.params;
const secretNames = objectEntries(blockAfter(main, 'var secretNames = {'));

/** Read by code outside src/config.ts: the Functions host, telemetry, the managed identity. */
const READ_ELSEWHERE = {
  AzureWebJobsStorage__blobServiceUri: 'Functions host (leases, timers) with identity-based storage',
  APPLICATIONINSIGHTS_CONNECTION_STRING: 'Functions host and src/telemetry startTelemetryFromEnv',
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Functions host and src/telemetry (Entra auth to App Insights)',
  AZURE_CLIENT_ID: 'src/graph/auth.ts credentialConfigFromEnv (user-assigned managed identity)',
} as const;

/** Read by the code, deliberately not set in Azure: there the code's own behaviour is the right one. */
const NOT_SET_IN_AZURE = {
  DATAVERSE_WEBHOOK_HEADER:
    'one webhook key: Azure uses WebhookKey (`delete-sync register`) with DATAVERSE_WEBHOOK_KEY; unset, the header path is off',
  AZURE_TENANT_ID: 'app-registration sign-in (self-hosted, CLI); in Azure the managed identity needs no tenant or secret',
  AZURE_CLIENT_SECRET: 'app-registration sign-in (self-hosted, CLI); in Azure there is no client secret',
  AZURE_AUTHORITY_HOST: 'app-registration sign-in in another cloud (self-hosted, CLI)',
  OTEL_SERVICE_NAME: 'the telemetry role name override; in Azure the Functions app name (WEBSITE_SITE_NAME) names the role',
  WEBSITE_SITE_NAME: 'set by the App Service platform on every instance; src/telemetry names the role after it',
} as const;

/** Optional in the code, required by the template, because a deployment without them does nothing useful. */
const REQUIRED_BY_THE_TEMPLATE = {
  DATAVERSE_URL: 'CRM deletes and snapshot reads need the environment (the code can run without it locally)',
  SYNC_GROUP_ID: 'the synced mailboxes; the code accepts SYNC_USERS alone, the template asks for the group',
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
  return stringLiteral(value) ?? (value === undefined ? undefined : mainStringVars.get(value));
}

/** A main.bicep param can be empty unless it is required and has @minLength(≥ 1), or defaults to a non-empty value. */
function paramCanBeEmpty(name: string, params: Map<string, ReturnType<typeof bicepParams> extends Map<string, infer P> ? P : never>): boolean {
  const p = params.get(name)!;
  if (p.type !== 'string') return false;
  if ((decoratorNumber(p, 'minLength') ?? 0) >= 1) return false;
  return !p.hasDefault || p.defaultValue === "''";
}

/**
 * Whether a Bicep value expression can come out as an empty string: literals by their text, `string(x)`
 * never, resource and module properties never (Azure fills them), params by their decorators, vars and
 * api.bicep params by what they stand for, `empty(p) ? fallback : p` by its fallback.
 */
function canBeEmpty(expr: string, file: 'main' | 'api'): boolean {
  const text = stringLiteral(expr);
  if (text !== undefined) return text === '';
  if (/^'.*\$\{.+\}.*'$/.test(expr)) return false; // an interpolated string with text around it
  if (/^string\(\w+\)$/.test(expr)) return false;
  const fallback = /^empty\((\w+)\) \? (.+) : \1$/.exec(expr);
  if (fallback) return canBeEmpty(fallback[2]!, file);
  if (/^\w+\.(properties|outputs)\.\w+/.test(expr) || /^\w+\.name$/.test(expr) || /^tenant\(\)\.tenantId$/.test(expr)) return false;
  if (file === 'api' && apiParams.has(expr)) return canBeEmpty(apiModuleParams.get(expr)!, 'main');
  if (file === 'main' && mainVars.has(expr)) return canBeEmpty(mainVars.get(expr)!, 'main');
  if (file === 'main' && mainParams.has(expr)) return paramCanBeEmpty(expr, mainParams);
  throw new Error(`cannot tell whether ${expr} (${file}) can be empty`);
}

/** Every environment variable named in src/ and functions/ outside config.ts (`env.X`, `process.env.X`). */
function environmentReadsOutsideConfig(): Map<string, string[]> {
  const reads = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && full !== join(repoRoot, 'src/config.ts')) {
        // `env.X` and `process.env.X`, not a module path such as './sync-env.js'.
        for (const m of readFileSync(full, 'utf8').matchAll(/(?<![\w\-/'"])env\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
          reads.set(m[1]!, [...(reads.get(m[1]!) ?? []), relative(repoRoot, full)]);
        }
      }
    }
  };
  walk(join(repoRoot, 'src'));
  walk(join(repoRoot, 'functions'));
  return reads;
}

describe('app settings in infra/ against src/config.ts', () => {
  it('reads the settings from both Bicep files', () => {
    expect(fromMain.size).toBeGreaterThanOrEqual(15);
    expect(fromApi.size).toBeGreaterThanOrEqual(8);
  });

  it('sets every setting config.ts reads in Azure, or says why the code default is right', () => {
    expect(AZURE_SETTING_NAMES.length).toBeGreaterThan(10);
    const unset = AZURE_SETTING_NAMES.filter((name) => !settings.has(name));
    expect(unset.sort()).toEqual(Object.keys(NOT_SET_IN_AZURE).filter((n) => (SETTING_NAMES as readonly string[]).includes(n)).sort());
  });

  it('sets every setting config.ts requires in Azure to a value that cannot be empty', () => {
    expect(REQUIRED_AZURE_SETTINGS.length).toBeGreaterThanOrEqual(5);
    for (const name of REQUIRED_AZURE_SETTINGS) {
      const value = settings.get(name);
      expect(value, `${name} is required by config.ts`).toBeDefined();
      expect(canBeEmpty(value!, fromApi.has(name) ? 'api' : 'main'), `${name} = ${value}`).toBe(false);
    }
  });

  it('requires only what config.ts requires, or says why the template is stricter', () => {
    const required = [...settings].filter(([name, value]) => {
      const file = fromApi.has(name) ? 'api' : 'main';
      return file === 'main' && mainParams.has(value) && !mainParams.get(value)!.hasDefault;
    });
    expect(required.length).toBeGreaterThan(0);
    const stricter = required.map(([name]) => name).filter((name) => !(REQUIRED_AZURE_SETTINGS as readonly string[]).includes(name));
    expect(stricter.sort()).toEqual(Object.keys(REQUIRED_BY_THE_TEMPLATE).sort());
    // A template-required setting must not be emptied by an unset azd variable either.
    for (const name of stricter) expect(canBeEmpty(settings.get(name)!, 'main'), name).toBe(false);
  });

  it('sets nothing the code does not read (catches typos)', () => {
    const known = new Set<string>([...AZURE_SETTING_NAMES, ...Object.keys(READ_ELSEWHERE)]);
    expect([...settings.keys()].filter((name) => !known.has(name))).toEqual([]);
    for (const name of Object.keys(READ_ELSEWHERE)) expect(settings.has(name), name).toBe(true);
  });

  it('accounts for every environment variable src/ and functions/ read outside config.ts', () => {
    const reads = environmentReadsOutsideConfig();
    expect(reads.size).toBeGreaterThanOrEqual(5);
    const accounted = new Set<string>([...SETTING_NAMES, ...Object.keys(READ_ELSEWHERE), ...Object.keys(NOT_SET_IN_AZURE)]);
    const unaccounted = [...reads].filter(([name]) => !accounted.has(name)).map(([name, files]) => `${name} (${files.join(', ')})`);
    expect(unaccounted).toEqual([]);
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
    expect(mainParams.get('dryRun')?.defaultValue).toBe('true');
  });
});

describe('secrets in the app settings', () => {
  const SECRET_SETTINGS = AZURE_SETTING_NAMES.filter((name) => /KEY|SECRET|HEADER/.test(name));
  const reference = (secret: string) => `'@Microsoft.KeyVault(SecretUri=\${keyVault.outputs.uri}secrets/\${secretNames.${secret}})'`;

  it('are Key Vault references to the secrets main.bicep names, never a parameter', () => {
    expect(SECRET_SETTINGS.sort()).toEqual(['ADMIN_KEY', 'DATAVERSE_WEBHOOK_HEADER', 'DATAVERSE_WEBHOOK_KEY', 'DATAVERSE_WEBHOOK_KEY_PREVIOUS']);
    const bySetting = { DATAVERSE_WEBHOOK_KEY: 'webhookKey', DATAVERSE_WEBHOOK_KEY_PREVIOUS: 'previousWebhookKey', ADMIN_KEY: 'adminKey' } as const;
    for (const [setting, secret] of Object.entries(bySetting)) {
      expect(settings.get(setting), setting).toBe(reference(secret));
      expect(secretNames.has(secret), secret).toBe(true);
    }
    expect(settings.has('DATAVERSE_WEBHOOK_HEADER')).toBe(false);
  });

  it('resolve as the app\'s user-assigned identity', () => {
    const site = blockAfter(api, "resource functionApp 'Microsoft.Web/sites@");
    expect(objectEntries(blockAfter(site, 'properties: {')).get('keyVaultReferenceIdentity')).toBe('identityId');
  });

  it('never pass through a deployment parameter or an output', () => {
    expect([...mainParams.values()].filter((p) => p.secure).map((p) => p.name)).toEqual([]);
    for (const p of mainParams.keys()) expect(p, 'a parameter named like a secret').not.toMatch(/key|secret|password|header/i);
    const outputs = [...main.matchAll(/^output\s+(\w+)\s+\w+\s*=\s*(.+)$/gm)];
    for (const [, name, value] of outputs) {
      expect(value, name).not.toMatch(/secretNames|KeyVault\(|listKeys|listSecrets/);
      expect(name, 'an output named like a secret').not.toMatch(/_KEY$|SECRET|PASSWORD/);
    }
  });
});
