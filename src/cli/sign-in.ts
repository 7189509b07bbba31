/**
 * Signing in for a command, bounded and explained. Every token request is limited to the command's
 * timeout (Azure Identity's HTTP pipeline has none of its own, so a sign-in host that accepts and never
 * answers would hang the command), and a refusal becomes one line an administrator can act on:
 *
 * - AADSTS7000215 / 7000222: the client secret is wrong / expired — "Troubleshoot Azure SDK authentication
 *   issues with service principal" (learn.microsoft.com), ClientSecretCredential table;
 * - AADSTS700016: no such application in the tenant (same page);
 * - AADSTS90002: no such tenant — "Microsoft Entra authentication and authorization error codes";
 * - a certificate the machine does not trust, no answer, nothing listening.
 *
 * MSAL reports a wrong tenant and an untrusted certificate alike (`endpoints_resolution_error`), so on
 * that answer the tenant's OpenID discovery document is fetched once to tell which.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { Agent } from 'undici';
import tls from 'node:tls';
import { DeleteSyncError } from '../errors.js';
import { redactText } from '../log.js';

export const DEFAULT_TIMEOUT_SECONDS = 30;

/** A credential whose every token request fails after `timeoutMs` instead of waiting for ever. */
export function timedCredential(inner: TokenCredential, timeoutMs: number): TokenCredential {
  return {
    getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort.abort();
          reject(Object.assign(new Error(`no answer within ${timeoutMs / 1000} s`), { code: 'ETIMEDOUT' }));
        }, timeoutMs);
      });
      const request = inner.getToken(scopes, { ...options, abortSignal: abort.signal, requestOptions: { ...options.requestOptions, timeout: timeoutMs } });
      return Promise.race([request, expired]).finally(() => clearTimeout(timer));
    },
  };
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_UNTRUSTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Error codes along an error's cause chain (Node's TLS and socket errors sit under fetch's TypeError). */
function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth += 1) {
    if (typeof e.code === 'string') codes.push(e.code);
  }
  return codes;
}

function messagesOf(error: unknown): string {
  const parts: string[] = [];
  for (let e = error as { message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth += 1) {
    if (typeof e.message === 'string') parts.push(e.message);
  }
  return parts.join(' | ');
}

export interface SignInTarget {
  /** AZURE_AUTHORITY_HOST, or Microsoft's public cloud. */
  authorityHost: string;
  tenantId: string | undefined;
  /** Extra CA the command trusts (--ca-file / EXTRA_CA_FILE). */
  ca: string | undefined;
  timeoutMs: number;
}

/** Turns a failed token request into the coded error the command reports; pure except for `probe`'s answer. */
export function classifySignInError(error: unknown, target: SignInTarget, probe: ProbeResult | null): DeleteSyncError {
  const text = messagesOf(error);
  const codes = codesOf(error);
  const host = new URL(target.authorityHost).host;
  const aadsts = /AADSTS(\d+)/.exec(text)?.[1] ?? (probe?.kind === 'entra' ? probe.code : undefined);
  const config = (message: string, field: string) => new DeleteSyncError('DS_ERR_CONFIG', `sign-in refused: ${message}`, { field, cause: error });
  if (aadsts === '7000215') return config('the client secret is not valid (AADSTS7000215): set AZURE_CLIENT_SECRET to the secret\'s value, not its id', 'AZURE_CLIENT_SECRET');
  if (aadsts === '7000222') return config('the client secret has expired (AADSTS7000222): create a new one and set AZURE_CLIENT_SECRET', 'AZURE_CLIENT_SECRET');
  if (aadsts === '700016') return config('no application with AZURE_CLIENT_ID in this tenant (AADSTS700016)', 'AZURE_CLIENT_ID');
  if (aadsts === '90002' || aadsts === '900023') return config(`the tenant ${target.tenantId ?? ''} does not exist at ${host} (AADSTS${aadsts}): check AZURE_TENANT_ID`, 'AZURE_TENANT_ID');
  const tlsCode = [...codes, ...(probe?.kind === 'network' ? [probe.code] : [])].find((c) => TLS_CODES.has(c));
  if (tlsCode !== undefined) {
    return new DeleteSyncError('DS_ERR_CONFIG', `the sign-in host ${host} presented a certificate this machine does not trust (${tlsCode}): give its CA with --ca-file or EXTRA_CA_FILE`, {
      field: 'EXTRA_CA_FILE',
      cause: error,
    });
  }
  const network = [...codes, ...(probe?.kind === 'network' ? [probe.code] : [])];
  if (network.includes('ETIMEDOUT') || network.includes('UND_ERR_CONNECT_TIMEOUT') || network.includes('UND_ERR_HEADERS_TIMEOUT')) {
    return new DeleteSyncError('DS_ERR_UPSTREAM', `no answer from the sign-in host ${host} within ${target.timeoutMs / 1000} s (--timeout to wait longer; AZURE_AUTHORITY_HOST)`, {
      field: 'AZURE_AUTHORITY_HOST',
      cause: error,
    });
  }
  const unreachable = network.find((c) => ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH'].includes(c));
  if (unreachable !== undefined) {
    return new DeleteSyncError('DS_ERR_UPSTREAM', `cannot reach the sign-in host ${host} (${unreachable}): check AZURE_AUTHORITY_HOST and the network`, { field: 'AZURE_AUTHORITY_HOST', cause: error });
  }
  const first = redactText(text.split('\n')[0] ?? '').slice(0, 300);
  return new DeleteSyncError('DS_ERR_UNAUTHORIZED', `sign-in failed${aadsts === undefined ? '' : ` (AADSTS${aadsts})`}: ${first}`, { cause: error });
}

export type ProbeResult = { kind: 'entra'; code: string } | { kind: 'network'; code: string } | { kind: 'ok' };

/** GET {authority}/{tenant}/v2.0/.well-known/openid-configuration: what the sign-in host says about the tenant. */
async function probeDiscovery(target: SignInTarget): Promise<ProbeResult> {
  const url = `${target.authorityHost.replace(/\/+$/, '')}/${target.tenantId ?? 'organizations'}/v2.0/.well-known/openid-configuration`;
  const dispatcher = new Agent({
    connect: { timeout: target.timeoutMs, ...(target.ca === undefined ? {} : { ca: [...tls.rootCertificates, target.ca] }) },
    headersTimeout: target.timeoutMs,
    bodyTimeout: target.timeoutMs,
  });
  try {
    const response = await fetch(url, { dispatcher, signal: AbortSignal.timeout(target.timeoutMs) } as RequestInit);
    if (response.ok) return { kind: 'ok' };
    const code = /AADSTS(\d+)/.exec(await response.text())?.[1];
    return code === undefined ? { kind: 'ok' } : { kind: 'entra', code };
  } catch (error) {
    const code = codesOf(error).find((c) => c !== 'ABORT_ERR') ?? ((error as Error).name === 'TimeoutError' ? 'ETIMEDOUT' : 'ERROR');
    return { kind: 'network', code };
  } finally {
    await dispatcher.close();
  }
}

/** Gets one token per scope now, so a command fails at sign-in with a clear line rather than halfway. */
export async function signIn(credential: TokenCredential, scopes: readonly string[], target: SignInTarget): Promise<void> {
  for (const scope of scopes) {
    try {
      await credential.getToken(scope);
    } catch (error) {
      const vague = /endpoints_resolution_error|network_error/.test(messagesOf(error));
      throw classifySignInError(error, target, vague ? await probeDiscovery(target) : null);
    }
  }
}
