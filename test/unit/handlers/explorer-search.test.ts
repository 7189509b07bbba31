/**
 * The explorer's search terms: record URLs and ids become record keys (ids only, checked), and bad
 * parameters are coded 400s naming the field.
 */
import { describe, expect, it } from 'vitest';
import { recordKeysOf, searchQuery, TRACKED_ENTITIES } from '../../../src/handlers/explorer-search.js';
import type { DecisionRecord } from '../../../src/store/decisions.js';
import { codedError } from '../contracts/coded-error.js';

const ID = '8f2d5a3c-1b4e-4c6d-9a7f-2e3b4c5d6e7f';

async function rejected(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (error) {
    return error as { code: string; field?: string };
  }
  throw new Error('expected a rejection');
}

describe('recordKeysOf', () => {
  it('reads etn and id from a pasted record URL, braces and case as Dynamics writes them', () => {
    const url = `https://contoso.crm.dynamics.com/main.aspx?appid=1b2c&pagetype=entityrecord&etn=appointment&id=%7B${ID.toUpperCase()}%7D`;
    expect(recordKeysOf(url)).toEqual([`appointment:${ID}`]);
    expect(recordKeysOf(`https://contoso.crm4.dynamics.com/main.aspx?etn=task&pagetype=entityrecord&id=${ID}`)).toEqual([`task:${ID}`]);
    // Older links carry the form parameters after '#'.
    expect(recordKeysOf(`https://contoso.crm.dynamics.com/main.aspx#etn=contact&id={${ID}}`)).toEqual([`contact:${ID}`]);
  });

  it('looks for an id under every tracked table when the URL or the term names none', () => {
    const all = TRACKED_ENTITIES.map((e) => `${e}:${ID}`);
    expect(recordKeysOf(`https://contoso.crm.dynamics.com/main.aspx?pagetype=entityrecord&id=${ID}`)).toEqual(all);
    expect(recordKeysOf(`{${ID.toUpperCase()}}`)).toEqual(all);
    expect(recordKeysOf(` ${ID} `)).toEqual(all);
  });

  it('takes record keys as GET /api/decisions does', () => {
    expect(recordKeysOf(`Appointment:${ID.toUpperCase()}`)).toEqual([`appointment:${ID}`]);
    expect(recordKeysOf('outlook:user-1:AAMk+/Item=')).toEqual(['outlook:user-1:AAMk+/Item=']);
  });

  it('refuses what names no record id', () => {
    for (const term of [
      'https://contoso.crm.dynamics.com/main.aspx?etn=appointment&id=not-a-guid',
      'https://contoso.crm.dynamics.com/main.aspx?etn=appointment',
      `https://contoso.crm.dynamics.com/main.aspx?etn=app%27ointment&id=${ID}`,
      'appointment:123',
      `appointment:${ID}:extra`,
      'meeting with olga',
    ]) {
      const error = codedError(() => recordKeysOf(term));
      expect([error.code, error.field], term).toEqual(['DS_ERR_INVALID_PAYLOAD', 'record']);
    }
  });
});

describe('searchQuery', () => {
  it('reads one record under each table it may be, filtered by rule, outcome and mailbox', async () => {
    const query = await searchQuery({ record: ID, rule: 'crm.appointment.active.future', outcome: 'executed', mailbox: ID, limit: '10' });
    expect(query.scopes).toEqual(TRACKED_ENTITIES.map((e) => ({ kind: 'record', recordKey: `${e}:${ID}` })));
    expect(query.limit).toBe(10);
  });

  it('filters by a mailbox named by object id, or by a UPN the directory resolves', async () => {
    const record = (userId: string) => ({ input: null, facts: null, targets: [{ side: 'outlook', role: 'attendee', crmUserId: null, userId, itemKind: 'event', itemId: 'i', method: 'delete' }] }) as unknown as DecisionRecord;
    const byId = await searchQuery({ mailbox: ID.toUpperCase() });
    expect(byId.scopes).toEqual([{ kind: 'recent' }]);
    expect([byId.match!(record(ID)), byId.match!(record('someone-else'))]).toEqual([true, false]);
    const resolved = await searchQuery({ mailbox: 'olga@contoso.test' }, async (upn) => (upn === 'olga@contoso.test' ? ID.toUpperCase() : null));
    expect(resolved.match!(record(ID))).toBe(true);
    expect((await rejected(() => searchQuery({ mailbox: 'nobody@contoso.test' }, async () => null))).code).toBe('DS_ERR_NOT_FOUND');
    expect(await rejected(() => searchQuery({ mailbox: 'olga@contoso.test' }))).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field: 'mailbox' });
  });

  it('names the bad field', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ rule: 'crm.appointment.whatever' }, 'rule'],
      [{ outcome: 'deleted' }, 'outcome'],
      [{ from: 'yesterday' }, 'from'],
      [{ from: '2026-02-02T00:00:00Z', to: '2026-02-01T00:00:00Z' }, 'from'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '201' }, 'limit'],
      [{ cursor: "' or 1 eq 1" }, 'cursor'],
      [{ mailbox: 'not a mailbox' }, 'mailbox'],
    ];
    for (const [params, field] of cases) expect(await rejected(() => searchQuery(params)), JSON.stringify(params)).toMatchObject({ code: 'DS_ERR_INVALID_PAYLOAD', field });
  });
});
