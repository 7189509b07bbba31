/**
 * Search: by CRM record (id, entity:id or a pasted record URL), mailbox (UPN or object id), rule, outcome
 * and time range; newest first, a page at a time. Live: every few seconds the newest decisions matching
 * the search are fetched again and new ones appear on top, marked new.
 */
import { html, nothing } from 'lit';
import { api, type DecisionView } from '../api.js';
import { decisionHref, searchHref, type Context, type View } from '../app.js';
import { fromLocalInput, toLocalInput, when } from '../format.js';
import { outcomeBadges, recordLabel } from './badges.js';

const FIELDS = ['record', 'mailbox', 'rule', 'outcome', 'from', 'to'] as const;
const OUTCOMES = ['executed', 'skipped', 'held', 'denied', 'failed', 'poisoned'];
const LIVE_MS = 4000;
/** How far back a live poll looks past the newest decision shown (workers may record slightly out of order). */
const LIVE_OVERLAP_MS = 120_000;

export function searchView(ctx: Context, params: URLSearchParams): View {
  const filters = Object.fromEntries(FIELDS.map((f) => [f, params.get(f) ?? ''])) as Record<(typeof FIELDS)[number], string>;
  let decisions: DecisionView[] = [];
  let cursor: string | null = null;
  let loading = true;
  let error = '';
  let live = true;
  const fresh = new Set<string>();
  let timer: ReturnType<typeof setInterval> | undefined;

  const load = async (more: boolean) => {
    loading = true;
    ctx.update();
    try {
      const page = await api.search({ ...filters, ...(more && cursor ? { cursor } : {}) });
      decisions = more ? [...decisions, ...page.decisions.filter((d) => !decisions.some((x) => x.id === d.id))] : page.decisions;
      cursor = page.cursor;
      error = '';
    } catch (e) {
      error = ctx.failed(e);
    }
    loading = false;
    ctx.update();
  };

  const poll = async () => {
    if (!live || loading || filters.to !== '') return;
    const newest = decisions[0]?.decidedAt;
    const since = newest ? new Date(Date.parse(newest) - LIVE_OVERLAP_MS).toISOString() : filters.from;
    const from = filters.from !== '' && since < filters.from ? filters.from : since;
    try {
      const page = await api.search({ ...filters, from: from ?? '' });
      const known = new Map(decisions.map((d) => [d.id, d]));
      const added = page.decisions.filter((d) => !known.has(d.id));
      // Decisions already shown may have moved on (held → executed): show them as they are now.
      for (const d of page.decisions) if (known.has(d.id)) decisions = decisions.map((x) => (x.id === d.id ? d : x));
      if (added.length > 0) {
        for (const d of added) fresh.add(d.id);
        decisions = [...added, ...decisions].sort((a, b) => b.decidedAt.localeCompare(a.decidedAt));
      }
      ctx.update();
    } catch (e) {
      error = ctx.failed(e);
      ctx.update();
    }
  };

  const submit = (event: SubmitEvent) => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const value = (name: string) => String(form.get(name) ?? '').trim();
    ctx.go(searchHref({ record: value('record'), mailbox: value('mailbox'), rule: value('rule'), outcome: value('outcome'), from: fromLocalInput(value('from')), to: fromLocalInput(value('to')) }));
  };

  void load(false);
  timer = setInterval(() => void poll(), LIVE_MS);

  const textField = (name: 'record' | 'mailbox' | 'rule', label: string, placeholder: string, className = 'field') => html`<div class=${className}>
    <label for=${name}>${label}</label>
    <input id=${name} name=${name} .value=${filters[name]} placeholder=${placeholder} autocomplete="off" />
  </div>`;

  const row = (d: DecisionView) => html`<tr class=${fresh.has(d.id) ? 'fresh' : ''}>
    <td data-label="Decided"><a href=${decisionHref(d.id)}>${when(d.decidedAt)}</a>${fresh.has(d.id) ? html` <span class="badge new">new</span>` : nothing}</td>
    <td data-label="Record">${recordLabel(d.recordKey)}</td>
    <td data-label="Origin">${d.input ? `${d.input.change} in ${d.input.origin === 'crm' ? 'CRM' : 'Outlook'}` : '—'}</td>
    <td data-label="Rule"><code class="rule">${d.ruleId}</code></td>
    <td data-label="Outcome">${outcomeBadges(d)}</td>
    <td data-label="Targets">${d.targets.length}</td>
  </tr>`;

  return {
    title: 'Decisions',
    dispose: () => clearInterval(timer),
    template: () => html`<h1>Decisions</h1>
      <form class="search card" role="search" @submit=${submit} aria-label="Search decisions">
        ${textField('record', 'CRM record', "id, appointment:id, or paste the record's URL", 'field wide')}
        ${textField('mailbox', 'Mailbox', 'UPN or object id')}
        ${textField('rule', 'Rule id', 'e.g. crm.appointment.active.future')}
        <div class="field">
          <label for="outcome">Outcome</label>
          <select id="outcome" name="outcome">
            <option value="" ?selected=${filters.outcome === ''}>any</option>
            ${OUTCOMES.map((o) => html`<option value=${o} ?selected=${filters.outcome === o}>${o}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="from">From</label>
          <input id="from" name="from" type="datetime-local" .value=${toLocalInput(filters.from)} />
        </div>
        <div class="field">
          <label for="to">To</label>
          <input id="to" name="to" type="datetime-local" .value=${toLocalInput(filters.to)} />
        </div>
        <div class="actions">
          <button type="submit" class="primary">Search</button>
          <a class="button" href="#/">Clear</a>
          <label class="check"><input type="checkbox" .checked=${live} @change=${(e: Event) => (live = (e.target as HTMLInputElement).checked)} /> Live</label>
        </div>
      </form>
      ${error ? html`<p class="error" role="alert">${error}</p>` : nothing}
      <p class="status" role="status" aria-live="polite">${loading ? 'Loading…' : `${decisions.length} decision${decisions.length === 1 ? '' : 's'}${cursor ? ' (more below)' : ''}, newest first`}</p>
      ${decisions.length === 0 && !loading
        ? html`<p class="empty">No decision matches.</p>`
        : html`<table class="decisions">
            <thead><tr><th scope="col">Decided</th><th scope="col">Record</th><th scope="col">What arrived</th><th scope="col">Rule</th><th scope="col">Outcome</th><th scope="col">Targets</th></tr></thead>
            <tbody>${decisions.map(row)}</tbody>
          </table>`}
      ${cursor ? html`<p><button type="button" @click=${() => void load(true)} ?disabled=${loading}>Older decisions</button></p>` : nothing}`,
  };
}
