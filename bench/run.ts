/**
 * `npm run bench`: starts Azurite and the tenant sandbox, runs every section with both sides of each
 * comparison in this one process, prints one table with the targets next to the figures, writes the same
 * figures to bench/results/latest.json, and stops everything. Exits non-zero only when something crashed;
 * a missed target is reported, not failed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAcknowledge, type AckOptions } from './acknowledge.js';
import { runFanOuts, type FanOutOptions } from './fanout.js';
import { REQUEST_LATENCY_MS, startInfra } from './infra.js';
import { runPolicyAndParsing } from './policy-parsing.js';
import { checkTargets, machine, renderReport, type BenchReport } from './report.js';

const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results', 'latest.json');

const ACK: AckOptions = { rates: [100, 250, 500, 1000], durationSeconds: 5, connections: 100, timeoutSeconds: 10, mailboxes: 20, warmUpRate: 100, warmUpSeconds: 2, pauseMs: 500, linkedItems: 1600 };
const FAN_OUT: FanOutOptions = { sizes: [10, 100, 500, 2000], oneAtATimeSizes: [10, 100, 500], throttledSize: 500, throttledShare: 0.2, timeoutMs: 180_000 };

const progress = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  const startedAt = new Date();
  const host = machine();
  progress('policy and parsing');
  const policyParsing = runPolicyAndParsing();
  progress('starting Azurite and the tenant sandbox');
  const infra = await startInfra();
  let report: BenchReport;
  try {
    const acknowledge = await runAcknowledge(infra, ACK, progress);
    const fanOut = await runFanOuts(infra, FAN_OUT, progress);
    report = {
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      machine: { ...host, loadAverageAtEnd: os.loadavg() },
      settings: { acknowledge: ACK, fanOut: FAN_OUT, requestLatencyMs: REQUEST_LATENCY_MS },
      acknowledge,
      fanOut,
      policyParsing,
      targets: checkTargets(acknowledge, fanOut, policyParsing),
    };
  } finally {
    progress('stopping Azurite and the tenant sandbox');
    await infra.close();
  }
  await mkdir(path.dirname(RESULTS), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${renderReport(report)}\nFigures written to ${path.relative(process.cwd(), RESULTS)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
