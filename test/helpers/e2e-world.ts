/**
 * One world (Azurite + tenant sandbox + the service over HTTP) per end-to-end test file: started before
 * the file's tests, stopped after. Scenarios make their own records, so tests in a file do not collide.
 */
import { startWorld, type World, type WorldOptions } from '../../demo/world.js';
import { usePerFile } from './per-file.js';

export function useWorld(options: WorldOptions = {}): () => World {
  return usePerFile('the world', () => startWorld(options), (world) => world.close());
}
