/**
 * Azurite for tests: in-memory on free loopback ports, or persisted in a temporary folder when a test must
 * stop it and bring it back on the same ports (a storage outage) without losing what was stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { azuriteConnectionString, startAzurite, type AzuritePorts, type RunningAzurite } from '../../src/server/azurite.js';
import { usePerFile } from './per-file.js';

export interface TestAzurite {
  connectionString: string;
  ports: AzuritePorts;
  /** Simulates an outage: the storage endpoints stop answering. */
  stop(): Promise<void>;
  /** Brings storage back on the same ports (same data when started with `persistent`). */
  restart(): Promise<void>;
  /** Stops for good and removes any temporary data. */
  dispose(): Promise<void>;
}

export async function startTestAzurite(options: { persistent?: boolean } = {}): Promise<TestAzurite> {
  const location = options.persistent ? await mkdtemp(path.join(tmpdir(), 'azurite-test-')) : undefined;
  let running: RunningAzurite | undefined = await startAzurite({ location });
  const first = running;
  return {
    connectionString: first.connectionString,
    ports: first.ports,
    async stop() {
      await running?.stop();
      running = undefined;
    },
    async restart() {
      await running?.stop();
      running = await startAzurite({ location, ports: first.ports });
    },
    async dispose() {
      await running?.stop();
      running = undefined;
      if (location !== undefined) await rm(location, { recursive: true, force: true });
    },
  };
}

/** A connection string whose endpoints refuse connections: storage that is down, without starting anything. */
export async function unreachableStorage(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return azuriteConnectionString({ blob: port, queue: port, table: port });
}

/** Starts Azurite before the file's tests and disposes of it after; answers a getter for it. */
export function useTestAzurite(options: { persistent?: boolean } = {}): () => TestAzurite {
  return usePerFile('Azurite', () => startTestAzurite(options), (azurite) => azurite.dispose());
}
