/**
 * The service as `npm start` runs it (src/server/main.ts: receivers, queue worker, sync timers), in a
 * child process that a test can kill with SIGKILL at any moment and start again on the same port. All
 * of its output (stdout and stderr: every log line) is kept for inspection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface ServiceProcess {
  url: string;
  /** Every line the process wrote, across restarts. */
  output(): string;
  /** Starts (again), with `overrides` on top of the settings it was made with. */
  start(overrides?: Record<string, string>): Promise<void>;
  /** SIGKILL: no shutdown, no flushing, whatever was in hand is lost. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
  readonly starts: number;
}

export function serviceProcess(env: Record<string, string>, port: number): ServiceProcess {
  const url = `http://127.0.0.1:${port}`;
  const chunks: string[] = [];
  let child: ChildProcess | undefined;
  let starts = 0;

  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => c.once('exit', () => resolve()));

  async function signal(name: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    if (child === undefined) return;
    const c = child;
    c.kill(name);
    await exited(c);
    child = undefined;
  }

  async function ready(c: ChildProcess): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`service exited with ${c.exitCode}:\n${chunks.slice(-20).join('')}`);
      try {
        const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1000) });
        if (res.status < 500) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('service did not start within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    url,
    output: () => chunks.join(''),
    get starts() {
      return starts;
    },
    async start(overrides = {}) {
      const c = spawn(process.execPath, ['--import', 'tsx', 'src/server/main.ts'], {
        cwd: REPO,
        env: { PATH: process.env.PATH ?? '', ...env, ...overrides, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = c;
      starts += 1;
      c.stdout?.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
      c.stderr?.on('data', (d: Buffer) => chunks.push(d.toString('utf8')));
      await ready(c);
    },
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
}
