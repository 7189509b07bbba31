/**
 * The service with the real Azure Monitor exporter (@azure/monitor-opentelemetry, the distro both hosts
 * start), its connection string's IngestionEndpoint pointed at a loopback HTTPS endpoint this test runs
 * (./ingestion-sink.ts). The service runs in a child process (./exporter-run.ts: the Functions queue
 * function, then the self-hosted service against the tenant sandbox), preloaded with ./loopback-only.ts
 * so nothing leaves the machine; statsbeat is switched off by its documented settings.
 *
 * What is evaluated, honestly: there is no Kusto engine here. The queries' syntax and names are checked
 * by the official parser (test/unit/infra/queries.test.ts). Here, what arrived is mapped into the classic
 * tables' rows (customEvents, requests, customMetrics), every customDimensions key each query reads is
 * checked to arrive on the events that query filters, and each query's intent is restated in TypeScript
 * over those rows (the `why`, `failures`, … functions below, each next to the KQL it restates) to check
 * that the rows it is meant to return are there, and that rows about other records are not.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SERVICE_NAME } from '../../../src/telemetry/index.js';
import { EVENT_NAMES, METRIC_NAMES } from '../../../src/telemetry/recorder.js';
import { rows, startIngestionSink, type CustomEventRow, type IngestionSink } from './ingestion-sink.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'delete-sync-exporter-'));

interface Played {
  rule: string;
  crmRecordId: string;
  items: Record<string, string>;
}
interface RunResult {
  functionsHost: { eventId: string; crmRecordId: string; telemetryWhenDecided: string };
  secrets: string[];
  olga: string;
  crmFuture: Played;
  outlookOrganizer: Played;
  outlookAttendee: Played;
  denied: Played;
  task: { crmRecordId: string };
  poisoned: { crmRecordId: string; inPoisonQueue: number };
  held: { crmRecordId: string; heldNow: number };
}

let sink: IngestionSink;
let run: RunResult;
let stderr = '';
let table: ReturnType<typeof rows>;

beforeAll(async () => {
  sink = await startIngestionSink();
  const caFile = join(dir, 'ingestion-ca.pem');
  writeFileSync(caFile, sink.ca);
  const resultFile = join(dir, 'result.json');
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './test/unit/telemetry/loopback-only.ts', 'test/unit/telemetry/exporter-run.ts'], {
    cwd: REPO,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      RESULT_FILE: resultFile,
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-4000-8000-000000000018;IngestionEndpoint=${sink.url};LiveEndpoint=${sink.url}`,
      // The exporter's HTTP client is node:https: it trusts the sink's certificate this way only.
      NODE_EXTRA_CA_CERTS: caFile,
      // Statsbeat (the SDK's own usage telemetry to Microsoft) off, as the exporter documents.
      APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
      APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
      APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
      // The distro samples traces at 5 a second by default; here every request is wanted (docs/operator-guide.md).
      OTEL_TRACES_SAMPLER: 'always_on',
    },
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`exporter-run exited ${code}:\n${stderr.slice(-3000)}`);
  run = JSON.parse(readFileSync(resultFile, 'utf8')) as RunResult;
  table = rows(sink.envelopes);
}, 300_000);

afterAll(async () => {
  await sink?.close();
  rmSync(dir, { recursive: true, force: true });
});

const dims = (row: CustomEventRow) => row.customDimensions;
const events = (...names: string[]) => table.customEvents.filter((e) => names.includes(e.name));
const queryText = (name: string) => readFileSync(join(REPO, 'infra/queries', `${name}.kql`), 'utf8');

// ── The queries' intent over the rows ─────────────────────────────────────────────────────────────────

/**
 * why-record.kql: Decision/Held/Poison events that name the record (`crmRecordId =~`) or the item
 * (`mailboxItemId ==`), plus those sharing a non-empty eventId with them.
 */
function why(ids: { crmRecordId?: string; mailboxItemId?: string }): CustomEventRow[] {
  const all = events(EVENT_NAMES.decision, EVENT_NAMES.held, EVENT_NAMES.poison);
  const names = (d: Record<string, string>) =>
    (ids.crmRecordId !== undefined && d.crmRecordId?.toLowerCase() === ids.crmRecordId.toLowerCase()) ||
    (ids.mailboxItemId !== undefined && d.mailboxItemId === ids.mailboxItemId);
  const eventIds = new Set(all.filter((e) => names(dims(e)) && dims(e).eventId).map((e) => dims(e).eventId));
  return all.filter((e) => names(dims(e)) || (dims(e).eventId !== undefined && dims(e).eventId !== '' && eventIds.has(dims(e).eventId!)));
}

/** failures.kql: poison, held, and decisions with a failed or denied target. */
function failures() {
  return events(EVENT_NAMES.poison, EVENT_NAMES.held, EVENT_NAMES.decision)
    .filter((e) => e.name !== EVENT_NAMES.decision || Number(dims(e)['outcome.failed'] ?? 0) > 0 || Number(dims(e)['outcome.denied'] ?? 0) > 0)
    .map((e) => ({
      problem:
        e.name === EVENT_NAMES.poison ? 'poison' : e.name === EVENT_NAMES.held ? 'held by mass-delete brake' : Number(dims(e)['outcome.failed'] ?? 0) > 0 ? 'target failed' : 'denied (no Delete privilege)',
      operationId: e.operation_Id,
      crmRecordId: dims(e).crmRecordId,
    }));
}

/** decisions-by-rule.kql: `ruleId → action` counts, creates/updates and echoes left out. */
function decisionsByRule(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events(EVENT_NAMES.decision)) {
    if (['not-a-delete', 'system.echo'].includes(dims(e).ruleId ?? '')) continue;
    const rule = `${dims(e).ruleId} → ${dims(e).action}`;
    counts.set(rule, (counts.get(rule) ?? 0) + 1);
  }
  return counts;
}

/** throttling.kql and throttled-mailboxes.kql: Throttled events by service, and by mailbox where one is named. */
function throttled() {
  return events(EVENT_NAMES.throttled).map((e) => ({ service: dims(e).service, mailboxUserId: dims(e).mailboxUserId ?? '', retryAfterSeconds: Number(dims(e).retryAfterSeconds) }));
}

/** queue-health.kql: the three metrics, with valueSum and valueCount to average. */
function queueHealth() {
  const wanted: string[] = [METRIC_NAMES.queueAge, METRIC_NAMES.fanOut, METRIC_NAMES.poison];
  return table.customMetrics.filter((m) => wanted.includes(m.name));
}

// ── The checks ─────────────────────────────────────────────────────────────────────────────────────────

describe('the real exporter, against a loopback ingestion endpoint', () => {
  it('sent everything to the connection string\'s endpoint; nothing else outside loopback was tried but the VM metadata endpoint', () => {
    expect(sink.paths.filter((p) => p === '/v2.1/track').length).toBeGreaterThan(0);
    const refused = [...stderr.matchAll(/^loopback-only: refused (.+)$/gm)].map((m) => m[1]);
    expect(new Set(refused)).toEqual(new Set(['169.254.169.254:80']));
  });

  it('carries no secret anywhere: webhook key, admin key, client secret (request URLs are redacted)', () => {
    const everything = sink.bodies.join('\n');
    for (const secret of run.secrets) expect(everything).not.toContain(secret);
    const webhooks = table.requests.filter((r) => r.name === 'POST /api/dataverse/webhook');
    expect(webhooks.length).toBeGreaterThan(0);
    for (const r of webhooks) expect(r.url).toMatch(/\?code=\[redacted\]$/);
    const validations = table.requests.filter((r) => r.url.includes('validationToken='));
    expect(validations.length).toBeGreaterThan(0);
    for (const r of validations) expect(r.url).toMatch(/validationToken=\[redacted\]/);
  });

  it('names the role crm-outlook-delete-sync, not unknown_service', () => {
    const roles = new Set(sink.envelopes.map((e) => e.tags['ai.cloud.role']));
    expect(roles).toEqual(new Set([DEFAULT_SERVICE_NAME]));
  });

  it('keeps a decision the Functions worker made while its exporter was still registering', () => {
    expect(run.functionsHost.telemetryWhenDecided).toBe('starting');
    const decided = events(EVENT_NAMES.decision).filter((e) => dims(e).eventId === run.functionsHost.eventId);
    expect(decided).toHaveLength(1);
    expect(dims(decided[0]!)).toMatchObject({ crmRecordId: run.functionsHost.crmRecordId, origin: 'crm', change: 'deleted' });
  });

  it('gives every decision its eventId, Outlook deletes included (one id per mailbox item, however it was reported)', () => {
    const decisions = events(EVENT_NAMES.decision);
    expect(decisions.filter((e) => !dims(e).eventId)).toEqual([]);
    const outlook = decisions.filter((e) => dims(e).origin === 'outlook' && dims(e).change === 'deleted');
    expect(outlook.length).toBeGreaterThan(2);
    // A delete reported by a notification or by delta is one input: outlook-deleted:<user>:<kind>:<item>.
    for (const e of outlook) expect(dims(e).eventId).toMatch(/^outlook-deleted:[^:]+:event:.+$/);
  });

  it('links a decision to the request that brought its input (operation_Id)', () => {
    const requestOf = new Map(table.requests.map((r) => [r.operation_Id, r.name]));
    const byRule = (rule: string, origin: string) => events(EVENT_NAMES.decision).find((e) => dims(e).ruleId === rule && dims(e).origin === origin && dims(e).crmRecordId !== undefined);
    const crm = events(EVENT_NAMES.decision).find((e) => dims(e).crmRecordId === run.crmFuture.crmRecordId && dims(e).change === 'deleted' && dims(e).origin === 'crm');
    expect(requestOf.get(crm!.operation_Id)).toBe('POST /api/dataverse/webhook');
    expect(requestOf.get(byRule('outlook.appointment.active.organizer', 'outlook')!.operation_Id)).toBe('POST /api/graph/notifications');
    // Every decision that came in through a request is linked to it.
    const throughRequests = events(EVENT_NAMES.decision).filter((e) => dims(e).eventId !== run.functionsHost.eventId && !dims(e).eventId!.startsWith('delta:'));
    expect(throughRequests.filter((e) => !requestOf.has(e.operation_Id)).map((e) => dims(e).eventId)).toEqual([]);
  });

  it.each(readdirSync(join(REPO, 'infra/queries')).filter((f) => f.endsWith('.kql')).map((f) => f.replace(/\.kql$/, '')))(
    '%s.kql: every customDimensions key it reads arrived on the events it filters',
    (name) => {
      const text = queryText(name);
      const names = [...text.matchAll(/"(DeleteSync\.\w+)"/g)].map((m) => m[1]!);
      const keys = [...new Set([...text.matchAll(/(?:customDimensions|\bd)\.(\w+)/g)].map((m) => m[1]!).concat([...text.matchAll(/(?:customDimensions|\bd)\["([^"]+)"\]/g)].map((m) => m[1]!)))];
      if (names.length === 0) {
        // queue-health reads customMetrics columns only.
        const metrics = [...text.matchAll(/"(deletesync\.[\w.]+)"/g)].map((m) => m[1]!);
        for (const metric of metrics) expect(table.customMetrics.some((m) => m.name === metric), metric).toBe(true);
        return;
      }
      const arrived = events(...names);
      expect(arrived.length, name).toBeGreaterThan(0);
      const missing = keys.filter((key) => !arrived.some((e) => dims(e)[key] !== undefined));
      // Only counts of outcomes this run did not produce (e.g. outcome.failed) may be absent.
      expect(missing.filter((key) => !key.startsWith('outcome.')), name).toEqual([]);
      expect(keys.filter((key) => key.startsWith('outcome.')).length === 0 || missing.length < keys.filter((key) => key.startsWith('outcome.')).length, name).toBe(true);
    },
  );
});

describe('what each query is meant to return, over what arrived', () => {
  it('why-record by CRM record id: that record\'s decisions only (CRM and Outlook side)', () => {
    const found = why({ crmRecordId: run.outlookOrganizer.crmRecordId });
    expect(found.some((e) => dims(e).ruleId === 'outlook.appointment.active.organizer' && dims(e).action === 'propagate')).toBe(true);
    for (const e of found) expect(dims(e).crmRecordId ?? '').toBe(run.outlookOrganizer.crmRecordId);
  });

  it('why-record by mailbox item id: that item\'s inputs only, not every Outlook decision', () => {
    const item = run.outlookAttendee.items.alice!;
    const found = why({ mailboxItemId: item });
    expect(found.some((e) => dims(e).ruleId === 'outlook.appointment.active.attendee' && dims(e).action === 'skip')).toBe(true);
    for (const e of found) expect(dims(e).mailboxItemId).toBe(item);
    const otherOutlookDecisions = events(EVENT_NAMES.decision).filter((e) => dims(e).origin === 'outlook' && dims(e).mailboxItemId !== item);
    expect(otherOutlookDecisions.length).toBeGreaterThan(5);
  });

  it('why-record finds a poisoned delete and a held delete by the record id alone', () => {
    expect(run.poisoned.inPoisonQueue).toBe(1);
    const poison = why({ crmRecordId: run.poisoned.crmRecordId }).filter((e) => e.name === EVENT_NAMES.poison);
    expect(poison.map(dims)).toEqual([expect.objectContaining({ entity: 'appointment', origin: 'crm', change: 'deleted', errorCode: 'DS_ERR_UPSTREAM', dequeueCount: '1' })]);

    expect(run.held.heldNow).toBe(1);
    const held = why({ crmRecordId: run.held.crmRecordId }).filter((e) => dims(e).change === 'deleted');
    expect(held.map((e) => e.name).sort()).toEqual([EVENT_NAMES.decision, EVENT_NAMES.held]);
    expect(dims(held.find((e) => e.name === EVENT_NAMES.held)!)).toMatchObject({ ruleId: 'crm.appointment.active.future', heldCount: '1', crmEntity: 'appointment' });
    expect(dims(held.find((e) => e.name === EVENT_NAMES.decision)!)).toMatchObject({ 'outcome.held': '2' });
  });

  it('failures: the poisoned, the held and the denied delete, each with its record', () => {
    const rowsFound = failures();
    const problem = (crmRecordId: string) => rowsFound.filter((r) => r.crmRecordId === crmRecordId).map((r) => r.problem);
    expect(problem(run.poisoned.crmRecordId)).toEqual(['poison']);
    expect(problem(run.held.crmRecordId)).toEqual(['held by mass-delete brake']);
    expect(problem(run.denied.crmRecordId)).toEqual(['denied (no Delete privilege)']);
    for (const r of rowsFound) expect(r.crmRecordId, r.problem).toBeTruthy();
  });

  it('decisions-by-rule: the deletes by rule, without the not-a-delete and echo noise that dominates what arrived', () => {
    const decisions = events(EVENT_NAMES.decision);
    const noise = decisions.filter((e) => ['not-a-delete', 'system.echo'].includes(dims(e).ruleId ?? '')).length;
    expect(noise).toBeGreaterThan(decisions.length / 2);
    const chart = decisionsByRule();
    expect([...chart.keys()].sort()).toEqual(
      [
        'crm.appointment.active.future → propagate',
        'crm.appointment.active.past → skip',
        'crm.task.active → propagate',
        'outlook.appointment.active.attendee → skip',
        'outlook.appointment.active.organizer → propagate',
      ].sort(),
    );
    expect(chart.get('outlook.appointment.active.organizer → propagate')).toBe(2);
  });

  it('throttling and throttled-mailboxes: the Graph 429 for Olga\'s mailbox', () => {
    expect(throttled()).toEqual([{ service: 'graph', mailboxUserId: run.olga, retryAfterSeconds: 0 }]);
  });

  it('queue-health: queue age, fan-out and poison arrive as customMetrics with sums and counts', () => {
    const found = queueHealth();
    for (const metric of [METRIC_NAMES.queueAge, METRIC_NAMES.fanOut, METRIC_NAMES.poison]) {
      const series = found.filter((m) => m.name === metric);
      expect(series.length, metric).toBeGreaterThan(0);
      for (const m of series) expect(Number.isFinite(m.valueSum / m.valueCount), metric).toBe(true);
    }
    expect(found.filter((m) => m.name === METRIC_NAMES.poison).reduce((n, m) => n + m.valueSum, 0)).toBe(1);
  });
});
