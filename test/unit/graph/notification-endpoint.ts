/** A notification endpoint on loopback that passes Graph's validation (echoes the token) and accepts everything else with 202. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface NotificationEndpoint {
  url: string;
  close(): Promise<void>;
}

export async function startNotificationEndpoint(): Promise<NotificationEndpoint> {
  const server = createServer((req, res) => {
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('validationToken');
    req.resume();
    if (token !== null) res.writeHead(200, { 'content-type': 'text/plain' }).end(token);
    else res.writeHead(202).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
