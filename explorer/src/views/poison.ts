/** The poison queue: messages given up after the last attempt, with the reason recorded, and requeue. */
import { html, nothing } from 'lit';
import { api, type PoisonEntry } from '../api.js';
import { decisionHref, type Context, type View } from '../app.js';
import { when } from '../format.js';
import { code, recordLabel } from './badges.js';
import { confirmDialog } from './confirm.js';
import { resource } from './resource.js';

export function poisonView(ctx: Context): View {
  const poison = resource(ctx, async () => (await api.poison()).messages);

  const requeue = (m: PoisonEntry) =>
    poison.act(async () => {
      const ok = await confirmDialog('Requeue this message?', 'It goes back to the changes queue and is decided again from the facts of now (the mass-delete brake counts it).', 'Requeue');
      if (!ok) return null;
      const result = await api.requeue(m.messageId);
      return `Requeued ${result.eventIds.length} input${result.eventIds.length === 1 ? '' : 's'}: ${result.eventIds.join(', ')}.`;
    });

  const table = (messages: PoisonEntry[]) => html`<table class="poison">
    <thead><tr><th scope="col">Since</th><th scope="col">Kind</th><th scope="col">Inputs and why</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
    <tbody>
      ${messages.map(
        (m) => html`<tr>
          <td data-label="Since">${when(m.insertedOn)}</td>
          <td data-label="Kind">${m.kind}</td>
          <td data-label="Inputs">
            ${m.inputs.length === 0
              ? html`<span class="muted">unreadable: no input to name</span>`
              : html`<ul class="plain">${m.inputs.map(
                  (i) => html`<li>
                    ${i.status ? html`<a href=${decisionHref(i.eventId)}>${i.recordKey ? recordLabel(i.recordKey) : code(i.eventId)}</a>` : code(i.eventId)}
                    <div class="detail">${i.reason ?? 'no decision record names it'}</div>
                  </li>`,
                )}</ul>`}
          </td>
          <td data-label="Actions"><button type="button" ?disabled=${poison.busy} @click=${() => void requeue(m)}>Requeue…</button></td>
        </tr>`,
      )}
    </tbody>
  </table>`;

  return {
    title: 'Poison queue',
    template: () => html`<h1>Poison queue</h1>
      <p class="lead">Messages that failed on every attempt. Nothing was executed for them; the reason is the one their decision record gives. The oldest 32 are shown.</p>
      ${poison.error ? html`<p class="error" role="alert">${poison.error}</p>` : nothing}
      ${poison.notice ? html`<p class="notice" role="status">${poison.notice}</p>` : nothing}
      ${poison.data === null ? html`<p class="status" role="status">Loading…</p>` : poison.data.length === 0 ? html`<p class="empty">The poison queue is empty.</p>` : table(poison.data)}`,
  };
}
