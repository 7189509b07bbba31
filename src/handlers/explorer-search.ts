/**
 * The explorer's search, from query parameters to a bounded decision query: a CRM record (record key, bare
 * id or a pasted record URL), a mailbox (object id or UPN), a rule id, an outcome and a time range. Only
 * ids are read from a pasted URL (`etn`, `id`), and each is checked before it becomes a key.
 */
import { z } from 'zod';
import { DeleteSyncError } from '../errors.js';
import { RULE_IDS } from '../policy/table.js';
import { crmRecordKey, mailboxesOf, type DecisionQuery, type DecisionRecord, type DecisionScope } from '../store/decisions.js';

/** What a support engineer asks for: the words of the issue, each a test on one record. */
export const Outcome = z.enum(['executed', 'skipped', 'held', 'denied', 'failed', 'poisoned']);
export type Outcome = z.infer<typeof Outcome>;

/** Rule ids a record can carry: the table's and the processor's own. */
export const SEARCHABLE_RULES: readonly string[] = [...RULE_IDS, 'system.echo', 'system.poison'];

/** Entities whose records the service decides about; a bare id is looked for under each. */
export const TRACKED_ENTITIES = ['appointment', 'task', 'email', 'contact'] as const;

const GUID = /^\{?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\}?$/i;
const ENTITY = /^[a-z][a-z0-9_]{0,63}$/i;
const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 200;
/** Rows read per index for one page: bounds a filtered search's cost whatever it finds. */
export const SCAN_LIMIT = 1000;

/** Every outcome word that fits a record (a decision can be e.g. both executed and denied). */
export function outcomesOf(record: DecisionRecord): Outcome[] {
  const statuses = new Set(record.outcomes.map((o) => o.status));
  const out: Outcome[] = [];
  if (record.status === 'executed' && (statuses.has('done') || statuses.has('already-gone'))) out.push('executed');
  if (record.action === 'skip' || record.status === 'echo' || record.status === 'discarded' || statuses.has('skipped')) out.push('skipped');
  if (record.status === 'held') out.push('held');
  if (statuses.has('denied')) out.push('denied');
  if (record.status === 'failed' || statuses.has('failed')) out.push('failed');
  if (record.status === 'poisoned') out.push('poisoned');
  return out;
}

const bad = (field: string, message: string) => new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', message, { field });

function guid(value: string | null | undefined): string | null {
  const match = GUID.exec((value ?? '').trim());
  return match ? match[1]!.toLowerCase() : null;
}

/** The record keys a search term may name: `entity:id`, `outlook:user:item`, a bare id, or a record URL. */
export function recordKeysOf(term: string): string[] {
  const text = term.trim();
  if (text.startsWith('outlook:')) return [text];
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad('record', 'record is not a valid URL');
    }
    // Record forms carry etn and id in the query; older links also put them after '#'.
    const params = new URLSearchParams(`${url.search.slice(1)}&${url.hash.slice(1)}`);
    const id = guid(params.get('id'));
    if (id === null) throw bad('record', 'the URL names no record id (id=GUID)');
    const etn = params.get('etn');
    if (etn !== null && !ENTITY.test(etn)) throw bad('record', 'the URL names no valid table (etn)');
    return etn === null ? TRACKED_ENTITIES.map((entity) => crmRecordKey({ entity, id })) : [crmRecordKey({ entity: etn, id })];
  }
  const bare = guid(text);
  if (bare !== null) return TRACKED_ENTITIES.map((entity) => crmRecordKey({ entity, id: bare }));
  const [entity, id, ...rest] = text.split(':');
  const recordId = guid(id);
  if (rest.length > 0 || entity === undefined || !ENTITY.test(entity) || recordId === null) {
    throw bad('record', 'record must be a record id, entity:id, a record URL or outlook:user:item');
  }
  return [crmRecordKey({ entity, id: recordId })];
}

function instant(query: Record<string, string | undefined>, field: 'from' | 'to'): Date | undefined {
  const value = query[field];
  if (value === undefined || value === '') return undefined;
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) throw bad(field, `${field} must be a date and time (ISO 8601)`);
  return at;
}

function limitOf(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) throw bad('limit', `limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return n;
}

function cursorOf(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > 1024 || !/^\d{13}[|}]/.test(value)) throw bad('cursor', 'cursor is not one this API gave');
  return value;
}

/** Resolves a mailbox UPN to its Entra object id; null when the directory knows no such user. */
export type ResolveMailbox = (upn: string) => Promise<string | null>;

/** The lower-cased Entra object id a mailbox term names (a UPN through the directory). */
async function mailboxId(term: string, resolve: ResolveMailbox | undefined): Promise<string> {
  const id = guid(term);
  if (id !== null) return id;
  if (!/^[^@\s]+@[^@\s]+$/.test(term.trim())) throw bad('mailbox', 'mailbox must be a UPN (name@domain) or an Entra object id');
  if (resolve === undefined) throw bad('mailbox', 'UPNs cannot be looked up without Graph here: give the Entra object id');
  const resolved = await resolve(term.trim());
  if (resolved === null) throw new DeleteSyncError('DS_ERR_NOT_FOUND', 'No user has that UPN', { field: 'mailbox' });
  return resolved.toLowerCase();
}

/**
 * The query a search's parameters ask for: a record's index (each table a bare id may be in), else every
 * decision; rule, outcome and mailbox filter what is read, a bounded number of rows per page.
 */
export async function searchQuery(query: Record<string, string | undefined>, resolve?: ResolveMailbox): Promise<DecisionQuery> {
  const text = (name: string) => (query[name] ?? '').trim();
  const rule = text('rule');
  if (rule !== '' && !SEARCHABLE_RULES.includes(rule)) throw bad('rule', 'rule is not a rule id of the table');
  const outcome = text('outcome');
  const wanted = outcome === '' ? null : Outcome.safeParse(outcome);
  if (wanted !== null && !wanted.success) throw bad('outcome', `outcome must be one of ${Outcome.options.join(', ')}`);
  const mailbox = text('mailbox') === '' ? null : await mailboxId(text('mailbox'), resolve);
  const records = text('record') === '' ? null : recordKeysOf(text('record'));
  const from = instant(query, 'from');
  const to = instant(query, 'to');
  if (from !== undefined && to !== undefined && from > to) throw bad('from', 'from must not be after to');

  const scopes: DecisionScope[] = records?.map((recordKey) => ({ kind: 'record', recordKey })) ?? [{ kind: 'recent' }];
  const match = (r: DecisionRecord) =>
    (rule === '' || r.ruleId === rule) &&
    (wanted === null || outcomesOf(r).includes(wanted.data!)) &&
    (mailbox === null || mailboxesOf(r).includes(mailbox));
  return { scopes, from, to, cursor: cursorOf(query.cursor), limit: limitOf(query.limit), scanLimit: SCAN_LIMIT, match };
}
