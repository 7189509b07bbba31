/**
 * What azd puts in the zip it uploads for a Functions service: every file under the package folder
 * except `.azure/` folders, the ignore file itself, `local.settings.json`, and what `.funcignore`
 * (gitignore syntax) excludes. Mirrors `createDeployableZip` in azd's `pkg/project/project_utils.go`,
 * so measuring this list measures the upload.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

export const IGNORE_FILE = '.funcignore';

export interface PackageFile {
  /** Path inside the package, with `/` separators. */
  path: string;
  bytes: number;
}

/** The `.funcignore` rules of a folder (none when it has no such file). */
export function funcignoreRules(dir: string): Ignore {
  const file = join(dir, IGNORE_FILE);
  const rules = ignore();
  // azd strips a UTF-8 byte-order mark before parsing; so do we.
  if (existsSync(file)) rules.add(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  return rules;
}

/** Files azd would zip from `dir`, sorted by path. */
export function packageContents(dir: string): PackageFile[] {
  const rules = funcignoreRules(dir);
  const files: PackageFile[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = join(folder, entry.name);
      const path = relative(dir, full).split(sep).join('/');
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full).isDirectory());
      if (isDir && entry.name === '.azure') continue;
      if (!isDir && (entry.name === IGNORE_FILE || entry.name === 'local.settings.json')) continue;
      if (rules.ignores(isDir ? `${path}/` : path)) continue;
      if (isDir) walk(full);
      else files.push({ path, bytes: statSync(full).size });
    }
  };
  walk(dir);
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

export function totalBytes(files: readonly PackageFile[]): number {
  return files.reduce((sum, f) => sum + f.bytes, 0);
}
