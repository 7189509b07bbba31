/**
 * What every section runs on: Azurite (child process, in memory), the tenant sandbox (HTTPS on
 * loopback, 50 ms per Graph and Dataverse request, the published per-mailbox limits), and the
 * service's real clients connected to it. Started once per bench run and stopped at the end.
 */
import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import { startTenantSandbox, type TenantSandbox } from '../sandbox/index.js';
import { DataverseClient } from '../src/dataverse/client.js';
import { createCredential, credentialConfigFromEnv } from '../src/graph/auth.js';
import { createGraphClient } from '../src/graph/client.js';
import { startAzurite, type RunningAzurite } from '../src/server/azurite.js';
import { installRequestCounter, type RequestCounter } from './request-counter.js';

/** The latency model the issue asks for: every Graph (and Dataverse) request takes 50 ms. */
export const REQUEST_LATENCY_MS = 50;

export interface BenchInfra {
  azurite: RunningAzurite;
  sandbox: TenantSandbox;
  credential: TokenCredential;
  graph: Client;
  dataverse: DataverseClient;
  requests: RequestCounter;
  close(): Promise<void>;
}

/** Latency and limits back to the bench's model (after a section changed them). */
export function resetFaults(sandbox: TenantSandbox): void {
  sandbox.faults.reset();
  sandbox.faults.set('graph', { latencyMs: REQUEST_LATENCY_MS });
  sandbox.faults.set('dataverse', { latencyMs: REQUEST_LATENCY_MS });
}

export async function startInfra(): Promise<BenchInfra> {
  const azurite = await startAzurite();
  let sandbox: TenantSandbox | undefined;
  try {
    sandbox = await startTenantSandbox({ faultSeed: 7 });
    resetFaults(sandbox);
    const requests = installRequestCounter(sandbox.ca);
    // The settings a deployment with an app registration would have, pointed at the sandbox's authority.
    const credential = createCredential(
      credentialConfigFromEnv(
        {
          AZURE_TENANT_ID: sandbox.tenantId,
          AZURE_CLIENT_ID: sandbox.client.clientId,
          AZURE_CLIENT_SECRET: sandbox.client.clientSecret,
          AZURE_AUTHORITY_HOST: sandbox.loginUrl,
        },
        sandbox.ca,
      ),
    );
    const running = sandbox;
    return {
      azurite,
      sandbox,
      credential,
      graph: createGraphClient({ credential, baseUrl: sandbox.graphUrl }),
      dataverse: new DataverseClient({ url: sandbox.dataverseUrl, credential }),
      requests,
      async close() {
        await running.close();
        await azurite.stop();
      },
    };
  } catch (error) {
    await sandbox?.close();
    await azurite.stop();
    throw error;
  }
}
