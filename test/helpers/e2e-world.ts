/**
 * One world (Azurite + tenant sandbox + the service over HTTP) per end-to-end test file: started before
 * the file's tests, stopped after. Scenarios make their own records, so tests in a file do not collide.
 */
import { afterAll, beforeAll } from 'vitest';
import { startWorld, type World, type WorldOptions } from '../../demo/world.js';

export function useWorld(options: WorldOptions = {}): () => World {
  let world: World | undefined;
  beforeAll(async () => {
    world = await startWorld(options);
  });
  afterAll(async () => {
    await world?.close();
  });
  return () => {
    if (world === undefined) throw new Error('the world is not started yet');
    return world;
  };
}
