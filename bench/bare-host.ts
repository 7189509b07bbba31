/**
 * The bare host of section 1: a Fastify route on the same Azurite that only enqueues the raw body (no
 * authentication, parsing or dedupe) and answers 202 — the floor any receiver that must persist before
 * answering can reach on this machine. Its own queue, so it never mixes with the service's.
 */
import { QueueClient } from '@azure/storage-queue';
import Fastify from 'fastify';
import { encodeMessageText } from '../src/store/queue.js';
import type { RunningHost } from './service.js';

export async function startBareHost(connectionString: string, queueName: string): Promise<RunningHost> {
  const queue = new QueueClient(connectionString, queueName);
  await queue.createIfNotExists();
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/*', async (request, reply) => {
    await queue.sendMessage(encodeMessageText((request.body as Buffer).toString('utf8')));
    return reply.code(202).send();
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}
