/**
 * Service configuration: one zod schema over the environment. Both hosts (Functions and Fastify) and the
 * worker read only what loadConfig returns, so a bad or missing value stops start-up naming the variable.
 */
import { z } from 'zod';
import { DeleteSyncError } from './errors.js';

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

const bool = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const s = v.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(s)) return true;
      if (['false', '0', 'no'].includes(s)) return false;
      ctx.addIssue({ code: 'custom', message: 'must be true or false' });
      return z.NEVER;
    });

/**
 * When App Service cannot resolve a Key Vault reference it sets the reference text itself ("Use Key Vault
 * references as app settings", Troubleshoot). That text names the vault and secret, so it is no secret.
 */
const isKeyVaultReference = (v: string) => /^@Microsoft\.KeyVault\(/i.test(v);
const UNRESOLVED = 'is an unresolved Key Vault reference (check the identity can read the vault and the secret exists)';

const secret = (minLength: number) =>
  optionalText.pipe(
    z
      .string()
      .min(minLength, `must be at least ${minLength} characters`)
      .refine((v) => !isKeyVaultReference(v), UNRESOLVED)
      .optional(),
  );

const commaList = optionalText.transform((v) =>
  v === undefined ? [] : v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== ''),
);

/** Azure queue names: 3-63 lowercase letters, digits and single hyphens, starting with a letter or digit. */
const queueName = (fallback: string) =>
  optionalText
    .transform((v) => v ?? fallback)
    .pipe(z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, 'must be a valid Azure queue name'));

/**
 * `DATAVERSE_WEBHOOK_HEADER` is `name:secret` in one setting (one Key Vault reference in Azure), matching
 * the Dataverse "HttpHeader" authentication type, which sends a fixed header with every call.
 */
const headerSecret = optionalText.transform((v, ctx) => {
  if (v === undefined) return undefined;
  if (isKeyVaultReference(v)) {
    ctx.addIssue({ code: 'custom', message: UNRESOLVED });
    return z.NEVER;
  }
  const colon = v.indexOf(':');
  const name = colon > 0 ? v.slice(0, colon).trim().toLowerCase() : '';
  const value = colon > 0 ? v.slice(colon + 1).trim() : '';
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name) || value.length < 16) {
    ctx.addIssue({ code: 'custom', message: 'must be "header-name:secret" with a secret of 16+ characters' });
    return z.NEVER;
  }
  return { name, value };
});

export const ConfigEnv = z.object({
  PORT: int(7071, 0, 65535),
  /** Listening address of the Fastify host; loopback unless told otherwise (e.g. 0.0.0.0 in a container). */
  HOST: optionalText.transform((v) => v ?? '127.0.0.1'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).optional().default('info'),
  /** Local / self-hosted storage. Unset in Azure (identity-based settings below) and for `npm start`'s embedded Azurite. */
  STORAGE_CONNECTION_STRING: optionalText,
  /** The Functions host's own storage setting; a connection string locally (`UseDevelopmentStorage=true`). */
  AzureWebJobsStorage: optionalText,
  AzureWebJobsStorage__accountName: optionalText,
  AzureWebJobsStorage__queueServiceUri: optionalText.pipe(z.url().optional()),
  AzureWebJobsStorage__tableServiceUri: optionalText.pipe(z.url().optional()),
  AzureWebJobsStorage__credential: optionalText.pipe(z.enum(['managedidentity']).optional()),
  AzureWebJobsStorage__clientId: optionalText,
  DATAVERSE_WEBHOOK_KEY: secret(16),
  /** The key before the last rotation, still accepted so Dataverse is not refused while it switches. */
  DATAVERSE_WEBHOOK_KEY_PREVIOUS: secret(16),
  DATAVERSE_WEBHOOK_HEADER: headerSecret,
  DATAVERSE_ALLOWED_ORGANIZATIONS: commaList,
  GRAPH_TENANT_ID: optionalText,
  ADMIN_KEY: secret(16),
  MAX_BODY_BYTES: int(1_048_576, 1024, 64 * 1_048_576),
  QUEUE_NAME: queueName('changes'),
  POISON_QUEUE_NAME: queueName('changes-poison'),
  MAX_DEQUEUE_COUNT: int(5, 1, 100),
  VISIBILITY_TIMEOUT_SECONDS: int(30, 0, 7 * 24 * 3600),
  QUEUE_BATCH_SIZE: int(16, 1, 32),
  QUEUE_MAX_POLL_MS: int(2000, 10, 60_000),
  /**
   * Self-hosted worker: how long a received message stays invisible while it is processed; after a crash
   * it is delivered again once this has passed. The Functions host holds messages 10 minutes itself.
   */
  QUEUE_LEASE_SECONDS: int(600, 1, 7 * 24 * 3600),
  POLICY_FILE: optionalText,
  DRY_RUN: bool(false),
  /**
   * Mass-delete brake: propagated deletes (decisions) per initiating user and in total within a sliding
   * window; beyond either, further deletes are held for an operator (`delete-sync release|discard`).
   */
  BRAKE_MAX_PER_USER: int(50, 1, 1000),
  BRAKE_MAX_TOTAL: int(200, 1, 1000),
  BRAKE_WINDOW_SECONDS: int(600, 1, 24 * 3600),
  /** Dataverse environment URL (link import, executor). */
  DATAVERSE_URL: optionalText.pipe(z.url().optional()),
  /** Graph service root; the public cloud unless pointed at a sandbox (local runs only). */
  GRAPH_BASE_URL: optionalText.pipe(z.url().optional()),
  /** PEM file of an extra certificate authority to trust for Graph, Dataverse and sign-in (the local tenant sandbox). */
  EXTRA_CA_FILE: optionalText,
  /** Entra group whose members' mailboxes are synced (read through Graph on every timer run). */
  SYNC_GROUP_ID: optionalText,
  /** Extra synced mailboxes (object ids or UPNs), comma-separated; alone when no group is set. */
  SYNC_USERS: commaList,
  /** Where Graph reaches this service: notificationUrl is `${PUBLIC_BASE_URL}/api/graph/notifications`. */
  PUBLIC_BASE_URL: optionalText.pipe(z.url().optional()),
  /** Self-hosted timers (the Functions host uses the schedules in functions/timers.ts). */
  SUBSCRIPTION_CHECK_MINUTES: int(30, 1, 24 * 60),
  TODO_POLL_MINUTES: int(5, 1, 24 * 60),
  /**
   * App Service authentication (Easy Auth) is in front of the app (infra/app/auth.bicep): the explorer's
   * APIs then also accept its signed-in principal (X-MS-CLIENT-PRINCIPAL). Never on by default: without
   * Easy Auth anyone can send that header.
   */
  EXPLORER_EASY_AUTH: bool(false),
  /** App role (roles claim) a signed-in principal needs for the explorer. */
  EXPLORER_OPERATOR_ROLE: optionalText.transform((v) => v ?? 'DeleteSync.Operator'),
  TABLE_PREFIX: optionalText
    .transform((v) => v ?? 'deletesync')
    .pipe(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,39}$/, 'must be a letter then up to 39 letters or digits')),
});

/** Every setting the service reads. The infrastructure tests check that the deployment sets what it needs. */
export const SETTING_NAMES = Object.keys(ConfigEnv.shape) as (keyof typeof ConfigEnv.shape)[];

/** Settings that do not belong in an Azure deployment (local connection strings, the local port). */
const LOCAL_ONLY_SETTINGS = [
  'QUEUE_LEASE_SECONDS',
  'PORT',
  'HOST',
  'STORAGE_CONNECTION_STRING',
  'AzureWebJobsStorage',
  'GRAPH_BASE_URL',
  'EXTRA_CA_FILE',
  'SUBSCRIPTION_CHECK_MINUTES',
  'TODO_POLL_MINUTES',
] as const;

/** Settings an Azure (identity-based) deployment is expected to provide or may provide. */
export const AZURE_SETTING_NAMES = SETTING_NAMES.filter(
  (n) => !(LOCAL_ONLY_SETTINGS as readonly string[]).includes(n),
);

/**
 * What an Azure deployment (Flex Consumption, user-assigned managed identity) must set for the service to
 * reach storage and authenticate callers. DATAVERSE_WEBHOOK_HEADER may stand in for DATAVERSE_WEBHOOK_KEY.
 */
export const REQUIRED_AZURE_SETTINGS = [
  'AzureWebJobsStorage__accountName',
  'AzureWebJobsStorage__credential',
  'AzureWebJobsStorage__clientId',
  'DATAVERSE_WEBHOOK_KEY',
  'ADMIN_KEY',
  'GRAPH_TENANT_ID',
  'DATAVERSE_ALLOWED_ORGANIZATIONS',
] as const satisfies readonly (typeof AZURE_SETTING_NAMES)[number][];

export type StorageSettings =
  | { kind: 'connectionString'; connectionString: string }
  | {
      kind: 'identity';
      tableServiceUri: string;
      queueServiceUri: string;
      /** User-assigned managed identity, when one is named. */
      clientId: string | undefined;
    }
  /** Nothing configured: `npm start` starts Azurite itself; the Functions host cannot run like this. */
  | { kind: 'embedded' };

export interface Config {
  port: number;
  host: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  storage: StorageSettings;
  dataverse: {
    webhookKey: string | undefined;
    previousWebhookKey: string | undefined;
    webhookHeader: { name: string; value: string } | undefined;
    /** Lower-cased organization ids or names; empty = any organization. */
    allowedOrganizations: string[];
  };
  graph: { tenantId: string | undefined; baseUrl: string | undefined };
  /** Extra CA (PEM file) trusted for outgoing HTTPS; local sandbox runs only. */
  extraCaFile: string | undefined;
  dataverseUrl: string | undefined;
  sync: {
    groupId: string | undefined;
    /** Lower-cased object ids or UPNs. */
    users: string[];
    /** Base URL Graph posts notifications to (no trailing slash). */
    publicBaseUrl: string | undefined;
    subscriptionCheckMinutes: number;
    todoPollMinutes: number;
  };
  adminKey: string | undefined;
  explorer: { easyAuth: boolean; operatorRole: string };
  maxBodyBytes: number;
  queue: {
    name: string;
    poisonName: string;
    maxDequeueCount: number;
    visibilityTimeoutSeconds: number;
    batchSize: number;
    maxPollMs: number;
    leaseSeconds: number;
  };
  policyFile: string | undefined;
  dryRun: boolean;
  brake: { maxPerUser: number; maxTotal: number; windowSeconds: number };
  tablePrefix: string;
}

function storageSettings(env: z.infer<typeof ConfigEnv>): StorageSettings {
  const connectionString = env.STORAGE_CONNECTION_STRING ?? env.AzureWebJobsStorage;
  if (connectionString !== undefined) return { kind: 'connectionString', connectionString };
  const account = env.AzureWebJobsStorage__accountName;
  const tableServiceUri =
    env.AzureWebJobsStorage__tableServiceUri ?? (account && `https://${account}.table.core.windows.net`);
  const queueServiceUri =
    env.AzureWebJobsStorage__queueServiceUri ?? (account && `https://${account}.queue.core.windows.net`);
  if (tableServiceUri && queueServiceUri) {
    return { kind: 'identity', tableServiceUri, queueServiceUri, clientId: env.AzureWebJobsStorage__clientId };
  }
  if (tableServiceUri || queueServiceUri) {
    const missing = tableServiceUri ? 'AzureWebJobsStorage__queueServiceUri' : 'AzureWebJobsStorage__tableServiceUri';
    throw new DeleteSyncError('DS_ERR_CONFIG', `${missing} is required with identity-based storage`, {
      field: missing,
    });
  }
  return { kind: 'embedded' };
}

/** Reads and validates the environment. Throws DS_ERR_CONFIG naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new DeleteSyncError('DS_ERR_CONFIG', `${name} ${issue?.message ?? 'is invalid'}`, { field: name });
  }
  const e = parsed.data;
  if (e.DATAVERSE_WEBHOOK_KEY_PREVIOUS !== undefined && e.DATAVERSE_WEBHOOK_KEY === undefined) {
    throw new DeleteSyncError('DS_ERR_CONFIG', 'DATAVERSE_WEBHOOK_KEY_PREVIOUS needs DATAVERSE_WEBHOOK_KEY', {
      field: 'DATAVERSE_WEBHOOK_KEY',
    });
  }
  if (e.POISON_QUEUE_NAME === e.QUEUE_NAME) {
    throw new DeleteSyncError('DS_ERR_CONFIG', 'POISON_QUEUE_NAME must differ from QUEUE_NAME', {
      field: 'POISON_QUEUE_NAME',
    });
  }
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    storage: storageSettings(e),
    dataverse: {
      webhookKey: e.DATAVERSE_WEBHOOK_KEY,
      previousWebhookKey: e.DATAVERSE_WEBHOOK_KEY_PREVIOUS,
      webhookHeader: e.DATAVERSE_WEBHOOK_HEADER,
      allowedOrganizations: e.DATAVERSE_ALLOWED_ORGANIZATIONS,
    },
    graph: { tenantId: e.GRAPH_TENANT_ID?.toLowerCase(), baseUrl: e.GRAPH_BASE_URL },
    extraCaFile: e.EXTRA_CA_FILE,
    dataverseUrl: e.DATAVERSE_URL,
    sync: {
      groupId: e.SYNC_GROUP_ID,
      users: e.SYNC_USERS,
      publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
      subscriptionCheckMinutes: e.SUBSCRIPTION_CHECK_MINUTES,
      todoPollMinutes: e.TODO_POLL_MINUTES,
    },
    adminKey: e.ADMIN_KEY,
    explorer: { easyAuth: e.EXPLORER_EASY_AUTH, operatorRole: e.EXPLORER_OPERATOR_ROLE },
    maxBodyBytes: e.MAX_BODY_BYTES,
    queue: {
      name: e.QUEUE_NAME,
      poisonName: e.POISON_QUEUE_NAME,
      maxDequeueCount: e.MAX_DEQUEUE_COUNT,
      visibilityTimeoutSeconds: e.VISIBILITY_TIMEOUT_SECONDS,
      batchSize: e.QUEUE_BATCH_SIZE,
      maxPollMs: e.QUEUE_MAX_POLL_MS,
      leaseSeconds: e.QUEUE_LEASE_SECONDS,
    },
    policyFile: e.POLICY_FILE,
    dryRun: e.DRY_RUN,
    brake: { maxPerUser: e.BRAKE_MAX_PER_USER, maxTotal: e.BRAKE_MAX_TOTAL, windowSeconds: e.BRAKE_WINDOW_SECONDS },
    tablePrefix: e.TABLE_PREFIX,
  };
}
