/**
 * The sandbox's token issuer (client-credentials flow) and bearer check. Each token is bound to one
 * audience, as Entra's are, so a Graph token does not open Dataverse. Tokens are JWT-shaped (header,
 * claims, signature) so a client can read its `roles` claim as it can from Entra's; the sandbox itself
 * checks a token by looking it up, not by its signature.
 *
 * `roles` (Learn "appRoleAssignment resource type"): the application permissions granted to the app
 * when the token was issued; a grant made later reaches only tokens issued after it, and a token with
 * no granted role has no `roles` claim at all (observed).
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface ClientRegistration {
  clientId: string;
  clientSecret: string;
  /** The application user this client acts as in Dataverse (Entra object id of its service principal). */
  servicePrincipalId: string;
  /** Microsoft Graph application roles granted to the app (admin consent), e.g. `Calendars.Read`. */
  graphRoles?: string[];
}

interface IssuedToken {
  clientId: string;
  audience: string;
  expiresAt: number;
  roles: string[];
}

/** What a verified bearer token says: the client and the roles it was issued with. */
export interface VerifiedToken {
  client: ClientRegistration;
  roles: ReadonlySet<string>;
}

const graphResource = 'https://graph.microsoft.com';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

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
    // Dataverse privileges come from security roles, not from app roles in the token.
    const roles = audience === graphResource ? [...new Set(client.graphRoles ?? [])] : [];
    const issuedAt = Math.floor(this.now() / 1000);
    const claims = {
      aud: audience,
      iss: `https://sts.windows.net/${this.tenantId}/`,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + lifetimeSeconds,
      appid: clientId,
      idtyp: 'app',
      oid: client.servicePrincipalId,
      sub: client.servicePrincipalId,
      tid: this.tenantId,
      uti: randomUUID(),
      ver: '1.0',
      ...(roles.length > 0 ? { roles } : {}),
    };
    const token = `${b64({ typ: 'JWT', alg: 'RS256', kid: 'sandbox' })}.${b64(claims)}.${randomBytes(32).toString('base64url')}`;
    this.tokens.set(token, { clientId, audience, expiresAt: this.now() + lifetimeSeconds * 1000, roles });
    return { token, expiresIn: lifetimeSeconds };
  }

  /** Checks an `Authorization` header value against an audience; returns the client or null. */
  verify(authorization: string | undefined, audience: string): ClientRegistration | null {
    return this.verifyToken(authorization, audience)?.client ?? null;
  }

  /** As `verify`, with the roles the token carries. */
  verifyToken(authorization: string | undefined, audience: string): VerifiedToken | null {
    const match = /^Bearer (.+)$/i.exec(authorization ?? '');
    const issued = match ? this.tokens.get(match[1] as string) : undefined;
    if (!issued || issued.expiresAt <= this.now() || issued.audience !== audience.replace(/\/$/, '')) return null;
    const client = this.clients.get(issued.clientId);
    return client ? { client, roles: new Set(issued.roles) } : null;
  }
}
