import { describe, expect, it } from 'vitest';
import { ClientSecretCredential } from '@azure/identity';
import { fetch } from 'undici';
import { useSandbox } from './graph/client.js';

const env = useSandbox();

const tokenUrl = () => `${env.sandbox.loginUrl}/${env.sandbox.tenantId}/oauth2/v2.0/token`;

async function requestToken(form: Record<string, string>) {
  const response = await fetch(tokenUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    dispatcher: env.client.agent,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('sign-in endpoint', () => {
  it('issues client-credentials tokens shaped like Entra', async () => {
    const { status, body } = await requestToken({ grant_type: 'client_credentials', client_id: env.sandbox.client.clientId, client_secret: env.sandbox.client.clientSecret, scope: 'https://graph.microsoft.com/.default' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(typeof body.access_token).toBe('string');
  });

  it('refuses a wrong secret with invalid_client, a scope without /.default and an unknown resource', async () => {
    const base = { grant_type: 'client_credentials', client_id: env.sandbox.client.clientId };
    const wrongSecret = await requestToken({ ...base, client_secret: 'nope', scope: 'https://graph.microsoft.com/.default' });
    expect(wrongSecret.status).toBe(401);
    expect(wrongSecret.body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    const badScope = await requestToken({ ...base, client_secret: env.sandbox.client.clientSecret, scope: 'https://graph.microsoft.com/Calendars.ReadWrite' });
    expect(badScope.body.error).toBe('invalid_scope');
    const unknown = await requestToken({ ...base, client_secret: env.sandbox.client.clientSecret, scope: 'https://example.org/.default' });
    expect(unknown.body).toMatchObject({ error: 'invalid_resource', error_codes: [500011] });
  });

  it('publishes OpenID configuration pointing at itself', async () => {
    const response = await fetch(`${env.sandbox.loginUrl}/${env.sandbox.tenantId}/v2.0/.well-known/openid-configuration`, { dispatcher: env.client.agent });
    const body = (await response.json()) as Record<string, string>;
    expect(body.token_endpoint).toBe(tokenUrl());
    expect(body.issuer).toBe(`${env.sandbox.loginUrl}/${env.sandbox.tenantId}/v2.0`);
  });

  it('works with @azure/identity ClientSecretCredential (authorityHost + tlsOptions.ca)', async () => {
    const credential = new ClientSecretCredential(env.sandbox.tenantId, env.sandbox.client.clientId, env.sandbox.client.clientSecret, {
      authorityHost: env.sandbox.loginUrl,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: env.sandbox.ca },
    });
    const token = await credential.getToken('https://graph.microsoft.com/.default');
    const response = await fetch(`${env.sandbox.graphUrl}/v1.0/users`, { headers: { authorization: `Bearer ${token.token}` }, dispatcher: env.client.agent });
    expect(response.status).toBe(200);
  });
});

describe('Graph bearer check', () => {
  it('answers 401 with Graph error bodies without a token or with a token for another audience', async () => {
    const none = await fetch(`${env.sandbox.graphUrl}/v1.0/users`, { dispatcher: env.client.agent });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty.' } });
    const dataverseToken = await env.client.token(`${env.sandbox.dataverseUrl}/.default`);
    const wrong = await env.client.graph('GET', '/users', undefined, { authorization: `Bearer ${dataverseToken}` });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('InvalidAuthenticationToken');
    expect((await env.client.graph('GET', '/users')).status).toBe(200);
  });
});
