/**
 * Who may use the explorer's APIs: a caller with the admin key (`x-admin-key`, as GET /api/decisions),
 * or, only when the deployment says App Service authentication (Easy Auth) is in front of the app
 * (EXPLORER_EASY_AUTH), a principal it signed in that holds the operator app role. App Service sets
 * X-MS-CLIENT-PRINCIPAL itself and lets no caller set it; without Easy Auth anyone can send that header,
 * so then it is ignored.
 */
import { z } from 'zod';
import type { Config } from '../config.js';
import { DeleteSyncError } from '../errors.js';
import type { HandlerRequest } from './http.js';
import { secretEquals } from './secrets.js';

/** The decoded X-MS-CLIENT-PRINCIPAL ("Decoding the client principal header", App Service docs). */
const ClientPrincipal = z.object({
  auth_typ: z.string(),
  claims: z.array(z.object({ typ: z.string(), val: z.string() })),
  name_typ: z.string().optional(),
  role_typ: z.string().optional(),
});

/** Role claims as Entra issues them (`roles`) and as the claim mapping may rename them. */
const ROLE_CLAIM_TYPES = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];

export type Operator = { via: 'admin-key' } | { via: 'entra'; name: string | null };

function principalOf(header: string): z.infer<typeof ClientPrincipal> | null {
  try {
    const parsed = ClientPrincipal.safeParse(JSON.parse(Buffer.from(header, 'base64').toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function signedIn(request: HandlerRequest, explorer: Config['explorer']): Operator | 'forbidden' | null {
  const header = request.headers['x-ms-client-principal'];
  if (!explorer.easyAuth || header === undefined || header === '') return null;
  const principal = principalOf(header);
  if (principal === null || principal.auth_typ.toLowerCase() !== 'aad') return 'forbidden';
  const roleTypes = new Set([...ROLE_CLAIM_TYPES, ...(principal.role_typ ? [principal.role_typ] : [])]);
  const isOperator = principal.claims.some((c) => roleTypes.has(c.typ) && c.val === explorer.operatorRole);
  if (!isOperator) return 'forbidden';
  const nameType = principal.name_typ ?? 'name';
  return { via: 'entra', name: request.headers['x-ms-client-principal-name'] ?? principal.claims.find((c) => c.typ === nameType)?.val ?? null };
}

/** The caller, or DS_ERR_UNAUTHORIZED (no credentials) / DS_ERR_FORBIDDEN (signed in without the role). */
export function authorizeOperator(request: HandlerRequest, config: Pick<Config, 'adminKey' | 'explorer'>): Operator {
  if (secretEquals(request.headers['x-admin-key'], config.adminKey)) return { via: 'admin-key' };
  const principal = signedIn(request, config.explorer);
  if (principal === 'forbidden') {
    throw new DeleteSyncError('DS_ERR_FORBIDDEN', `Signed in, but without the app role ${config.explorer.operatorRole}`);
  }
  if (principal === null) throw new DeleteSyncError('DS_ERR_UNAUTHORIZED', 'Missing or wrong admin key');
  return principal;
}
