/** Builds the explorer page (as `npm run build:explorer` does, without its type check) for tests that serve it. */
import { build } from 'vite';

export async function buildExplorer(outDir?: string): Promise<void> {
  await build({ configFile: 'explorer/vite.config.ts', logLevel: 'error', ...(outDir === undefined ? {} : { build: { outDir, emptyOutDir: true } }) });
}
