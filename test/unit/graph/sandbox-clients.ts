/**
 * Starts the tenant sandbox and connects the service's real clients to it: CA trusted through the
 * global dispatcher, ClientSecretCredential against the sandbox authority, Graph SDK client, Dataverse client.
 */
import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { startTenantSandbox, type TenantSandbox, type TenantSandboxOptions } from '../../../sandbox/index.js';
import { trustExtraCa } from '../../../src/net/ca.js';
import { createCredential } from '../../../src/graph/auth.js';
import { createGraphClient } from '../../../src/graph/client.js';
import { DataverseClient, type DataverseClientOptions } from '../../../src/dataverse/client.js';

export interface SandboxClients {
  sandbox: TenantSandbox;
  credential: TokenCredential;
  graph: Client;
  dataverse: DataverseClient;
}

export async function startSandboxClients(
  options: TenantSandboxOptions = {},
  dataverseOptions: Partial<DataverseClientOptions> = {},
): Promise<SandboxClients> {
  const sandbox = await startTenantSandbox(options);
  trustExtraCa(sandbox.ca);
  const credential = createCredential({
    kind: 'client-secret',
    tenantId: sandbox.tenantId,
    clientId: sandbox.client.clientId,
    clientSecret: sandbox.client.clientSecret,
    authorityHost: sandbox.loginUrl,
    ca: sandbox.ca,
  });
  return {
    sandbox,
    credential,
    graph: createGraphClient({ credential, baseUrl: sandbox.graphUrl }),
    dataverse: new DataverseClient({ url: sandbox.dataverseUrl, credential, ...dataverseOptions }),
  };
}

/** An hour-long meeting starting `daysAhead` days from now, in the shape Graph accepts. */
export function meetingTimes(daysAhead = 1): { start: { dateTime: string; timeZone: string }; end: { dateTime: string; timeZone: string } } {
  const start = new Date(Date.now() + daysAhead * 86_400_000);
  const end = new Date(start.getTime() + 3_600_000);
  return { start: { dateTime: start.toISOString().slice(0, 19), timeZone: 'UTC' }, end: { dateTime: end.toISOString().slice(0, 19), timeZone: 'UTC' } };
}
