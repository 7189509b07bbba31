import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { Agent, setGlobalDispatcher } from 'undici';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import { ClientSecretCredential } from '@azure/identity';
import { useSandbox } from './client.js';

const env = useSandbox();

describe('the real Graph SDK against the sandbox', () => {
  it('authenticates with @azure/identity, filters by iCalUId and deletes through $batch', async () => {
    const { sandbox } = env;
    // The SDK uses the global fetch; @azure/identity uses its own pipeline, trusted through tlsOptions.
    // customHosts takes host names without the port (the SDK strips it before comparing).
    setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, sandbox.ca] } }));
    const alice = sandbox.directory.add({ displayName: 'Alice SDK' });
    const credential = new ClientSecretCredential(sandbox.tenantId, sandbox.client.clientId, sandbox.client.clientSecret, {
      authorityHost: sandbox.loginUrl,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: sandbox.ca },
    });
    const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: ['https://graph.microsoft.com/.default'] });
    const client = Client.initWithMiddleware({ authProvider, baseUrl: sandbox.graphUrl, customHosts: new Set([new URL(sandbox.graphUrl).hostname]) });
    const event = sandbox.graph.createEvent(alice.id, { subject: 'SDK', start: { dateTime: '2030-01-01T00:00:00', timeZone: 'UTC' }, end: { dateTime: '2030-01-01T01:00:00', timeZone: 'UTC' } });

    const found = await client.api(`/users/${alice.id}/events`).filter(`iCalUId eq '${event.iCalUId as string}'`).get();
    expect(found.value.map((e: { id: string }) => e.id)).toEqual([event.id]);
    const batch = await client.api('/$batch').post({ requests: [{ id: '1', method: 'DELETE', url: `/users/${alice.id}/events/${event.id as string}` }] });
    expect(batch.responses).toEqual([expect.objectContaining({ id: '1', status: 204 })]);
    expect(sandbox.deleteLog.entries({ id: event.id as string, status: 204 })).toHaveLength(1);
  });
});
