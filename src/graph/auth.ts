/**
 * Credentials for Graph and Dataverse. In Azure: the function app's managed identity (or the
 * DefaultAzureCredential chain); with an app registration: client secret. Against the local tenant
 * sandbox the same ClientSecretCredential is used, pointed at the sandbox's authority: MSAL accepts a
 * non-Microsoft authority when instance discovery is off, reads its
 * `/{tenant}/v2.0/.well-known/openid-configuration` and posts client credentials to the token endpoint
 * named there. Identity's HTTP pipeline uses node:https, not the global fetch, so the sandbox CA is
 * handed to it through `tlsOptions` rather than through the undici dispatcher.
 */
import type { TokenCredential } from '@azure/identity';
import { ClientSecretCredential, DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { z } from 'zod';
import { DeleteSyncError } from '../errors.js';

export const CredentialConfig = z.discriminatedUnion('kind', [
  /** System-assigned identity, or a user-assigned one named by its client id. */
  z.object({ kind: z.literal('managed-identity'), clientId: z.string().min(1).optional() }),
  z.object({ kind: z.literal('default') }),
  z.object({
    kind: z.literal('client-secret'),
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** e.g. the sandbox's loginUrl; omitted = the public cloud. */
    authorityHost: z.string().url().optional(),
    /** Extra CA (PEM) to trust for the authority, e.g. the sandbox certificate. */
    ca: z.string().optional(),
  }),
]);
export type CredentialConfig = z.infer<typeof CredentialConfig>;

export function createCredential(config: CredentialConfig): TokenCredential {
  switch (config.kind) {
    case 'managed-identity':
      return config.clientId ? new ManagedIdentityCredential({ clientId: config.clientId }) : new ManagedIdentityCredential();
    case 'default':
      return new DefaultAzureCredential();
    case 'client-secret':
      return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
        ...(config.authorityHost ? { authorityHost: config.authorityHost, disableInstanceDiscovery: true } : {}),
        ...(config.ca ? { tlsOptions: { ca: config.ca } } : {}),
      });
  }
}

/**
 * Reads the credential from the environment: AZURE_CLIENT_SECRET (with AZURE_TENANT_ID, AZURE_CLIENT_ID,
 * optional AZURE_AUTHORITY_HOST) selects client-secret; otherwise managed identity, user-assigned when
 * AZURE_CLIENT_ID is set.
 */
export function credentialConfigFromEnv(env: NodeJS.ProcessEnv, ca?: string): CredentialConfig {
  const candidate = env.AZURE_CLIENT_SECRET
    ? {
        kind: 'client-secret',
        tenantId: env.AZURE_TENANT_ID,
        clientId: env.AZURE_CLIENT_ID,
        clientSecret: env.AZURE_CLIENT_SECRET,
        authorityHost: env.AZURE_AUTHORITY_HOST || undefined,
        ca,
      }
    : { kind: 'managed-identity', clientId: env.AZURE_CLIENT_ID || undefined };
  const parsed = CredentialConfig.safeParse(candidate);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') ?? 'credential';
    throw new DeleteSyncError('DS_ERR_CONFIG', `Credential settings are incomplete (${field})`, { field });
  }
  return parsed.data;
}
