/** Graph subscriptions per mailbox, with expiry, the renewal time and health. */
import { html, nothing } from 'lit';
import { api, type SubscriptionsResponse } from '../api.js';
import type { Context, View } from '../app.js';
import { when } from '../format.js';
import { code } from './badges.js';

type Row = SubscriptionsResponse['subscriptions'][number];

export function subscriptionsView(ctx: Context): View {
  let rows: Row[] | null = null;
  let error = '';

  void (async () => {
    try {
      rows = (await api.subscriptions()).subscriptions;
    } catch (e) {
      error = ctx.failed(e);
    }
    ctx.update();
  })();

  const byMailbox = () => {
    const groups = new Map<string, Row[]>();
    for (const r of rows ?? []) groups.set(r.userId, [...(groups.get(r.userId) ?? []), r]);
    return [...groups.entries()];
  };

  return {
    title: 'Subscriptions',
    template: () => html`<h1>Subscriptions</h1>
      <p class="lead">What each synced mailbox is subscribed to. Health: ok, renew-due, expired (by the clock), failing or blocked (as the last subscription check recorded).</p>
      ${error ? html`<p class="error" role="alert">${error}</p>` : nothing}
      ${rows === null
        ? html`<p class="status" role="status">Loading…</p>`
        : rows.length === 0
          ? html`<p class="empty">No subscriptions are stored.</p>`
          : byMailbox().map(
              ([userId, subs]) => html`<section class="card" aria-label=${`Mailbox ${userId}`}>
                <h2>Mailbox ${code(userId)}</h2>
                <table class="subs">
                  <thead><tr><th scope="col">Items</th><th scope="col">Health</th><th scope="col">Expires</th><th scope="col">Renew at</th><th scope="col">Subscription</th><th scope="col">Detail</th></tr></thead>
                  <tbody>
                    ${subs.map(
                      (s) => html`<tr>
                        <td data-label="Items">${s.itemKind}</td>
                        <td data-label="Health"><span class="badge health-${s.health}">${s.health}</span></td>
                        <td data-label="Expires">${when(s.expirationDateTime)}</td>
                        <td data-label="Renew at">${when(s.renewAt)}</td>
                        <td data-label="Subscription">${code(s.subscriptionId)}</td>
                        <td data-label="Detail">${s.detail || html`<span class="muted">—</span>`}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>
              </section>`,
            )}`,
  };
}
