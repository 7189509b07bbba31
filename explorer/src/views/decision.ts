/**
 * One decision: what arrived, the facts the policy used, the rule and its sentence, each target with its
 * outcome, attempts, status and timing, a timeline from receipt to the last outcome, and the record's
 * other decisions. A held decision can be released or discarded here.
 */
import { html, nothing } from 'lit';
import { api, type DecisionResponse, type DecisionView } from '../api.js';
import { decisionHref, searchHref, type Context, type View } from '../app.js';
import { offset, when } from '../format.js';
import { code, outcomeBadges, recordLabel } from './badges.js';
import { actOnHeld } from './held-actions.js';
import { resource } from './resource.js';

type Target = DecisionView['targets'][number];
type Outcome = DecisionView['outcomes'][number];

const dl = (rows: [string, unknown][]) =>
  html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v === null || v === undefined || v === '' ? html`<span class="muted">—</span>` : v}</dd>`)}</dl>`;

function arrived(d: DecisionView) {
  const input = d.input;
  if (input === null) return html`<p class="muted">Nothing is known of the input (the message could not be read).</p>`;
  return dl([
    ['Origin', input.origin === 'crm' ? 'CRM (Dataverse webhook)' : 'Outlook (Graph notification)'],
    ['Change', input.change],
    ['Record type', input.entity],
    ['Received', when(input.receivedAt)],
    ['Event id', code(input.eventId)],
    ...(input.crm
      ? ([
          ['CRM record', html`${input.crm.entity} ${code(input.crm.id)}`],
          ['Message', input.crm.messageName],
          ['Organization', code(input.crm.organizationId)],
          ['Operation', code(input.crm.operationId)],
          ['Pre-image', input.crm.preImageMissing ? html`<span class="badge warn">missing</span>` : 'present'],
          ['Body', input.crm.sizeExceeded ? html`<span class="badge warn">over 256 KB: context removed</span>` : 'complete'],
        ] as [string, unknown][])
      : []),
    ...(input.outlook
      ? ([
          ['Mailbox (who)', code(input.outlook.userId)],
          ['Item', html`${input.outlook.itemKind} ${code(input.outlook.itemId)}`],
          ['Subscription', code(input.outlook.subscriptionId)],
        ] as [string, unknown][])
      : []),
  ]);
}

function party(p: { role: string; type: string; id: string | null; address: string | null } | null) {
  if (p === null) return null;
  return html`${p.type} ${p.id ? code(p.id) : (p.address ?? 'unresolved')}`;
}

function facts(d: DecisionView) {
  const f = d.facts;
  if (f === null) return html`<p class="muted">No facts were gathered (${d.status === 'echo' ? "the service's own delete" : 'nothing was decided from facts'}).</p>`;
  const r = f.record;
  const parties = r ? [...r.requiredAttendees, ...r.optionalAttendees] : [];
  return html`${dl([
      ['CRM record', f.crmRef ? html`${f.crmRef.entity} ${code(f.crmRef.id)}` : null],
      ['State', r?.statecode ?? null],
      ['Start', r?.scheduledStart ? when(r.scheduledStart) : null],
      ['Organizer', party(r?.organizer ?? null)],
      ['Owner', r?.owner ? html`${r.owner.entity} ${code(r.owner.id)}` : null],
      ['Parties', parties.length === 0 ? null : html`<ul class="plain">${parties.map((p) => html`<li>${p.role}: ${party(p)}</li>`)}</ul>`],
      ['Known from', r ? `snapshot taken ${when(r.takenAt)}` : 'nothing: no pre-image and no stored snapshot'],
      ['Who deleted', f.actor ? html`${f.actor.role} ${code(f.actor.userId)}` : null],
    ])}
    <h3>Links (${f.links.length})</h3>
    ${f.links.length === 0
      ? html`<p class="muted">No Outlook copy was known to be linked.</p>`
      : html`<ul class="plain links">${f.links.map((l) => html`<li>${l.role}: ${l.itemKind} ${code(l.itemId)} in mailbox ${code(l.userId)} <span class="muted">(${l.source})</span></li>`)}</ul>`}`;
}

function targetWhere(t: Target) {
  return t.side === 'outlook'
    ? html`${t.method} ${t.itemKind} ${code(t.itemId)} in mailbox ${code(t.userId ?? t.crmUserId)}`
    : html`delete ${t.ref.entity} ${code(t.ref.id)} as ${code(t.actAs.userId)}`;
}

function targets(d: DecisionView) {
  if (d.targets.length === 0) return html`<p class="muted">No targets: nothing was to be deleted.</p>`;
  const received = d.input?.receivedAt;
  return html`<table class="targets">
    <thead><tr><th scope="col">#</th><th scope="col">Side</th><th scope="col">Target</th><th scope="col">Outcome</th><th scope="col">Attempts</th><th scope="col">Status</th><th scope="col">Settled</th></tr></thead>
    <tbody>
      ${d.targets.map((t, i) => {
        const o: Outcome | undefined = d.outcomes.find((x) => x.targetIndex === i);
        return html`<tr>
          <td data-label="#">${i + 1}</td>
          <td data-label="Side">${t.side === 'outlook' ? 'Outlook' : 'CRM'} <span class="muted">(${t.side === 'outlook' ? t.role : 'record'})</span></td>
          <td data-label="Target">${targetWhere(t)}</td>
          <td data-label="Outcome">${o ? html`<span class="badge target-${o.status}">${o.status}</span>${o.detail ? html`<div class="detail">${o.detail}</div>` : nothing}` : html`<span class="muted">not executed</span>`}</td>
          <td data-label="Attempts">${o?.attempts ?? '—'}</td>
          <td data-label="Status">${o ? html`${o.httpStatus ?? '—'} ${o.code ? code(o.code) : nothing}` : '—'}</td>
          <td data-label="Settled">${o ? html`${when(o.at)} <span class="muted">${offset(received, o.at)}</span>` : '—'}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

function timeline(d: DecisionView) {
  const start = d.input?.receivedAt ?? d.decidedAt;
  const steps: [string, string][] = [];
  if (d.input) steps.push([d.input.receivedAt, `Received: ${d.input.change} in ${d.input.origin === 'crm' ? 'CRM' : 'Outlook'}`]);
  steps.push([d.decidedAt, `Decided: ${d.ruleId} → ${d.action}`]);
  for (const o of d.outcomes) steps.push([o.at, `Target ${o.targetIndex + 1}: ${o.status}${o.httpStatus ? ` (${o.httpStatus})` : ''}`]);
  steps.sort((a, b) => a[0].localeCompare(b[0]));
  return html`<ol class="timeline">${steps.map(([at, text]) => html`<li><time datetime=${at}>${when(at)}</time> <span class="muted">${offset(start, at)}</span><div>${text}</div></li>`)}</ol>`;
}

export function decisionView(ctx: Context, id: string): View {
  const decision = resource(ctx, () => api.decision(id));

  const act = (action: 'release' | 'discard', held: NonNullable<DecisionResponse['held']>) =>
    decision.act(async () => {
      const results = await actOnHeld(action, [id], held.targetCount);
      return results === null ? null : results.map((r) => `${r.result}: decision is now ${r.status ?? 'unknown'}`).join('; ');
    });

  return {
    title: 'Decision',
    template: () => {
      const { data, error, notice, busy } = decision;
      if (data === null) return html`<h1>Decision</h1>${error ? html`<p class="error" role="alert">${error}</p>` : html`<p class="status" role="status">Loading…</p>`}`;
      const d = data.decision;
      const held = data.held;
      return html`<p class="crumbs"><a href="#/">Decisions</a> › <a href=${searchHref({ record: d.recordKey })}>${recordLabel(d.recordKey)}</a></p>
        <h1>Decision <code class="rule" data-testid="rule-id">${d.ruleId}</code> ${outcomeBadges(d)}</h1>
        ${error ? html`<p class="error" role="alert">${error}</p>` : nothing}
        ${notice ? html`<p class="notice" role="status">${notice}</p>` : nothing}
        <section class="card rule-card" aria-labelledby="rule-h">
          <h2 id="rule-h">Rule</h2>
          ${d.rule ? html`<p class="sentence" data-testid="rule-sentence">${d.rule.sentence}</p><p class="muted">Table row: ${d.rule.record}</p>` : html`<p class="sentence">${d.reason}</p>`}
          ${d.rule && d.reason !== d.rule.sentence ? html`<p class="reason">Recorded reason: ${d.reason}</p>` : nothing}
          <p class="muted">Action <strong>${d.action}</strong> · status <strong>${d.status}</strong>${d.dryRun ? ' · dry run' : ''} · decided ${when(d.decidedAt)}</p>
        </section>
        ${held
          ? html`<section class="card held-card" aria-labelledby="held-h">
              <h2 id="held-h">Held by the mass-delete brake</h2>
              <p>Held ${when(held.heldAt)} (${held.limit} limit, initiated by ${code(held.initiator)}). Releasing performs <strong>${held.targetCount}</strong> delete${held.targetCount === 1 ? '' : 's'}.</p>
              <div class="actions">
                <button type="button" class="primary danger" ?disabled=${busy} @click=${() => void act('release', held)}>Release…</button>
                <button type="button" ?disabled=${busy} @click=${() => void act('discard', held)}>Discard…</button>
              </div>
            </section>`
          : nothing}
        <div class="grid2">
          <section class="card" aria-labelledby="in-h"><h2 id="in-h">What arrived</h2>${arrived(d)}</section>
          <section class="card" aria-labelledby="facts-h"><h2 id="facts-h">Facts the policy used</h2>${facts(d)}</section>
        </div>
        <section class="card" aria-labelledby="targets-h"><h2 id="targets-h">Targets (${d.targets.length})</h2>${targets(d)}</section>
        <div class="grid2">
          <section class="card" aria-labelledby="tl-h"><h2 id="tl-h">Timeline</h2>${timeline(d)}</section>
          <section class="card" aria-labelledby="rel-h">
            <h2 id="rel-h">This record's other decisions</h2>
            ${data.related.length === 0
              ? html`<p class="muted">None.</p>`
              : html`<ul class="plain related">${data.related.map((r) => html`<li><a href=${decisionHref(r.id)}>${when(r.decidedAt)}</a> <code class="rule">${r.ruleId}</code> ${outcomeBadges(r)}</li>`)}</ul>`}
            <p><a href=${searchHref({ record: d.recordKey })}>All decisions of this record</a></p>
          </section>
        </div>`;
    },
  };
}
