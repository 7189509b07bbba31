/**
 * `npm run demo`: starts Azurite, the tenant sandbox and the service (over real HTTP on loopback),
 * registers the Dataverse webhook steps and the Graph subscriptions with the deployment's own code,
 * plays every row of the deletion table in both directions, and prints what was expected next to what
 * happened. Exits 0 only when every row matches. With APPLICATIONINSIGHTS_CONNECTION_STRING set, the
 * service's telemetry goes there (or to any ingestion endpoint the string names), as from `npm start`.
 *
 * `npm run demo -- --keep` then keeps everything running and the decision explorer served (its URL and
 * the admin key are printed) until Ctrl-C.
 */
import { startTelemetryFromEnv } from '../src/telemetry/index.js';
import type { Observed, Scenario } from './scenarios.js';
import type { World } from './world.js';

// Telemetry first (APPLICATIONINSIGHTS_CONNECTION_STRING, as the hosts read it): the HTTP instrumentation
// sees only the modules loaded after it, so the service's own modules are imported below.
const telemetry = await startTelemetryFromEnv();
const { describeState, matches, SCENARIOS } = await import('./scenarios.js');
const { startWorld } = await import('./world.js');

interface Result {
  scenario: Scenario;
  observed: Observed | null;
  error: string | null;
  ok: boolean;
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (line: string) => process.stdout.write(`${line}\n`);

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => [...(row[column] ?? '')].length)));
  const line = (row: string[]) => row.map((cell, column) => cell + ' '.repeat(widths[column]! - [...cell].length)).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

async function play(world: World, scenario: Scenario): Promise<Result> {
  try {
    const observed = await scenario.play(world);
    return { scenario, observed, error: null, ok: matches(scenario, observed) };
  } catch (error) {
    return { scenario, observed: null, error: (error as Error).message, ok: false };
  }
}

function report(results: Result[]): string {
  const rows = [['#', 'Row', 'Direction', 'Expected', 'Observed', 'Rule id', '']];
  results.forEach(({ scenario, observed, error, ok }, index) => {
    const expectedRule = scenario.expected.ruleId ?? '(no decision)';
    const observedRule = observed === null ? '—' : (observed.ruleId ?? '(no decision)');
    rows.push([
      String(index + 1),
      scenario.row,
      scenario.direction,
      describeState(scenario.expected),
      observed === null ? `error: ${error}` : describeState(observed),
      observedRule === expectedRule ? observedRule : `${observedRule} (expected ${expectedRule})`,
      ok ? '✓' : '✗',
    ]);
  });
  return table(rows);
}

const keep = process.argv.slice(2).includes('--keep');

/** Resolves on Ctrl-C (or SIGTERM). */
const interrupted = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

const logLines: string[] = [];
let world: World | undefined;
let exitCode = 1;
try {
  say('delete-sync demo: starting Azurite, the tenant sandbox and the service …');
  world = await startWorld({ logSink: (_level, line) => logLines.push(line) });
  const { sb, users, service } = world;
  const steps = sb.dataverse.query('sdkmessageprocessingstep').length;
  const images = sb.dataverse.query('sdkmessageprocessingstepimage').length;
  say(`  service      ${service.url} (Fastify host + queue worker, Azurite storage)`);
  say(`  sandbox      Graph ${sb.graphUrl}, Dataverse ${sb.dataverseUrl} (HTTPS, certificate made at start)`);
  say(`  registered   ${steps} Dataverse steps with ${images} pre-images; ${sb.graph.listSubscriptions().length} Graph subscriptions`);
  say(`  people       ${Object.values(users).map((u) => `${u.displayName}${u.canDelete ? '' : ' (no Delete privilege)'}`).join(', ')}`);
  say(`  telemetry    ${telemetry.enabled ? 'on: decisions, requests and metrics go to APPLICATIONINSIGHTS_CONNECTION_STRING' : 'off (set APPLICATIONINSIGHTS_CONNECTION_STRING to send it)'}`);
  say(`  ready after  ${elapsed()}\n`);

  const results: Result[] = [];
  for (const scenario of SCENARIOS) {
    const result = await play(world, scenario);
    results.push(result);
    say(`  ${result.ok ? '✓' : '✗'} ${scenario.action}${result.observed ? ` → ${result.observed.outcome}` : ''}`);
  }
  say(`\n${report(results)}\n`);
  const failed = results.filter((r) => !r.ok).length;
  const twice = sb.deleteLog.deletedTwice().length;
  say(`Nothing deleted twice: ${twice === 0 ? 'yes' : `no (${twice})`}. ${results.length - failed} of ${results.length} rows as the table says, in ${elapsed()}.`);
  if (failed > 0 && logLines.length > 0) say(`\nService log (warnings and errors, last 20):\n${logLines.slice(-20).join('\n')}`);
  exitCode = failed === 0 && twice === 0 ? 0 : 1;
  if (keep) {
    // The demo's own throwaway key (random per run, loopback only, gone at Ctrl-C): the page asks for it.
    say(`\nDecision explorer: ${service.url}/explorer/  (admin key for this run: ${service.config.adminKey ?? '(none)'})`);
    say('Kept running (--keep): press Ctrl-C to stop.');
    await interrupted();
  } else {
    say(`\nDecision explorer: ${service.url}/explorer/ — served until the demo exits; \`npm run demo -- --keep\` keeps it open.`);
  }
} catch (error) {
  say(`demo failed: ${(error as Error).message}`);
  if (logLines.length > 0) say(`\nService log (last 20):\n${logLines.slice(-20).join('\n')}`);
} finally {
  await world?.close();
  await telemetry.shutdown();
}
process.exit(exitCode);
