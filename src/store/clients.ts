/**
 * Builds SDK clients for the configured storage: a connection string (Azurite, local runs) or the
 * identity-based `AzureWebJobsStorage__*` settings with DefaultAzureCredential (Azure).
 */
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import type { StorageSettings } from '../config.js';
import { DeleteSyncError } from '../errors.js';

export interface StorageClients {
  table(name: string): TableClient;
  queue(name: string): QueueClient;
}

/** Fail fast: receivers must answer Graph within 3 s, so a few quick retries, then 503 and the sender retries. */
const TABLE_RETRY = { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 500 };
const QUEUE_RETRY = { maxTries: 3, retryDelayInMs: 100, maxRetryDelayInMs: 500, tryTimeoutInMs: 10_000 };

export function createStorageClients(settings: StorageSettings): StorageClients {
  if (settings.kind === 'embedded') {
    throw new DeleteSyncError(
      'DS_ERR_CONFIG',
      'No storage configured: set STORAGE_CONNECTION_STRING or AzureWebJobsStorage__accountName',
      { field: 'STORAGE_CONNECTION_STRING' },
    );
  }
  if (settings.kind === 'connectionString') {
    const cs = settings.connectionString;
    const insecure = /DefaultEndpointsProtocol=http;|UseDevelopmentStorage=true|Endpoint=http:/i.test(cs);
    const queues = QueueServiceClient.fromConnectionString(cs, { retryOptions: QUEUE_RETRY });
    return {
      table: (name) =>
        TableClient.fromConnectionString(cs, name, { allowInsecureConnection: insecure, retryOptions: TABLE_RETRY }),
      queue: (name) => queues.getQueueClient(name),
    };
  }
  const credential: TokenCredential = new DefaultAzureCredential(
    settings.clientId === undefined ? {} : { managedIdentityClientId: settings.clientId },
  );
  const queues = new QueueServiceClient(settings.queueServiceUri, credential, { retryOptions: QUEUE_RETRY });
  return {
    table: (name) => new TableClient(settings.tableServiceUri, name, credential, { retryOptions: TABLE_RETRY }),
    queue: (name) => queues.getQueueClient(name),
  };
}
