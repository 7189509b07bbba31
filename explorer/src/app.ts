/** What every view gets: a way to re-render, to go elsewhere, and to report an API error the same way. */
import type { TemplateResult } from 'lit';

export interface Context {
  /** Re-renders the page (after a view's state changed). */
  update(): void;
  /** Goes to a hash route, e.g. `#/decision/<id>`. */
  go(hash: string): void;
  /** An error from an API call: a 401 asks for the key again; anything else is shown in the view. */
  failed(error: unknown): string;
}

export interface View {
  title: string;
  template(): TemplateResult;
  /** Stops timers when the view is left. */
  dispose?(): void;
}

/** Hash routes: `#/`, `#/?record=…`, `#/decision/<id>`, `#/held`, `#/poison`, `#/subscriptions`. */
export interface Route {
  name: 'search' | 'decision' | 'held' | 'poison' | 'subscriptions';
  params: URLSearchParams;
  id?: string;
}

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter((p) => p !== '');
  if (parts[0] === 'decision' && parts[1] !== undefined) return { name: 'decision', params, id: decodeURIComponent(parts.slice(1).join('/')) };
  if (parts[0] === 'held' || parts[0] === 'poison' || parts[0] === 'subscriptions') return { name: parts[0], params };
  return { name: 'search', params };
}

export const decisionHref = (id: string) => `#/decision/${encodeURIComponent(id)}`;
export const searchHref = (params: Record<string, string>) => {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();
  return `#/${query === '' ? '' : `?${query}`}`;
};
