#!/usr/bin/env node
// Runs the compiled CLI (dist/, from `npm run build`) when it is at least as new as every source file,
// which starts without transpiling; otherwise the TypeScript through tsx's loader, so the command works
// straight from a clone and never runs stale code after an edit.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const compiled = `${root}dist/src/cli/main.js`;

/** The newest modification time of the TypeScript under a folder (a few hundred stats: milliseconds). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

if (existsSync(compiled) && statSync(compiled).mtimeMs >= newestSource(`${root}src`)) {
  await import(compiled);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
