/**
 * The decision explorer in a real headless Chromium against the demo world (Azurite, tenant sandbox, the
 * service over HTTP): after a demo scenario, search by the record's pasted URL, open the decision and
 * read its rule and targets; watch a new decision appear live; release a delete the brake held and see
 * the mailbox copies go in the sandbox. The brake allows one propagated delete per user here.
 */
import { randomUUID } from 'node:crypto';
import type { Page } from 'puppeteer-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { decisionFor, SCENARIOS, sideState } from '../../demo/scenarios.js';
import { trackedMeeting } from '../../demo/tracked.js';
import { ruleById, type RuleId } from '../../src/policy/table.js';
import { useBrowser } from '../helpers/browser.js';
import { expectRowAsTable, useWorld } from '../helpers/e2e-world.js';
import { buildExplorer } from '../helpers/explorer-build.js';

const world = useWorld({ env: { BRAKE_MAX_PER_USER: '1' } });
const browser = useBrowser();

beforeAll(async () => {
  await buildExplorer();
}, 120_000);

const scenario = (name: string) => {
  const found = SCENARIOS.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  return found;
};

/** A new tab on the explorer, signed in with the admin key by keyboard (type, Enter). */
async function openExplorer(width = 1280): Promise<Page> {
  const page = await browser().newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.setViewport({ width, height: 900 });
  await page.goto(`${world().service.url}/explorer/`, { waitUntil: 'networkidle0' });
  await page.waitForSelector('#key');
  await page.type('#key', world().service.config.adminKey!);
  await page.keyboard.press('Enter');
  await page.waitForSelector('table.decisions, p.empty');
  expect(errors).toEqual([]);
  return page;
}

const texts = (page: Page, selector: string) => page.$$eval(selector, (nodes) => nodes.map((n) => (n.textContent ?? '').replace(/\s+/g, ' ').trim()));

describe('decision explorer in Chromium', () => {
  it('finds a record by its pasted CRM URL and shows the decision with its rule and targets', async () => {
    const w = world();
    const row = scenario('appointment-future-crm');
    const since = w.sb.deleteLog.entries().length;
    const observed = await row.play(w);
    await expectRowAsTable(w, row, observed, since);
    const decision = observed.decision!;
    const id = observed.tracked.ref.id;

    const page = await openExplorer();
    const url = `https://contoso.crm.dynamics.com/main.aspx?appid=${randomUUID()}&pagetype=entityrecord&etn=appointment&id=%7B${id.toUpperCase()}%7D`;
    await page.focus('#record');
    await page.keyboard.type(url);
    await page.keyboard.press('Enter');
    await page.waitForFunction((recordId: string) => {
      const rows = [...document.querySelectorAll('table.decisions tbody tr')];
      return rows.length > 0 && rows.every((r) => r.textContent?.includes(recordId));
    }, {}, id);
    const rules = await texts(page, 'table.decisions tbody td[data-label=Rule]');
    expect(rules).toContain(row.expected.ruleId);
    const all = await w.store.decisions.listByRecord(decision.recordKey, 100);
    expect(rules).toHaveLength(all.length);

    // The same decision by the attendee's mailbox (her UPN, resolved through Graph) and the rule.
    await page.goto(`${w.service.url}/explorer/#/?mailbox=${encodeURIComponent(w.users.alice.userPrincipalName)}&rule=${row.expected.ruleId}`);
    await page.waitForSelector(`table.decisions a[href="#/decision/${encodeURIComponent(decision.id)}"]`);
    expect(new Set(await texts(page, 'table.decisions tbody td[data-label=Rule]'))).toEqual(new Set([row.expected.ruleId]));

    const link = await page.$(`a[href="#/decision/${encodeURIComponent(decision.id)}"]`);
    expect(link).not.toBeNull();
    await link!.click();
    await page.waitForSelector('[data-testid=rule-id]');
    expect(await page.$eval('[data-testid=rule-id]', (n) => n.textContent)).toBe(row.expected.ruleId);
    expect(await page.$eval('[data-testid=rule-sentence]', (n) => n.textContent)).toBe(ruleById(row.expected.ruleId as RuleId).reason);

    const outcomes = await texts(page, 'table.targets tbody td[data-label=Outcome] .badge');
    expect(outcomes).toEqual(decision.targets.map((_, i) => decision.outcomes.find((o) => o.targetIndex === i)?.status));
    // Every copy that was in a mailbox went: the attendees' deletes are recorded done, after one attempt each.
    expect(outcomes.filter((o) => o === 'done').length).toBeGreaterThanOrEqual(2);
    const attempts = await texts(page, 'table.targets tbody td[data-label=Attempts]');
    expect(attempts).toEqual(decision.targets.map((_, i) => String(decision.outcomes.find((o) => o.targetIndex === i)?.attempts ?? '—')));
    const mailboxes = await texts(page, 'table.targets tbody td[data-label=Target]');
    for (const copy of Object.values(observed.tracked.copies).filter((c) => c.user.id !== w.users.olga.id)) {
      expect(mailboxes.some((m) => m.includes(copy.user.id) && m.includes(copy.itemId))).toBe(true);
    }
    // The timeline runs from receipt to the last outcome.
    const steps = await texts(page, 'ol.timeline li');
    expect(steps[0]).toContain('Received: deleted in CRM');
    expect(steps.length).toBe(2 + decision.outcomes.length);
    await page.close();
  });

  it('shows a new decision without reloading', async () => {
    const w = world();
    const page = await openExplorer();
    const before = await texts(page, 'table.decisions tbody tr');
    const observed = await scenario('email-crm').play(w);
    await page.waitForFunction(
      (recordId: string) => [...document.querySelectorAll('table.decisions tbody tr.fresh')].some((r) => r.textContent?.includes(recordId)),
      { timeout: 20_000 },
      observed.tracked.ref.id,
    );
    expect((await texts(page, 'table.decisions tbody tr')).length).toBeGreaterThan(before.length);
    await page.close();
  });

  it('releases a held delete after a confirmation that counts its deletes, and the mailbox copies go', async () => {
    const w = world();
    const { olga, alice, bob } = w.users;
    const tracked = await trackedMeeting(w, `Held review ${randomUUID()}`, { organizer: olga, attendees: [alice, bob], startInDays: 2 });
    await w.sb.dataverse.userDeletes(olga.systemUserId, 'appointment', tracked.ref.id);
    await w.quiesce();
    const held = await decisionFor(w, tracked, { origin: 'crm' });
    expect(held?.status).toBe('held');
    expect(Object.values(sideState(w, tracked).outlook).every(Boolean)).toBe(true);

    const page = await openExplorer();
    await page.click('a[href="#/held"]');
    const row = `table.held tr[data-event-id="${held!.id}"]`;
    await page.waitForSelector(row);
    expect(await page.$eval(`${row} td[data-label=Deletes]`, (n) => n.textContent)).toBe(String(held!.targets.length));

    // Cancel first: nothing happens.
    await page.click(`${row} button.primary`);
    await page.waitForSelector('dialog.confirm[open]');
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => document.querySelector('dialog.confirm') === null);
    expect((await w.store.decisions.getByEvent(held!.id))?.status).toBe('held');

    await page.click(`${row} button.primary`);
    await page.waitForSelector('dialog.confirm[open]');
    const dialog = await page.$eval('dialog.confirm', (n) => n.textContent ?? '');
    expect(dialog).toContain(`performs ${held!.targets.length} deletes`);
    await page.click('dialog.confirm button.primary');
    await page.waitForSelector('p.notice');
    expect(await page.$eval('p.notice', (n) => n.textContent)).toContain('executed');
    await w.quiesce();

    expect((await w.store.decisions.getByEvent(held!.id))?.status).toBe('executed');
    expect(sideState(w, tracked).outlook).toEqual({ olga: false, alice: false, bob: false });
    expect(w.sb.deleteLog.deletedTwice()).toEqual([]);
    expect(await page.$(row)).toBeNull();
    await page.close();
  });

  it('fits a phone and a 1280 px screen without sideways scrolling', async () => {
    for (const width of [390, 1280]) {
      const page = await openExplorer(width);
      const decision = (await anyDecisionWithTargets()).id;
      await page.evaluate((hash: string) => (location.hash = hash), `#/decision/${encodeURIComponent(decision)}`);
      await page.waitForSelector('[data-testid=rule-id]');
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.close();
    }
  });
});

/** The newest decision with targets (any will do for layout). */
async function anyDecisionWithTargets() {
  const recent = await world().store.decisions.listRecent(200);
  const withTargets = recent.find((d) => d.targets.length > 0);
  if (withTargets === undefined) throw new Error('no decision with targets yet');
  return withTargets;
}
