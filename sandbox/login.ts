/**
 * The sign-in endpoint, shaped like Entra ID's v2.0 endpoints for the client-credentials flow:
 * `GET /{tenant}/v2.0/.well-known/openid-configuration` and `POST /{tenant}/oauth2/v2.0/token`
 * (form-encoded). Errors carry Entra's `error` / `error_description` / `error_codes` fields.
 */
import { randomUUID } from 'node:crypto';
import { startHttpsService, type HttpsService, type RawRequest, type RawResponse } from './http.js';
import type { SandboxCertificate } from './tls.js';
import type { TokenIssuer } from './tokens.js';

export interface LoginOptions {
  cert: SandboxCertificate;
  tokens: TokenIssuer;
  /** Resources tokens may be issued for (Entra refuses unknown ones with AADSTS500011). */
  audiences: () => string[];
  clock: () => number;
}

export function startLoginService(options: LoginOptions): Promise<HttpsService> {
  let origin = '';
  return startHttpsService(options.cert, async (request) => answer(options, origin, request)).then((service) => {
    origin = service.url;
    return service;
  });
}

function answer(options: LoginOptions, origin: string, request: RawRequest): RawResponse {
  const [path = ''] = request.url.split('?');
  const parts = path.split('/').filter(Boolean);
  const tenant = parts[0] ?? '';
  const rest = parts.slice(1).join('/');
  if (tenant.toLowerCase() !== options.tokens.tenantId.toLowerCase() && tenant !== 'organizations') {
    return entraError(options, 400, 'invalid_request', 90002, `Tenant '${tenant}' not found.`);
  }
  const authority = `${origin}/${options.tokens.tenantId}`;
  if (request.method === 'GET' && /^(v2\.0\/)?\.well-known\/openid-configuration$/.test(rest)) {
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: {
        token_endpoint: `${authority}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${authority}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${origin}/oidc/userinfo`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid'],
        kerberos_endpoint: `${authority}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  }
  if (request.method === 'POST' && rest === 'oauth2/v2.0/token') return token(options, request);
  return { status: 404, headers: {}, body: undefined };
}

function token(options: LoginOptions, request: RawRequest): RawResponse {
  if (!/^application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '')) {
    return entraError(options, 400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
  }
  const form = new URLSearchParams(request.body);
  let clientId = form.get('client_id') ?? '';
  let clientSecret = form.get('client_secret') ?? '';
  const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? '');
  if (basic) [clientId = '', clientSecret = ''] = Buffer.from(basic[1] as string, 'base64').toString('utf8').split(':').map(decodeURIComponent);
  if (form.get('grant_type') !== 'client_credentials') {
    return entraError(options, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }
  const scope = form.get('scope') ?? '';
  if (!/\/\.default$/.test(scope) || scope.includes(' ')) {
    return entraError(options, 400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
  }
  const resource = scope.replace(/\/\.default$/, '').replace(/\/$/, '');
  if (!options.audiences().some((a) => a.replace(/\/$/, '') === resource)) {
    return entraError(options, 400, 'invalid_resource', 500011, `The resource principal named ${resource} was not found in the tenant named ${options.tokens.tenantId}.`);
  }
  const issued = options.tokens.issue(clientId, clientSecret, scope);
  if (!issued) return entraError(options, 401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache' },
    body: { token_type: 'Bearer', expires_in: issued.expiresIn, ext_expires_in: issued.expiresIn, access_token: issued.token },
  };
}

function entraError(options: LoginOptions, status: number, error: string, code: number, description: string): RawResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date(options.clock()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
    },
  };
}
