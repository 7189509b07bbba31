/**
 * A thin HTTPS listener for the sandbox's services: Fastify on 127.0.0.1 with the sandbox certificate,
 * every route handed to one handler with the raw body text, so each service parses bodies the way the
 * real one does (and can answer with its own error shape). A handler may also ask for the connection
 * to be dropped without an answer.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { SandboxCertificate } from './tls.js';

export interface RawRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Lower-case names; repeated headers joined by `, `. */
  headers: Record<string, string>;
  body: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Objects are sent as JSON, strings as they are. */
  body?: unknown;
}

export type RawHandler = (request: RawRequest) => Promise<RawResponse | 'drop'>;

export interface HttpsService {
  url: string;
  close(): Promise<void>;
}

export async function startHttpsService(cert: SandboxCertificate, handler: RawHandler, port = 0): Promise<HttpsService> {
  const app: FastifyInstance = Fastify({ https: { key: cert.key, cert: cert.cert }, logger: false, bodyLimit: 8 * 1024 * 1024, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.route({
    method: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    url: '/*',
    handler: async (request, reply) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
      }
      const answer = await handler({ method: request.method, url: request.url, headers, body: typeof request.body === 'string' ? request.body : '' });
      if (answer === 'drop') {
        reply.hijack();
        request.raw.socket.destroy();
        return;
      }
      reply.code(answer.status).headers(answer.headers);
      if (answer.body === undefined) return reply.send();
      return reply.send(typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body));
    },
  });
  const address = await app.listen({ host: '127.0.0.1', port });
  return { url: address.replace(/\/$/, ''), close: () => app.close() };
}
