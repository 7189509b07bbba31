/**
 * The Fastify host: the same handlers as the Functions host, under the same /api routes. Bodies are kept
 * raw (a Buffer, for every content type) because the handlers check type and size and parse themselves.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DeleteSyncError, ERROR_CATALOGUE, type ErrorCode } from '../errors.js';
import type { HandlerDeps } from '../handlers/deps.js';
import type { HandlerRequest, HandlerResponse } from '../handlers/http.js';
import { EXPLORER_PAGE, ROUTES } from '../handlers/routes.js';

function firstValues(record: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries((record ?? {}) as Record<string, unknown>)) {
    const first = Array.isArray(value) ? value[0] : value;
    out[key] = first === undefined ? undefined : String(first);
  }
  return out;
}

export function toHandlerRequest(request: FastifyRequest): HandlerRequest {
  return {
    method: request.method,
    path: request.url.split('?')[0] ?? request.url,
    query: firstValues(request.query),
    headers: firstValues(request.headers),
    rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
  };
}

function send(reply: FastifyReply, response: HandlerResponse): FastifyReply {
  return reply.code(response.status).headers(response.headers).send(response.body);
}

/** Fastify's own rejections (body too large, bad media type) answered in the service's coded form. */
function codeFor(statusCode: number): ErrorCode {
  if (statusCode === 413) return 'DS_ERR_BODY_TOO_LARGE';
  if (statusCode === 415) return 'DS_ERR_UNSUPPORTED_MEDIA_TYPE';
  if (statusCode === 404) return 'DS_ERR_NOT_FOUND';
  return statusCode < 500 ? 'DS_ERR_INVALID_PAYLOAD' : 'DS_ERR_INTERNAL';
}

export async function buildServer(deps: HandlerDeps): Promise<FastifyInstance> {
  // Fastify's limit sits above the handlers' so oversized bodies still get the handlers' coded 413.
  const app = Fastify({ logger: false, bodyLimit: deps.config.maxBodyBytes + 1 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  for (const spec of Object.values(ROUTES)) {
    const handler = spec.create(deps);
    app.route({
      method: spec.method,
      url: `/api/${spec.route}`,
      handler: async (request, reply) => send(reply, await handler(toHandlerRequest(request))),
    });
  }

  const page = EXPLORER_PAGE.create(deps);
  const servePage = async (request: FastifyRequest, reply: FastifyReply) => send(reply, await page(toHandlerRequest(request)));
  app.get('/explorer', servePage);
  app.get('/explorer/*', servePage);

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(new DeleteSyncError('DS_ERR_NOT_FOUND', 'No such endpoint').toJSON()),
  );
  app.setErrorHandler((error: { statusCode?: number }, _request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 500;
    const code = codeFor(status);
    if (status >= 500) deps.log.error('server error', { error });
    return reply.code(status).send(new DeleteSyncError(code, ERROR_CATALOGUE[code].title).toJSON());
  });
  await app.ready();
  return app;
}
