/**
 * The two hosts behind one call shape, so integration tests run the same cases through both: the
 * Functions handlers (imported from functions/, invoked with real HttpRequest/InvocationContext) and the
 * Fastify app (inject()).
 */
import azfunc, { type HttpResponseInit } from '@azure/functions';
import type { FastifyInstance } from 'fastify';
import { dataverseWebhook } from '../../functions/dataverse.js';
import { decisions, health } from '../../functions/admin.js';
import * as explorer from '../../functions/explorer.js';
import { graphLifecycle, graphNotifications } from '../../functions/graph.js';

const { HttpRequest, InvocationContext } = azfunc;

export interface HostCall {
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface HostResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Host = (method: 'GET' | 'POST', path: string, call?: HostCall) => Promise<HostResponse>;

const FUNCTIONS = {
  '/api/dataverse/webhook': dataverseWebhook,
  '/api/graph/notifications': graphNotifications,
  '/api/graph/lifecycle': graphLifecycle,
  '/api/decisions': decisions,
  '/api/health': health,
  '/api/explorer/session': explorer.explorerSession,
  '/api/explorer/decisions': explorer.explorerSearch,
  '/api/explorer/decision': explorer.explorerDecision,
  '/api/explorer/poison': explorer.explorerPoison,
  '/api/explorer/subscriptions': explorer.explorerSubscriptions,
  '/explorer': explorer.explorerPage,
} as const;

function pathWithQuery(path: string, query: Record<string, string> = {}): string {
  const qs = new URLSearchParams(query).toString();
  return qs === '' ? path : `${path}?${qs}`;
}

function headersOf(init: HttpResponseInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init as HeadersInit | undefined).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

export function functionsHost(): Host {
  return async (method, path, call = {}) => {
    const handler = FUNCTIONS[path as keyof typeof FUNCTIONS];
    if (handler === undefined) throw new Error(`no function serves ${path}`);
    const body = call.body === undefined ? undefined : typeof call.body === 'string' ? { string: call.body } : { bytes: call.body };
    const request = new HttpRequest({
      method,
      url: `http://127.0.0.1:7071${pathWithQuery(path, call.query)}`,
      headers: call.headers ?? {},
      body,
    });
    const response = await handler(request, new InvocationContext({ functionName: path }));
    const text = response.jsonBody !== undefined ? JSON.stringify(response.jsonBody) : String(response.body ?? '');
    return { status: response.status ?? 200, headers: headersOf(response.headers), body: text };
  };
}

export function fastifyHost(app: FastifyInstance): Host {
  return async (method, path, call = {}) => {
    const response = await app.inject({
      method,
      url: pathWithQuery(path, call.query),
      headers: call.headers ?? {},
      ...(call.body === undefined ? {} : { payload: call.body }),
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) if (value !== undefined) headers[name] = String(value);
    return { status: response.statusCode, headers, body: response.body };
  };
}
