/**
 * Starts Azurite (the npm package) as a child process on loopback: the local and test stand-in for Azure
 * Storage. A child process, not in-process servers, so stopping it is a real outage for the SDK clients.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { DeleteSyncError } from '../errors.js';

/** Azurite's well-known development account (public, documented; not a secret). */
const ACCOUNT = 'devstoreaccount1';
const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const HOST = '127.0.0.1';

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface AzuriteOptions {
  /** Folder for persisted data; omitted = in-memory (lost on stop). */
  location?: string;
  /** Fixed ports (e.g. to restart on the same ones); 0 or omitted = any free port. */
  ports?: Partial<AzuritePorts>;
  startTimeoutMs?: number;
}

export interface RunningAzurite {
  connectionString: string;
  ports: AzuritePorts;
  stop(): Promise<void>;
}

export function azuriteConnectionString(ports: AzuritePorts): string {
  const url = (port: number) => `http://${HOST}:${port}/${ACCOUNT}`;
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${ACCOUNT}`,
    `AccountKey=${ACCOUNT_KEY}`,
    `BlobEndpoint=${url(ports.blob)}`,
    `QueueEndpoint=${url(ports.queue)}`,
    `TableEndpoint=${url(ports.table)}`,
  ].join(';');
}

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^:]+:(\d+)/g;

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const bin = createRequire(import.meta.url).resolve('azurite/dist/src/azurite.js');
  const port = (name: keyof AzuritePorts) => String(options.ports?.[name] ?? 0);
  const args = [
    bin,
    '--blobHost', HOST, '--blobPort', port('blob'),
    '--queueHost', HOST, '--queuePort', port('queue'),
    '--tableHost', HOST, '--tablePort', port('table'),
    '--skipApiVersionCheck', '--loose', '--disableTelemetry', '--silent',
    ...(options.location === undefined ? ['--inMemoryPersistence'] : ['--location', options.location]),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports = await waitForPorts(child, options.startTimeoutMs ?? 20_000);
  return { connectionString: azuriteConnectionString(ports), ports, stop: () => stopChild(child) };
}

function waitForPorts(child: ChildProcess, timeoutMs: number): Promise<AzuritePorts> {
  return new Promise((resolve, reject) => {
    const found: Partial<AzuritePorts> = {};
    let output = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new DeleteSyncError('DS_ERR_STORAGE_UNAVAILABLE', `Azurite did not start: ${why}`));
    };
    const timer = setTimeout(() => fail(`no listening ports after ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
      for (const m of output.matchAll(LISTENING)) {
        found[m[1]!.toLowerCase() as keyof AzuritePorts] = Number(m[2]);
      }
      if (found.blob && found.queue && found.table) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a full pipe never blocks Azurite.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(found as AzuritePorts);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-4000);
    });
    child.once('exit', (code) => fail(`exited with ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
