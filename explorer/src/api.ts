/**
 * The explorer's calls to its JSON APIs. The admin key is asked once per tab and kept in sessionStorage
 * (gone when the tab closes); with App Service sign-in the platform's session cookie does the job instead.
 */
import type {
  DecisionResponse,
  HeldActionResponse,
  HeldResponse,
  PoisonResponse,
  RequeueResponse,
  SearchResponse,
  SessionResponse,
  SubscriptionsResponse,
} from '../../src/handlers/explorer-api.js';

export type * from '../../src/handlers/explorer-api.js';
export type { OperatorResult } from '../../src/brake/operator.js';

const KEY = 'delete-sync.admin-key';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const adminKey = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

async function call<T>(method: 'GET' | 'POST', path: string, params: Record<string, string> = {}, body?: unknown): Promise<T> {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== '')).toString();
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = adminKey.get();
  if (key !== null) headers['x-admin-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`/api/explorer/${path}${query === '' ? '' : `?${query}`}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = (json ?? {}) as { code?: string; message?: string };
    throw new ApiError(response.status, error.code ?? `HTTP_${response.status}`, error.message ?? (response.statusText || 'Request failed'));
  }
  return json as T;
}

export const api = {
  session: () => call<SessionResponse>('GET', 'session'),
  search: (params: Record<string, string>) => call<SearchResponse>('GET', 'decisions', params),
  decision: (id: string) => call<DecisionResponse>('GET', 'decision', { id }),
  held: () => call<HeldResponse>('GET', 'held'),
  heldAction: (action: 'release' | 'discard', eventIds: string[], confirmedDeletes: number) =>
    call<HeldActionResponse>('POST', 'held', {}, { action, eventIds, confirmedDeletes }),
  poison: () => call<PoisonResponse>('GET', 'poison'),
  requeue: (messageId: string) => call<RequeueResponse>('POST', 'poison/requeue', {}, { messageId }),
  subscriptions: () => call<SubscriptionsResponse>('GET', 'subscriptions'),
};
