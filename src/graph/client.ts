/**
 * The Microsoft Graph client: the official SDK with a TokenCredential behind
 * TokenCredentialAuthenticationProvider. `baseUrl` may point at a sandbox; its host is registered as a
 * custom host so the SDK attaches the bearer token (it does so only for https URLs of known hosts).
 */
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { TokenCredential } from '@azure/identity';

export const GRAPH_BASE_URL = 'https://graph.microsoft.com';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

export interface GraphClientOptions {
  credential: TokenCredential;
  /** Service root without the version, e.g. `https://graph.microsoft.com` or the sandbox's graphUrl. */
  baseUrl?: string;
}

export function createGraphClient(options: GraphClientOptions): Client {
  const baseUrl = (options.baseUrl ?? GRAPH_BASE_URL).replace(/\/+$/, '');
  const authProvider = new TokenCredentialAuthenticationProvider(options.credential, { scopes: [GRAPH_SCOPE] });
  return Client.initWithMiddleware({
    authProvider,
    baseUrl,
    defaultVersion: 'v1.0',
    // The SDK compares hostnames without the port.
    customHosts: new Set([new URL(baseUrl).hostname]),
  });
}
