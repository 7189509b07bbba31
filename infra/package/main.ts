/** `npm run build`. azd runs it with the environment's values, so POLICY_FILE is the deployment's. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackage } from './build.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

try {
  const report = await buildPackage({ root, policyFile: process.env.POLICY_FILE?.trim() || undefined });
  const megabytes = (report.bytes / 1_000_000).toFixed(1);
  process.stdout.write(`Deployment package ${report.packageDir}/: ${report.files.length} files, ${megabytes} MB\n`);
} catch (error) {
  process.stderr.write(`build failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
