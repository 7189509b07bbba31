/** Graph subscriptions per mailbox, with expiry, the renewal time and health. */
import { html, nothing } from 'lit';
import { api, type SubscriptionsResponse } from '../api.js';
import type { Context, View } from '../app.js';
import { when } from '../format.js';
import { code } from './badges.js';
import { resource } from './resource.js';

type Row = SubscriptionsResponse['subscriptions'][number];

export function subscriptionsView(ctx: Context): View {
  const subscriptions = resource(ctx, async () => (await api.subscriptions()).subscriptions);

  const byMailbox = (rows: Row[]) => {
    const groups = new Map<string, Row[]>();
    for (const r of rows) groups.set(r.userId, [...(groups.get(r.userId) ?? []), r]);
    return [...groups.entries()];
  };

  return {
    title: 'Subscriptions',
    template: () => html`<h1>Subscriptions</h1>
      <p class="lead">What each synced mailbox is subscribed to. Health: ok, renew-due, expired (by the clock), failing or blocked (as the last subscription check recorded).</p>
      ${subscriptions.error ? html`<p class="error" role="alert">${subscriptions.error}</p>` : nothing}
      ${subscriptions.data === null
        ? html`<p class="status" role="status">Loading…</p>`
        : subscriptions.data.length === 0
          ? html`<p class="empty">No subscriptions are stored.</p>`
          : byMailbox(subscriptions.data).map(
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
