/**
 * The one adapter between the Functions programming model and the transport-free handlers:
 * HttpRequest → HandlerRequest, HandlerResponse → HttpResponseInit, queue entry → handleQueueMessage.
 */
import azfunc, { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { DeleteSyncError, isDeleteSyncError } from '../../src/errors.js';
import type { HandlerDeps } from '../../src/handlers/deps.js';
import type { Handler, HandlerRequest } from '../../src/handlers/http.js';
import { handleQueueMessage } from '../../src/handlers/queue-message.js';
import type { RouteSpec } from '../../src/handlers/routes.js';
import { functionsRuntime } from './runtime.js';

const { app } = azfunc;

export async function toHandlerRequest(request: HttpRequest): Promise<HandlerRequest> {
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  const query: Record<string, string> = {};
  request.query.forEach((value, name) => {
    query[name] ??= value;
  });
  return {
    method: request.method,
    path: new URL(request.url).pathname,
    query,
    headers,
    rawBody: Buffer.from(await request.arrayBuffer()),
  };
}

/** Start-up failures (bad settings) answer with their coded error instead of an opaque host 500. */
function failure(error: unknown): HttpResponseInit {
  const coded = isDeleteSyncError(error) ? error : new DeleteSyncError('DS_ERR_INTERNAL', 'Internal error');
  return { status: coded.statusCode, jsonBody: coded.toJSON() };
}

function httpFunction(create: (deps: HandlerDeps) => Handler) {
  let handler: Handler | undefined;
  return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      handler ??= create(functionsRuntime().http);
      const response = await handler(await toHandlerRequest(request));
      return { status: response.status, headers: response.headers, body: response.body };
    } catch (error) {
      return failure(error);
    }
  };
}

/**
 * Registers one route of the shared table with the host under /api (host.json's routePrefix is empty so
 * that the explorer's page can live at /explorer); answers the handler for direct (test) calls.
 */
export function registerHttp(spec: RouteSpec, prefix: 'api/' | '' = 'api/') {
  const handler = httpFunction(spec.create);
  app.http(spec.name, { methods: [spec.method], authLevel: spec.authLevel, route: `${prefix}${spec.route}`, handler });
  return handler;
}

/** Throws on failure so the host retries and, after maxDequeueCount, moves the message to poison. */
export async function queueFunction(queueEntry: unknown, context: InvocationContext): Promise<void> {
  const metadata = context.triggerMetadata ?? {};
  await handleQueueMessage(
    queueEntry,
    { messageId: String(metadata.id ?? context.invocationId), dequeueCount: Number(metadata.dequeueCount ?? 1) },
    functionsRuntime().queue,
  );
}
