/**
 * The sandbox's token issuer (client-credentials flow) and bearer check. Tokens are opaque and held in
 * memory; each is bound to one audience, as Entra's are, so a Graph token does not open Dataverse.
 */
import { randomBytes } from 'node:crypto';

export interface ClientRegistration {
  clientId: string;
  clientSecret: string;
  /** The application user this client acts as in Dataverse (Entra object id of its service principal). */
  servicePrincipalId: string;
}

interface IssuedToken {
  clientId: string;
  audience: string;
  expiresAt: number;
}

export class TokenIssuer {
  private readonly clients = new Map<string, ClientRegistration>();
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(readonly tenantId: string, private readonly now: () => number = Date.now) {}

  register(client: ClientRegistration): void {
    this.clients.set(client.clientId, client);
  }

  /** OAuth 2.0 client credentials: `scope` is `<resource>/.default`. Returns null for bad credentials. */
  issue(clientId: string, clientSecret: string, scope: string, lifetimeSeconds = 3600): { token: string; expiresIn: number } | null {
    const client = this.clients.get(clientId);
    if (!client || client.clientSecret !== clientSecret) return null;
    const audience = scope.replace(/\/\.default$/, '').replace(/\/$/, '');
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, { clientId, audience, expiresAt: this.now() + lifetimeSeconds * 1000 });
    return { token, expiresIn: lifetimeSeconds };
  }

  /** Checks an `Authorization` header value against an audience; returns the client or null. */
  verify(authorization: string | undefined, audience: string): ClientRegistration | null {
    const match = /^Bearer (.+)$/i.exec(authorization ?? '');
    const issued = match ? this.tokens.get(match[1] as string) : undefined;
    if (!issued || issued.expiresAt <= this.now() || issued.audience !== audience.replace(/\/$/, '')) return null;
    return this.clients.get(issued.clientId) ?? null;
  }
}
