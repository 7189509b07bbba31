/**
 * One resource per test file: started before the file's tests, stopped after. The getter throws when a
 * test asks for it before it was started (its start failed, or it is used outside a test).
 */
import { afterAll, beforeAll } from 'vitest';

export function usePerFile<T>(what: string, start: () => Promise<T>, stop: (started: T) => Promise<void>): () => T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(async () => {
    if (started !== undefined) await stop(started);
  });
  return () => {
    if (started === undefined) throw new Error(`${what} is not started yet`);
    return started;
  };
}
