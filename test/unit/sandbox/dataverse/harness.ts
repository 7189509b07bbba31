/**
 * Starts a Dataverse sandbox for a test with a small cast: the service's app user (may impersonate),
 * an app that may not, Alice (holds Delete) and Bob (does not); plus a fetch that trusts the sandbox
 * certificate and a local HTTP receiver standing in for the service's webhook endpoint.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { DeleteLog } from '../../../../sandbox/delete-log.js';
import { Directory, type DirectoryUser } from '../../../../sandbox/directory.js';
import { Faults } from '../../../../sandbox/faults.js';
import { createCertificate } from '../../../../sandbox/tls.js';
import { TokenIssuer } from '../../../../sandbox/tokens.js';
import type { SandboxContext } from '../../../../sandbox/context.js';
import type { WebhookSettings } from '../../../../sandbox/dataverse/webhooks.js';
import { API_PATH, startDataverseServer, type DataverseServer } from '../../../../sandbox/dataverse/server.js';

export interface Harness {
  server: DataverseServer;
  ctx: SandboxContext;
  app: DirectoryUser;
  plainApp: DirectoryUser;
  alice: DirectoryUser;
  bob: DirectoryUser;
  /** Bearer token of the service app (may impersonate) and of the plain app (may not). */
  token: string;
  plainToken: string;
  api(method: string, path: string, options?: { body?: unknown; headers?: Record<string, string>; token?: string | null }): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

export async function startHarness(options: { webhooks?: Partial<WebhookSettings> } = {}): Promise<Harness> {
  const directory = new Directory();
  const app = directory.add({ displayName: 'Delete Sync Service', isApplicationUser: true, canActOnBehalf: true, canDelete: true });
  const plainApp = directory.add({ displayName: 'Reporting App', isApplicationUser: true, canActOnBehalf: false, canDelete: true });
  const alice = directory.add({ displayName: 'Alice Organizer', canDelete: true });
  const bob = directory.add({ displayName: 'Bob Attendee', canDelete: false });
  const tokens = new TokenIssuer('11111111-2222-3333-4444-555555555555');
  tokens.register({ clientId: 'svc', clientSecret: 'svc-secret', servicePrincipalId: app.id });
  tokens.register({ clientId: 'plain', clientSecret: 'plain-secret', servicePrincipalId: plainApp.id });
  const clock = () => Date.now();
  const ctx: SandboxContext = { cert: await createCertificate(), directory, tokens, faults: new Faults(clock), clock, log: new DeleteLog() };
  const server = await startDataverseServer(ctx, options.webhooks ? { webhooks: options.webhooks } : {});
  const token = (tokens.issue('svc', 'svc-secret', `${server.url}/.default`) as { token: string }).token;
  const plainToken = (tokens.issue('plain', 'plain-secret', `${server.url}/.default`) as { token: string }).token;
  const dispatcher = new Agent({ connect: { ca: ctx.cert.cert } });

  async function api(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; token?: string | null } = {}): Promise<ApiResponse> {
    const bearer = opts.token === undefined ? token : opts.token;
    const response = await fetch(`${server.url}${API_PATH}/${path}`, {
      method,
      dispatcher,
      headers: {
        accept: 'application/json',
        'OData-Version': '4.0',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers as unknown as Headers, body: text ? JSON.parse(text) : undefined };
  }

  return {
    server,
    ctx,
    app,
    plainApp,
    alice,
    bob,
    token,
    plainToken,
    api,
    async close() {
      await server.close();
      await dispatcher.close();
    },
  };
}

export interface ReceivedWebhook {
  url: string;
  headers: IncomingHttpHeaders;
  body: any;
}

/** A plain HTTP receiver; `answer` picks each response's status (default 202), or null to never answer. */
export async function startReceiver(answer: (n: number) => number | null = () => 202): Promise<{ url: string; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      const status = answer(received.length);
      if (status === null) return;
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/dataverse/webhook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Registers a webhook endpoint, one step (message × entity) and optionally a pre-image, through the Web API. */
export async function registerStep(
  h: Harness,
  options: {
    url: string;
    key: string;
    message: 'Create' | 'Update' | 'Delete';
    entity: string;
    mode: 0 | 1;
    /** 4 WebhookKey (default, `key` is the function key), 5 HttpHeader, 6 HttpQueryString (`key` is a `<settings>` document). */
    authtype?: 4 | 5 | 6;
    preImageAttributes?: string;
    alias?: string;
    filteringattributes?: string;
  },
): Promise<{ endpointId: string; stepId: string }> {
  const idFrom = (r: ApiResponse): string => /\(([0-9a-f-]{36})\)$/.exec(r.headers.get('odata-entityid') ?? '')?.[1] as string;
  const endpoint = await h.api('POST', 'serviceendpoints', {
    body: { name: 'delete-sync', contract: 8, authtype: options.authtype ?? 4, authvalue: options.key, url: options.url, messageformat: 2, namespaceformat: 2, userclaim: 1, connectionmode: 1 },
  });
  const messages = await h.api('GET', `sdkmessages?$select=sdkmessageid&$filter=name eq '${options.message}'`);
  const messageId = messages.body.value[0].sdkmessageid as string;
  const filters = await h.api('GET', `sdkmessagefilters?$select=sdkmessagefilterid&$filter=_sdkmessageid_value eq ${messageId} and primaryobjecttypecode eq '${options.entity}'`);
  const step = await h.api('POST', 'sdkmessageprocessingsteps', {
    body: {
      name: `delete-sync: ${options.message} of ${options.entity}`,
      stage: 40,
      mode: options.mode,
      rank: 1,
      supporteddeployment: 0,
      ...(options.mode === 1 ? { asyncautodelete: false } : {}),
      ...(options.filteringattributes ? { filteringattributes: options.filteringattributes } : {}),
      'eventhandler_serviceendpoint@odata.bind': `/serviceendpoints(${idFrom(endpoint)})`,
      'sdkmessageid@odata.bind': `/sdkmessages(${messageId})`,
      'sdkmessagefilterid@odata.bind': `/sdkmessagefilters(${filters.body.value[0].sdkmessagefilterid})`,
    },
  });
  if (step.status !== 204) throw new Error(`step registration failed: ${JSON.stringify(step.body)}`);
  const stepId = idFrom(step);
  if (options.preImageAttributes) {
    const image = await h.api('POST', 'sdkmessageprocessingstepimages', {
      body: {
        name: 'PreImage',
        entityalias: options.alias ?? 'PreImage',
        imagetype: 0,
        messagepropertyname: 'Target',
        attributes: options.preImageAttributes,
        'sdkmessageprocessingstepid@odata.bind': `/sdkmessageprocessingsteps(${stepId})`,
      },
    });
    if (image.status !== 204) throw new Error(`image registration failed: ${JSON.stringify(image.body)}`);
  }
  return { endpointId: idFrom(endpoint), stepId };
}
