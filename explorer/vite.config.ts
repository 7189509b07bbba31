// The decision explorer: built from TypeScript into dist/explorer, served by both hosts at /explorer/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/explorer/',
  // Everything the page needs is in the build: no CDN, no public folder.
  publicDir: false,
  build: {
    outDir: here('../dist/explorer'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Assets as files (never data: URLs), so the page's CSP can stay 'self'.
    assetsInlineLimit: 0,
  },
  logLevel: 'warn',
});
