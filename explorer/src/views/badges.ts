/** Small shared pieces: outcome and status badges, ids that wrap, the record key as words. */
import { html } from 'lit';
import type { DecisionView } from '../api.js';

export const outcomeBadges = (d: Pick<DecisionView, 'outcomeWords' | 'status'>) =>
  d.outcomeWords.length === 0
    ? html`<span class="badge status-${d.status}">${d.status}</span>`
    : d.outcomeWords.map((w) => html`<span class="badge outcome-${w}">${w}</span>`);

export const code = (value: string | null | undefined) => (value ? html`<code class="id">${value}</code>` : html`<span class="muted">—</span>`);

/** `appointment:<id>` → "appointment <id>"; Outlook-only keys as they are. */
export function recordLabel(recordKey: string) {
  const [entity, ...rest] = recordKey.split(':');
  return entity === 'outlook' ? html`Outlook item ${code(rest.slice(1).join(':'))}` : html`${entity} ${code(rest.join(':'))}`;
}
