/** A plain HTTPS client for the sandbox tests: trusts the sandbox CA, gets a token, calls Graph. */
import { Agent, fetch } from 'undici';
import { afterAll, beforeAll } from 'vitest';
import { startTenantSandbox, type ClientRegistration, type TenantSandbox, type TenantSandboxOptions } from '../../../../sandbox/index.js';

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export interface TestClient {
  agent: Agent;
  token(scope?: string): Promise<string>;
  graph(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

/** A client signing in as `registration` (default: the sandbox's own app). */
export function testClient(sandbox: TenantSandbox, registration: ClientRegistration = sandbox.client): TestClient {
  const agent = new Agent({ connect: { ca: sandbox.ca } });
  let graphToken: { value: string; expiresAt: number } | undefined;
  const issue = async (scope: string): Promise<{ access_token: string; expires_in: number }> => {
    const response = await fetch(`${sandbox.loginUrl}/${sandbox.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: registration.clientId, client_secret: registration.clientSecret, scope }).toString(),
      dispatcher: agent,
    });
    return (await response.json()) as { access_token: string; expires_in: number };
  };
  const token = async (scope = 'https://graph.microsoft.com/.default'): Promise<string> => (await issue(scope)).access_token;
  return {
    agent,
    token,
    async graph(method, path, body, headers = {}) {
      // Tokens expire on the sandbox clock, which tests may move forward.
      if (!graphToken || graphToken.expiresAt <= sandbox.clock()) {
        const issued = await issue('https://graph.microsoft.com/.default');
        graphToken = { value: issued.access_token, expiresAt: sandbox.clock() + issued.expires_in * 1000 };
      }
      const response = await fetch(`${sandbox.graphUrl}/v1.0${path}`, {
        method,
        headers: { authorization: `Bearer ${graphToken.value}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: agent,
      });
      const text = await response.text();
      return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined };
    },
    close: () => agent.close(),
  };
}

/** Starts a sandbox and a client for a test file, and stops both after it. Read the fields inside tests. */
export function useSandbox(options: TenantSandboxOptions = {}): { sandbox: TenantSandbox; client: TestClient } {
  const env = {} as { sandbox: TenantSandbox; client: TestClient };
  beforeAll(async () => {
    env.sandbox = await startTenantSandbox(options);
    env.client = testClient(env.sandbox);
  });
  afterAll(async () => {
    await env.client.close();
    await env.sandbox.close();
  });
  return env;
}
