/**
 * The Graph endpoint over HTTPS: `/v1.0/...` with a bearer token for `https://graph.microsoft.com`
 * (401 with Graph's error body otherwise), JSON bodies, then the tenant's request pipeline.
 */
import type { SandboxContext } from '../context.js';
import { startHttpsService, type RawRequest, type RawResponse } from '../http.js';
import { graphError } from './responses.js';
import { TenantGraph, type GraphOptions } from './tenant-graph.js';

export const graphAudience = 'https://graph.microsoft.com';

export interface GraphServer {
  /** Origin, e.g. `https://127.0.0.1:50123`; the API is at `${url}/v1.0`. */
  url: string;
  graph: TenantGraph;
  close(): Promise<void>;
}

export async function startGraphServer(ctx: SandboxContext, options: GraphOptions = {}): Promise<GraphServer> {
  const graph = new TenantGraph(ctx, options);
  const service = await startHttpsService(ctx.cert, (request) => handle(ctx, graph, request));
  graph.baseUrl = service.url;
  return {
    url: service.url,
    graph,
    close: async () => {
      await graph.close();
      await service.close();
    },
  };
}

async function handle(ctx: SandboxContext, graph: TenantGraph, request: RawRequest): Promise<RawResponse | 'drop'> {
  const [rawPath = '', rawQuery = ''] = request.url.split(/\?(.*)/s);
  const versioned = /^\/v1\.0(\/.*)$/i.exec(rawPath);
  if (!versioned) return graphError(400, 'BadRequest', 'Invalid version.');
  const authorization = request.headers.authorization;
  const caller = ctx.tokens.verifyToken(authorization, graphAudience);
  if (!caller) {
    const message = authorization ? 'Access token validation failure. Invalid audience or expired token.' : 'Access token is empty.';
    return graphError(401, 'InvalidAuthenticationToken', message, { 'WWW-Authenticate': 'Bearer realm=""' });
  }
  let body: unknown;
  if (request.body.length > 0) {
    if (!/^application\/json/i.test(request.headers['content-type'] ?? '')) return graphError(415, 'UnsupportedMediaType', 'The content type of the request body is not supported.');
    try {
      body = JSON.parse(request.body);
    } catch {
      return graphError(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.');
    }
  }
  const answer = await graph.execute({ method: request.method, path: versioned[1] as string, query: new URLSearchParams(rawQuery), headers: request.headers, body }, caller);
  return answer;
}
