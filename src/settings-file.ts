/**
 * Where `npm start` and `delete-sync` read their settings: the environment, plus one settings file of
 * `NAME=value` lines (the format Node's `--env-file` reads, and `sandbox/cli.ts` writes under the
 * service's own names). The file is `--env-file <path>` (CLI) or DELETE_SYNC_ENV_FILE, else `.env` in the
 * working directory when there is one. A variable set in the environment wins over the file, so a
 * deployment's settings are never overridden by a stray file. Both then validate with loadConfig.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { DeleteSyncError } from './errors.js';

export const ENV_FILE_SETTING = 'DELETE_SYNC_ENV_FILE';
export const DEFAULT_ENV_FILE = '.env';

export interface LoadedSettings {
  /** The environment with the file's values added where the environment has none. */
  env: Record<string, string | undefined>;
  /** The file read, if any (absolute path). */
  file: string | null;
}

export function loadSettings(options: { env?: Record<string, string | undefined>; file?: string; cwd?: string } = {}): LoadedSettings {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const named = options.file ?? (env[ENV_FILE_SETTING] || undefined);
  const file = named === undefined ? path.resolve(cwd, DEFAULT_ENV_FILE) : path.resolve(cwd, named);
  if (!existsSync(file)) {
    if (named === undefined) return { env: { ...env }, file: null };
    throw new DeleteSyncError('DS_ERR_CONFIG', `the settings file ${named} does not exist`, { field: options.file === undefined ? ENV_FILE_SETTING : '--env-file' });
  }
  let values: Record<string, string | undefined>;
  try {
    values = parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DeleteSyncError('DS_ERR_CONFIG', `the settings file ${named ?? DEFAULT_ENV_FILE} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      field: options.file === undefined ? ENV_FILE_SETTING : '--env-file',
    });
  }
  const merged: Record<string, string | undefined> = { ...values };
  for (const [name, value] of Object.entries(env)) if (value !== undefined) merged[name] = value;
  return { env: merged, file };
}
