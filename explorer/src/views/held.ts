/** Held deletes: what the mass-delete brake stopped, oldest first, each with release and discard. */
import { html, nothing } from 'lit';
import { api, type HeldResponse } from '../api.js';
import { decisionHref, type Context, type View } from '../app.js';
import { when } from '../format.js';
import { code, recordLabel } from './badges.js';
import { actOnHeld } from './held-actions.js';
import { resource } from './resource.js';

type Held = HeldResponse['held'];

export function heldView(ctx: Context): View {
  const held = resource(ctx, async () => (await api.held()).held);

  const act = (action: 'release' | 'discard', entries: Held) =>
    held.act(async () => {
      const deletes = entries.reduce((sum, e) => sum + e.targetCount, 0);
      const results = await actOnHeld(action, entries.map((e) => e.eventId), deletes);
      return results === null ? null : `${results.length} ${action === 'release' ? 'released' : 'discarded'}: ${results.map((r) => r.status ?? r.result).join(', ')}`;
    });

  const table = (entries: Held) => html`<div class="actions">
      <button type="button" ?disabled=${held.busy} @click=${() => void act('release', entries)}>Release all ${entries.length}…</button>
      <button type="button" ?disabled=${held.busy} @click=${() => void act('discard', entries)}>Discard all…</button>
    </div>
    <table class="held">
      <thead><tr><th scope="col">Held</th><th scope="col">Record</th><th scope="col">Rule</th><th scope="col">Limit</th><th scope="col">Initiator</th><th scope="col">Deletes</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
      <tbody>
        ${entries.map(
          (h) => html`<tr data-event-id=${h.eventId}>
            <td data-label="Held"><a href=${decisionHref(h.eventId)}>${when(h.heldAt)}</a></td>
            <td data-label="Record">${recordLabel(h.recordKey)}</td>
            <td data-label="Rule"><code class="rule">${h.ruleId}</code></td>
            <td data-label="Limit">${h.limit}</td>
            <td data-label="Initiator">${code(h.initiator)}</td>
            <td data-label="Deletes">${h.targetCount}</td>
            <td data-label="Actions" class="row-actions">
              <button type="button" class="primary danger" ?disabled=${held.busy} @click=${() => void act('release', [h])}>Release…</button>
              <button type="button" ?disabled=${held.busy} @click=${() => void act('discard', [h])}>Discard…</button>
            </td>
          </tr>`,
        )}
      </tbody>
    </table>`;

  return {
    title: 'Held deletes',
    template: () => html`<h1>Held deletes</h1>
      <p class="lead">Propagated deletes the mass-delete brake stopped. Each waits for an operator: release performs it as decided; discard drops it.</p>
      ${held.error ? html`<p class="error" role="alert">${held.error}</p>` : nothing}
      ${held.notice ? html`<p class="notice" role="status">${held.notice}</p>` : nothing}
      ${held.data === null ? html`<p class="status" role="status">Loading…</p>` : held.data.length === 0 ? html`<p class="empty">Nothing is held.</p>` : table(held.data)}`,
  };
}
