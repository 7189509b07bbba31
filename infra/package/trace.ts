/**
 * The files the Functions host can load: what `package.json`'s `main` (dist/functions/*.js) imports,
 * followed through node_modules by @vercel/nft (the tracer Vercel and Nitro ship builds with). Only
 * these go into the package, so devDependencies, the Fastify host, the CLI and each package's .d.ts,
 * maps and duplicate module formats stay out.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { nodeFileTrace } from '@vercel/nft';

/**
 * Modules the tracer cannot find on disk because something else provides them at run time. Any other
 * unresolved import fails the build: the package would throw "Cannot find module" in Azure.
 */
export const PROVIDED_AT_RUN_TIME: Readonly<Record<string, string>> = {
  '@azure/functions-core': 'injected by the Azure Functions Node.js worker (the programming model registers through it)',
};

export interface Trace {
  /** Repository-relative paths (with `/`) of every file the entry points can load, entry points included. */
  files: string[];
  /** The entry points, repository-relative. */
  entries: string[];
  /**
   * devDependencies the tracer reached only through optional requires (e.g. `debug` tries
   * `supports-color` inside try/catch). A production install has none of them, so neither has the package.
   */
  droppedDevFolders: string[];
}

/** The node_modules folder (nested ones included) a repository-relative path lies in, if any. */
export function moduleFolder(path: string): string | undefined {
  return /^((?:node_modules\/(?:@[^/]+\/)?[^/]+\/)+)/.exec(path)?.[1]?.replace(/\/$/, '');
}

/** Folders package-lock.json marks `dev`: installed for development only. */
export function devFolders(root: string): Set<string> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  return new Set(Object.entries(lock.packages).filter(([, p]) => p.dev === true).map(([folder]) => folder));
}

export async function traceFunctions(root: string, distDir: string): Promise<Trace> {
  const functionsDir = join(root, distDir, 'functions');
  const entries = readdirSync(functionsDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => join(functionsDir, f));
  if (entries.length === 0) throw new Error(`no function entry points in ${relative(root, functionsDir)}`);
  const { fileList, warnings } = await nodeFileTrace(entries, { base: root });
  const unresolved = [...warnings]
    .map((w) => /^Failed to resolve dependency "([^"]+)"/.exec(w.message)?.[1])
    .filter((name): name is string => name !== undefined && !(name in PROVIDED_AT_RUN_TIME));
  if (unresolved.length > 0) throw new Error(`modules the package would lack: ${[...new Set(unresolved)].join(', ')}`);
  const posix = (p: string) => p.split(sep).join('/');
  const dev = devFolders(root);
  const isDev = (file: string) => {
    const folder = moduleFolder(file);
    return folder !== undefined && dev.has(folder);
  };
  const traced = [...fileList].map(posix).sort();
  return {
    files: traced.filter((f) => !isDev(f)),
    entries: entries.map((e) => posix(relative(root, e))),
    droppedDevFolders: [...new Set(traced.filter(isDev).map((f) => moduleFolder(f)!))].sort(),
  };
}
