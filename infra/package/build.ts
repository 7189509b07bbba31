/**
 * `npm run build`: a clean compile and the deployment package azd uploads (azure.yaml `dist:`).
 *
 * 1. Delete the compiled output and the package, so a renamed or deleted function leaves no stale
 *    dist/functions/*.js behind for the Functions host to register.
 * 2. Compile with tsconfig.build.json, and build the decision explorer's page into dist/explorer (type
 *    check, then Vite), which the explorer's static handler reads at run time.
 * 3. Copy into the package folder exactly what runs: the traced files (infra/package/trace.ts), the
 *    explorer's page, host.json, package.json, the policy file named by POLICY_FILE, and .funcignore,
 *    whose rules are applied here as azd applies them when it zips the folder.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { build as viteBuild } from 'vite';
import { funcignoreRules, IGNORE_FILE, packageContents, totalBytes, type PackageFile } from './contents.js';
import { traceFunctions, type Trace } from './trace.js';

export interface BuildOptions {
  /** Repository root. */
  root: string;
  /** Compiled output, relative to root; the package always calls it `dist/` (package.json `main`). */
  distDir?: string;
  /** The folder azd zips (azure.yaml `dist:`), relative to root. */
  packageDir?: string;
  /** POLICY_FILE as the app will read it: a path relative to the app root, shipped in the package. */
  policyFile?: string | undefined;
}

export interface PackageReport {
  packageDir: string;
  files: PackageFile[];
  bytes: number;
  trace: Trace;
}

/** Files at the package root besides the trace: the host's configuration and the app's package.json. */
export const ALWAYS_SHIPPED = ['host.json', 'package.json'] as const;

export const DEFAULT_DIST_DIR = 'dist';
export const DEFAULT_PACKAGE_DIR = '.deploy';

export function cleanBuildOutputs(root: string, dirs: readonly string[]): void {
  for (const dir of dirs) rmSync(join(root, dir), { recursive: true, force: true });
}

function compile(root: string, distDir: string): void {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', distDir], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal})`);
}

/** The explorer's page: read from disk by src/handlers/explorer-static.ts, so no trace finds it. */
export const EXPLORER_DIR = 'explorer';

async function buildExplorer(root: string, distDir: string): Promise<void> {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const checked = spawnSync(process.execPath, [tsc, '-p', 'explorer/tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (checked.status !== 0) throw new Error(`tsc -p explorer/tsconfig.json failed (exit ${checked.status ?? checked.signal})`);
  await viteBuild({ configFile: join(root, 'explorer/vite.config.ts'), logLevel: 'warn', build: { outDir: join(root, distDir, EXPLORER_DIR), emptyOutDir: true } });
}

/** A POLICY_FILE must be a file inside the app root, or the app could not read it in Azure. */
function policyPath(root: string, policyFile: string): string {
  const path = normalize(policyFile);
  if (isAbsolute(path) || path === '..' || path.startsWith(`..${sep}`)) {
    throw new Error(`POLICY_FILE must be a path inside the repository (it ships in the package): ${policyFile}`);
  }
  if (!existsSync(join(root, path))) throw new Error(`POLICY_FILE ${policyFile} does not exist, so it cannot be shipped`);
  return path.split(sep).join('/');
}

export async function buildPackage(options: BuildOptions): Promise<PackageReport> {
  const { root } = options;
  const distDir = options.distDir ?? DEFAULT_DIST_DIR;
  const packageDir = options.packageDir ?? DEFAULT_PACKAGE_DIR;
  cleanBuildOutputs(root, [distDir, packageDir]);
  compile(root, distDir);
  await buildExplorer(root, distDir);
  return stagePackage({ ...options, distDir, packageDir }, await traceFunctions(root, distDir));
}

/** Copies the traced files (and the fixed ones) into an empty package folder; returns what azd would zip. */
export function stagePackage(options: Required<Pick<BuildOptions, 'root' | 'distDir' | 'packageDir'>> & BuildOptions, trace: Trace): PackageReport {
  const { root, distDir, packageDir } = options;
  const distPrefix = `${distDir.split(sep).join('/').replace(/\/+$/, '')}/`;
  const wanted = new Map<string, string>(); // package path → repository path
  for (const file of trace.files) wanted.set(file.startsWith(distPrefix) ? `dist/${file.slice(distPrefix.length)}` : file, file);
  for (const file of ALWAYS_SHIPPED) wanted.set(file, file);
  const explorer = join(root, distDir, EXPLORER_DIR);
  if (existsSync(explorer)) for (const { path } of packageContents(explorer)) wanted.set(`dist/${EXPLORER_DIR}/${path}`, `${distPrefix}${EXPLORER_DIR}/${path}`);
  if (options.policyFile) {
    const policy = policyPath(root, options.policyFile);
    wanted.set(policy, policy);
  }

  const rules = funcignoreRules(root);
  const target = join(root, packageDir);
  rmSync(target, { recursive: true, force: true });
  for (const [inPackage, source] of wanted) {
    if (rules.ignores(inPackage)) continue;
    mkdirSync(dirname(join(target, inPackage)), { recursive: true });
    copyFileSync(join(root, source), join(target, inPackage));
  }
  if (existsSync(join(root, IGNORE_FILE))) copyFileSync(join(root, IGNORE_FILE), join(target, IGNORE_FILE));

  const files = packageContents(target);
  return { packageDir, files, bytes: totalBytes(files), trace };
}
