/**
 * The KQL and the workbook read what the telemetry writes: every event name, metric name and
 * customDimensions key they use is one src/telemetry emits, and the workbook runs the same queries as
 * infra/queries/*.kql (the "why" query with its two id parameters filled in by the workbook).
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALLOWED_ATTRIBUTES } from '../../../src/telemetry/attributes.js';
import { EVENT_NAMES, METRIC_NAMES } from '../../../src/telemetry/recorder.js';
import { infraDir, readRepoFile } from './bicep.js';

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

  it('find a record by CRM record id or by mailbox item id', () => {
    const why = queries.get('why-record')!;
    expect(why).toMatch(/customDimensions\.crmRecordId\) =~ crmRecordId/);
    expect(why).toMatch(/customDimensions\.mailboxItemId\) == mailboxItemId/);
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
