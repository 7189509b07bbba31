/**
 * The deployment package, built for real: `npm run build`'s own code compiles with tsconfig.build.json,
 * traces what dist/functions/*.js loads and stages it, and the test measures what azd would zip from
 * that folder (the same walk and .funcignore rules as azd). Then it loads every function module from a
 * copy of the package outside the repository, where nothing but the package's own node_modules resolves.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, stagePackage, type PackageReport } from '../../../infra/package/build.js';
import { funcignoreRules, packageContents, totalBytes } from '../../../infra/package/contents.js';
import { moduleFolder, type Trace } from '../../../infra/package/trace.js';
import { readRepoFile, repoRoot } from './bicep.js';

/** Issue 16: the package was about 376 MB with every devDependency; it must stay under 60 MB. */
const MAX_PACKAGE_BYTES = 60 * 1_000_000;

const work = mkdtempSync(join(repoRoot, '.package-test-'));
const workDir = relative(repoRoot, work);
const distDir = `${workDir}/dist`;
const packageDir = `${workDir}/deploy`;
let report: PackageReport;
let trace: Trace;

const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, { version?: string; dev?: boolean }> };
const manifest = JSON.parse(readRepoFile('package.json')) as { devDependencies: Record<string, string>; main: string };

/** node_modules/<pkg> (or nested node_modules/a/node_modules/b) folders that hold a file of the package. */
function packageFolders(files: readonly { path: string }[]): Set<string> {
  return new Set(files.flatMap(({ path }) => moduleFolder(path) ?? []));
}

beforeAll(async () => {
  // A function renamed since the last build must not survive it (issue 16, item 3).
  mkdirSync(join(work, 'dist/functions'), { recursive: true });
  writeFileSync(join(work, 'dist/functions/renamed-long-ago.js'), "import azfunc from '@azure/functions';\nazfunc.app.http('renamedLongAgo', { handler: () => ({}) });\n");
  report = await buildPackage({ root: repoRoot, distDir, packageDir });
  trace = report.trace;
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the deployment package', () => {
  it(`stays under ${MAX_PACKAGE_BYTES / 1_000_000} MB, measured as azd would zip it`, () => {
    const zipped = packageContents(join(repoRoot, packageDir));
    expect(zipped).toEqual(report.files);
    expect(zipped.length).toBeGreaterThan(100);
    expect(totalBytes(zipped)).toBe(report.bytes);
    expect(report.bytes).toBeLessThan(MAX_PACKAGE_BYTES);
  });

  it('holds every compiled function module and no stale one', () => {
    const functions = readdirSync(join(repoRoot, 'functions')).filter((f) => f.endsWith('.ts')).map((f) => `dist/functions/${basename(f, '.ts')}.js`);
    expect(functions.length).toBeGreaterThanOrEqual(6);
    const paths = new Set(report.files.map((f) => f.path));
    for (const f of functions) expect(paths.has(f), f).toBe(true);
    expect([...paths].filter((p) => p.startsWith('dist/functions/') && !p.includes('/lib/')).sort()).toEqual(functions.sort());
    expect(manifest.main).toBe('dist/functions/*.js');
    for (const f of ['host.json', 'package.json']) expect(paths.has(f), f).toBe(true);
  });

  it('ships the decision explorer\'s built page where its static handler looks (dist/explorer)', () => {
    const page = report.files.map((f) => f.path).filter((p) => p.startsWith('dist/explorer/'));
    expect(page).toContain('dist/explorer/index.html');
    expect(page.filter((p) => /^dist\/explorer\/assets\/index-[\w-]+\.(js|css)$/.test(p))).toHaveLength(2);
  });

  it('ships production dependencies only, and none of the devDependencies', () => {
    const folders = packageFolders(report.files);
    expect(folders.size).toBeGreaterThan(20);
    for (const folder of folders) {
      expect(lock.packages[folder], folder).toBeDefined();
      expect(lock.packages[folder]!.dev, `${folder} is a devDependency`).not.toBe(true);
    }
    const names = new Set([...folders].map((f) => f.slice(f.lastIndexOf('node_modules/') + 'node_modules/'.length)));
    // A devDependency ships only where a production package needs it too (the lockfile then drops `dev`).
    const devOnly = Object.keys(manifest.devDependencies).filter((dev) => lock.packages[`node_modules/${dev}`]?.dev === true);
    expect(devOnly.length).toBeGreaterThan(5);
    for (const dev of devOnly) expect(names.has(dev), dev).toBe(false);
    // Run-from-source tools stay home: the host loads compiled JavaScript.
    for (const tool of ['tsx', 'esbuild', 'typescript', 'vitest', 'azurite']) expect(names.has(tool), tool).toBe(false);
    // What the tracer found behind optional requires (debug → supports-color) is dropped, and the
    // module load below shows nothing needs it.
    expect(trace.droppedDevFolders).toContain('node_modules/supports-color');
  });

  it('leaves out what .funcignore lists (maps, TypeScript), and never node_modules as a whole', () => {
    expect(report.files.filter((f) => f.path.endsWith('.map') || f.path.endsWith('.ts'))).toEqual([]);
    // azd rejects `remoteBuild: false` when the ignore file excludes node_modules.
    expect(funcignoreRules(repoRoot).ignores('node_modules/')).toBe(false);
  });

  it('loads every function module and starts telemetry from a copy outside the repository', () => {
    const outside = mkdtempSync(join(tmpdir(), 'delete-sync-package-'));
    try {
      cpSync(join(repoRoot, packageDir), outside, { recursive: true });
      const script = [
        "import { readdirSync } from 'node:fs';",
        "const dir = new URL('./dist/functions/', `file://${process.cwd()}/`);",
        "for (const f of readdirSync(dir).filter((f) => f.endsWith('.js'))) await import(new URL(f, dir).href);",
        "const t = await import(new URL('./dist/src/telemetry/index.js', `file://${process.cwd()}/`).href);",
        // A loopback ingestion endpoint: nothing leaves the machine, but the distro and its exporters load.
        "const h = await t.startTelemetry({ connectionString: 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/' });",
        "process.stdout.write(`loaded telemetry=${h.enabled}\\n`);",
        'process.exit(0);',
      ].join('\n');
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: outside, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '' } });
      expect(run.stderr).not.toMatch(/Cannot find (module|package)|ERR_MODULE_NOT_FOUND/);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('loaded telemetry=true');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  }, 90_000);

  it('ships the policy file POLICY_FILE names, and refuses one it cannot ship', () => {
    writeFileSync(join(work, 'policy.json'), '{"rules":[]}\n');
    const withPolicy = stagePackage({ root: repoRoot, distDir, packageDir: `${workDir}/with-policy`, policyFile: `${workDir}/policy.json` }, trace);
    expect(withPolicy.files.map((f) => f.path)).toContain(`${workDir}/policy.json`);
    expect(withPolicy.files.length).toBe(report.files.length + 1);
    expect(() => stagePackage({ root: repoRoot, distDir, packageDir: `${workDir}/x`, policyFile: `${workDir}/missing.json` }, trace)).toThrow(/does not exist/);
    expect(() => stagePackage({ root: repoRoot, distDir, packageDir: `${workDir}/x`, policyFile: '../outside.json' }, trace)).toThrow(/inside the repository/);
  });
});
