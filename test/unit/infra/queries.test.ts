/**
 * The KQL and the workbook read what the telemetry writes: every event name, metric name and
 * customDimensions key they use is one src/telemetry emits, and the workbook runs the same queries as
 * infra/queries/*.kql (the "why" query with its two id parameters filled in by the workbook). Every query
 * parses and analyses without an error in the official Kusto parser, against the Application Insights
 * tables (./kusto.ts). What the queries return over real exporter output: test/unit/telemetry/exporter.test.ts.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOWED_ATTRIBUTES } from '../../../src/telemetry/attributes.js';
import { EVENT_NAMES, METRIC_NAMES } from '../../../src/telemetry/recorder.js';
import { infraDir, readRepoFile } from './bicep.js';
import { kustoDiagnostics } from './kusto.js';

const queryFiles = readdirSync(resolve(infraDir, 'queries')).filter((f) => f.endsWith('.kql'));
const queries = new Map(queryFiles.map((f) => [f.replace(/\.kql$/, ''), readRepoFile(`infra/queries/${f}`)]));

interface WorkbookItem {
  type: number;
  name: string;
  content: {
    version?: string;
    query?: string;
    visualization?: string;
    timeContextFromParameter?: string;
    parameters?: { name: string; type: number }[];
  };
}
const workbook = JSON.parse(readRepoFile('infra/workbook.json')) as { version: string; items: WorkbookItem[] };

/** What the "why" query becomes in the workbook: its two ids come from workbook parameters. */
const WORKBOOK_SUBSTITUTIONS: Record<string, [string, string][]> = {
  'why-record': [
    ['let crmRecordId = "";', 'let crmRecordId = "{CrmRecordId}";'],
    ['let mailboxItemId = "";', 'let mailboxItemId = "{MailboxItemId}";'],
  ],
};

describe('KQL queries', () => {
  it('cover the questions operators ask', () => {
    expect([...queries.keys()].sort()).toEqual(
      ['decisions-by-rule', 'failures', 'queue-health', 'throttled-mailboxes', 'throttling', 'why-record'].sort(),
    );
  });

  it('find a record by CRM record id or by mailbox item id, and never join on an empty eventId', () => {
    const why = queries.get('why-record')!;
    expect(why).toMatch(/tostring\(d\.crmRecordId\) =~ crmRecordId/);
    expect(why).toMatch(/tostring\(d\.mailboxItemId\) == mailboxItemId/);
    expect(why.match(/isnotempty\(tostring\(d\.eventId\)\)/g)).toHaveLength(2);
  });

  it('leave creates, updates and echoes out of the decisions-by-rule chart', () => {
    expect(queries.get('decisions-by-rule')).toContain('!in ("not-a-delete", "system.echo")');
  });

  it('use only event names, metric names and dimensions the telemetry emits', () => {
    const events = new Set<string>(Object.values(EVENT_NAMES));
    const metrics = new Set<string>(Object.values(METRIC_NAMES));
    const attributes = new Set(Object.keys(ALLOWED_ATTRIBUTES));
    let dimensionsChecked = 0;
    for (const [file, text] of queries) {
      const names = [...text.matchAll(/"((?:DeleteSync\.|deletesync\.)[\w.]+)"/g)].map((m) => m[1]!);
      expect(names.length, file).toBeGreaterThan(0);
      for (const n of names) expect(events.has(n) || metrics.has(n), `${file}: ${n}`).toBe(true);
      const dims = [
        ...[...text.matchAll(/(?:customDimensions|\bd)\.(\w+)/g)].map((m) => m[1]!),
        ...[...text.matchAll(/(?:customDimensions|\bd)\["([^"]+)"\]/g)].map((m) => m[1]!),
      ];
      for (const dim of dims) expect(attributes.has(dim), `${file}: ${dim}`).toBe(true);
      dimensionsChecked += dims.length;
    }
    expect(dimensionsChecked).toBeGreaterThan(30);
  });
});

/** Errors only: warnings (e.g. a suggestion to use `has`) do not stop a query from running. */
const errorsOf = (query: string) => kustoDiagnostics(query).filter((d) => d.severity === 'Error');

/** A workbook replaces `{Name}` with the parameter's value before running the query. */
const withParameterValues = (query: string) => query.replace(/\{CrmRecordId\}/g, '0b6c7f1e-3d2a-4f55-8e61-2a9d4c7b1e05').replace(/\{MailboxItemId\}/g, 'AAMkADk=');

describe('the official Kusto parser', () => {
  it('reports what the Logs blade would: bad syntax, an unbracketed keyword, an unknown table or column', () => {
    expect(errorsOf('customEvents | where name == ')).not.toEqual([]);
    expect(errorsOf('customEvents | project kind = name').map((d) => d.code)).toEqual(['KS228']);
    expect(errorsOf('customEvent | take 1').map((d) => d.code)).toEqual(['KS204']);
    expect(errorsOf('customEvents | project operationId').map((d) => d.code)).toEqual(['KS142']);
    expect(errorsOf('customEvents | project timestamp, name, operation_Id, customDimensions.eventId')).toEqual([]);
  });

  it.each([...queries])('parses and analyses infra/queries/%s.kql without an error', (_name, text) => {
    expect(errorsOf(text)).toEqual([]);
  });

  it.each(workbook.items.filter((i) => i.type === 3).map((i) => [i.name, i.content.query ?? ''] as const))(
    'parses and analyses the workbook query %s without an error',
    (_name, text) => {
      expect(errorsOf(withParameterValues(text))).toEqual([]);
    },
  );
});

describe('workbook.json', () => {
  it('is a workbook template: Notebook/1.0 with KqlItem/1.0 queries', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    const kqlItems = workbook.items.filter((i) => i.type === 3);
    expect(kqlItems.length).toBe(queries.size);
    for (const item of kqlItems) {
      expect(item.content.version).toBe('KqlItem/1.0');
      expect(['table', 'timechart']).toContain(item.content.visualization);
      expect(item.content.timeContextFromParameter).toBe('TimeRange');
    }
  });

  it('runs exactly the queries in infra/queries', () => {
    for (const [name, text] of queries) {
      const item = workbook.items.find((i) => i.name === name);
      expect(item, name).toBeDefined();
      const expected = (WORKBOOK_SUBSTITUTIONS[name] ?? []).reduce((q, [from, to]) => q.replace(from, to), text);
      expect(item!.content.query).toBe(expected);
    }
  });

  it('declares every parameter its queries use', () => {
    const declared = new Set(
      workbook.items.flatMap((i) => (i.type === 9 ? (i.content.parameters ?? []).map((p) => p.name) : [])),
    );
    const used = workbook.items.flatMap((i) => [...(i.content.query ?? '').matchAll(/\{(\w+)\}/g)].map((m) => m[1]!));
    expect(used.sort()).toEqual(['CrmRecordId', 'MailboxItemId']);
    for (const p of [...used, 'TimeRange']) expect(declared.has(p), p).toBe(true);
  });
});
