/** A store over a test Azurite with a unique table prefix and queue names, so tests never share rows. */
import { randomBytes } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { loadConfig, type Config } from '../../src/config.js';
import { createStore, type Store } from '../../src/store/index.js';

export const TEST_WEBHOOK_KEY = 'test-webhook-key-0123456789';
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';
export const TEST_TENANT_ID = '84bd8158-6d4d-4958-8b9f-9d6445542f95';

/** Settings for a test: its own table prefix and queues (named after `name`), the test keys and tenant. */
export function testEnv(connectionString: string, name: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    STORAGE_CONNECTION_STRING: connectionString,
    DATAVERSE_WEBHOOK_KEY: TEST_WEBHOOK_KEY,
    ADMIN_KEY: TEST_ADMIN_KEY,
    GRAPH_TENANT_ID: TEST_TENANT_ID,
    TABLE_PREFIX: `t${name}`,
    QUEUE_NAME: `changes-${name}`,
    POISON_QUEUE_NAME: `changes-${name}-poison`,
    VISIBILITY_TIMEOUT_SECONDS: '0',
    LOG_LEVEL: 'error',
    ...env,
  };
}

export function testConfig(connectionString: string, env: Record<string, string> = {}): Config {
  return loadConfig(testEnv(connectionString, randomBytes(4).toString('hex'), env));
}

export function testStore(connectionString: string, env: Record<string, string> = {}): { config: Config; store: Store } {
  const config = testConfig(connectionString, env);
  return { config, store: createStore(config) };
}

/** The decoded messages on a queue, without taking them. */
export async function peekQueue(connectionString: string, queueName: string): Promise<unknown[]> {
  const client = new QueueClient(connectionString, queueName);
  if (!(await client.exists())) return [];
  const peeked = await client.peekMessages({ numberOfMessages: 32 });
  return peeked.peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as unknown);
}
