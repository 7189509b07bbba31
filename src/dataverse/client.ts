/**
 * Dataverse Web API v9.2 client: a thin typed layer over the global fetch. The maintained Node client
 * (dynamics-web-api 2.x) sends through node:https (so it would not see the undici CA trust the rest of
 * the service uses) and does not honour Retry-After; the operations needed here are few and plain
 * OData, so fetch with a bearer from the TokenCredential is the smaller dependency.
 *
 * Impersonation: `CallerObjectId: <Entra object id>` makes Dataverse run the request with the
 * intersection of that user's and the application user's privileges; a refused delete is explained
 * by refusals.ts (whose role is short) before it is reported. 429 answers are retried
 * after their Retry-After, 5xx and dropped connections with backoff, both bounded in count, wait and
 * by an optional deadline; creates are retried only on 429 (a dropped create may have happened).
 * Lists ask for 5,000-row pages (`Prefer: odata.maxpagesize`) and follow `@odata.nextLink` as the
 * absolute URL it is, only ever to this environment.
 */
import type { TokenCredential } from '@azure/identity';
import type { CrmRef } from '../domain/event.js';
import { parseGuid } from '../domain/guid.js';
import { DeleteSyncError } from '../errors.js';
import { backoffDelay, isTransientStatus, parseRetryAfter, systemClock, type BackoffOptions, type Clock } from '../net/retry.js';
import { recordThrottle } from '../telemetry/index.js';
import { entitySetOf } from './entity-sets.js';
import { explainRefusal, refusalSignal, type RefusalKind } from './refusals.js';

export const API_PATH = '/api/data/v9.2';
/** Dataverse's largest page ("You can't request a page size larger than 5,000"). */
export const MAX_PAGE_SIZE = 5000;

export class DataverseError extends DeleteSyncError {
  constructor(
    message: string,
    /** HTTP status; null when no answer came. */
    readonly httpStatus: number | null,
    /** Dataverse error code, e.g. `0x80040220`. */
    readonly dataverseCode: string | null,
  ) {
    super(httpStatus === 429 ? 'DS_ERR_THROTTLED' : httpStatus === 403 ? 'DS_ERR_FORBIDDEN' : 'DS_ERR_UPSTREAM', message);
    this.name = 'DataverseError';
  }

  get transient(): boolean {
    return this.httpStatus === null || isTransientStatus(this.httpStatus);
  }
}

export type DeleteResult =
  | { status: 'deleted' }
  | { status: 'already-gone' }
  /** Dataverse refused (403); `refusal` says whose privileges are short. */
  | { status: 'refused'; refusal: RefusalKind; code: string; message: string };

/** RetrieveUserPrivileges' RolePrivilege; Depth is the PrivilegeDepth enum name (Basic, Local, Deep, Global). */
export interface RolePrivilege {
  PrivilegeName?: string;
  PrivilegeId: string;
  Depth: string;
  BusinessUnitId?: string;
}

export interface SystemUser {
  systemuserid: string;
  azureactivedirectoryobjectid: string | null;
  internalemailaddress: string | null;
  fullname: string | null;
}

export interface DataverseClientOptions {
  /** Environment URL, e.g. `https://org.crm.dynamics.com` or the sandbox's dataverseUrl. */
  url: string;
  credential: TokenCredential;
  clock?: Clock;
  /** Retries after the first attempt (429, 5xx, dropped connection). */
  maxRetries?: number;
  /** Longest Retry-After honoured; a longer one fails the call as throttled. */
  maxRetryAfterMs?: number;
  backoff?: BackoffOptions;
  /** Extra logical name → entity set mappings for tables outside the built-in list. */
  entitySets?: Readonly<Record<string, string>>;
}

export interface RequestOptions {
  /** Entra object id to act as (CallerObjectId). */
  callerObjectId?: string;
  /** Epoch ms after which no retry starts. */
  deadline?: number;
}

export interface ListOptions extends RequestOptions {
  select?: string[];
  filter?: string;
  top?: number;
  orderby?: string;
  /** Navigation properties to expand, each with its own options, e.g. `appointment_activity_parties($select=…)`. */
  expand?: string[];
  /** Annotations to include (Prefer: odata.include-annotations), e.g. `Microsoft.Dynamics.CRM.lookuplogicalname`. */
  annotations?: string[];
  /** Rows per page (Prefer: odata.maxpagesize), at most 5,000; the same on every page. */
  pageSize?: number;
}

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

const SYSTEM_USER_COLUMNS = ['systemuserid', 'azureactivedirectoryobjectid', 'internalemailaddress', 'fullname'];

export class DataverseClient {
  private readonly root: string;
  private readonly scope: string;
  private readonly clock: Clock;
  private readonly maxRetries: number;
  private readonly maxRetryAfterMs: number;
  private readonly backoff: BackoffOptions;
  private appUserId: Promise<string> | null = null;

  constructor(private readonly options: DataverseClientOptions) {
    const origin = options.url.replace(/\/+$/, '');
    this.root = `${origin}${API_PATH}`;
    this.scope = `${origin}/.default`;
    this.clock = options.clock ?? systemClock;
    this.maxRetries = options.maxRetries ?? 3;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.backoff = options.backoff ?? { baseMs: 250, maxMs: 8_000 };
  }

  entitySet(logicalName: string): string {
    return entitySetOf(logicalName, this.options.entitySets);
  }

  /** One record by id; null when it does not exist. */
  async get<T = Record<string, unknown>>(entitySet: string, id: string, options: ListOptions = {}): Promise<T | null> {
    const answer = await this.send('GET', `${entitySet}(${guid(id)})${query(options)}`, undefined, options, [404], prefer(options));
    return answer.status === 404 ? null : (answer.body as T);
  }

  /** All records matching the query, page by page through `@odata.nextLink` (absolute; used unchanged). */
  async list<T = Record<string, unknown>>(entitySet: string, options: ListOptions = {}): Promise<T[]> {
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
      throw new DeleteSyncError('DS_ERR_CONFIG', `Dataverse page size must be 1…${MAX_PAGE_SIZE}`, { field: 'pageSize' });
    }
    // Dataverse ignores $top next to odata.maxpagesize, so a top-limited query is asked without the preference.
    const headers = prefer(options, options.top === undefined ? pageSize : undefined);
    const rows: T[] = [];
    let path: string | null = `${entitySet}${query(options)}`;
    while (path) {
      const answer: Answer = await this.send('GET', path, undefined, options, [], headers);
      const page = answer.body as { value?: T[]; '@odata.nextLink'?: string };
      rows.push(...(page.value ?? []));
      path = page['@odata.nextLink'] ?? null;
    }
    return rows;
  }

  /** Creates a record; returns its id (from the OData-EntityId header). */
  async create(entitySet: string, body: Record<string, unknown>, options: RequestOptions = {}): Promise<string> {
    const answer = await this.send('POST', entitySet, body, options);
    const entityId = answer.headers.get('OData-EntityId') ?? '';
    const match = /\(([0-9a-f-]{36})\)\s*$/i.exec(entityId);
    if (!match?.[1]) throw new DataverseError(`Create in ${entitySet} answered without an OData-EntityId`, answer.status, null);
    return match[1];
  }

  /** Updates an existing record (If-Match: * so a missing record is a 404, never an upsert). */
  async update(entitySet: string, id: string, body: Record<string, unknown>, options: RequestOptions = {}): Promise<void> {
    await this.send('PATCH', `${entitySet}(${guid(id)})`, body, options, [], { 'If-Match': '*' });
  }

  /** Deletes a record as the app (or as `callerObjectId`); a 403 comes back explained, not thrown. */
  async delete(entitySet: string, id: string, options: RequestOptions = {}): Promise<DeleteResult> {
    try {
      const answer = await this.send('DELETE', `${entitySet}(${guid(id)})`, undefined, options, [404]);
      return answer.status === 404 ? { status: 'already-gone' } : { status: 'deleted' };
    } catch (error) {
      const signal = error instanceof DataverseError ? refusalSignal(error.httpStatus, error.dataverseCode, error.message) : null;
      if (!signal || !(error instanceof DataverseError)) throw error;
      const deadline = options.deadline === undefined ? {} : { deadline: options.deadline };
      // Without impersonation the application user itself was refused.
      const refusal = options.callerObjectId
        ? await explainRefusal(signal, async () => (await this.principalAccess(await this.whoAmI(deadline), entitySet, id, deadline)).includes('DeleteAccess'))
        : 'app-lacks-delete';
      return { status: 'refused', refusal, code: error.dataverseCode as string, message: error.message };
    }
  }

  /** Deletes `ref` as the user `callerObjectId`, so Dataverse enforces that user's Delete privilege. */
  deleteAs(ref: CrmRef, callerObjectId: string, options: Omit<RequestOptions, 'callerObjectId'> = {}): Promise<DeleteResult> {
    return this.delete(this.entitySet(ref.entity), ref.id, { ...options, callerObjectId });
  }

  /**
   * WhoAmI: the systemuserid a request runs as. Without `callerObjectId` it is the application user's
   * own (asked once); with it, it proves that impersonating that user works.
   */
  whoAmI(options: RequestOptions = {}): Promise<string> {
    const ask = () =>
      this.send('GET', 'WhoAmI', undefined, options).then((answer) => {
        const userId = (answer.body as { UserId?: unknown }).UserId;
        if (typeof userId !== 'string') throw new DataverseError('WhoAmI answered without a UserId', answer.status, null);
        return userId;
      });
    if (options.callerObjectId) return ask();
    this.appUserId ??= ask();
    this.appUserId.catch(() => {
      this.appUserId = null;
    });
    return this.appUserId;
  }

  /** RetrieveUserPrivileges: every privilege the user holds through their roles and their teams. */
  async retrieveUserPrivileges(systemUserId: string, options: RequestOptions = {}): Promise<RolePrivilege[]> {
    const answer = await this.send('GET', `systemusers(${guid(systemUserId)})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()`, undefined, options);
    const privileges = (answer.body as { RolePrivileges?: unknown }).RolePrivileges;
    return Array.isArray(privileges) ? (privileges as RolePrivilege[]) : [];
  }

  /** Access rights the user holds on the record, e.g. ['ReadAccess', 'DeleteAccess', …]. */
  retrievePrincipalAccess(systemUserId: string, ref: CrmRef, options: RequestOptions = {}): Promise<string[]> {
    return this.principalAccess(systemUserId, this.entitySet(ref.entity), ref.id, options);
  }

  private async principalAccess(systemUserId: string, entitySet: string, id: string, options: RequestOptions): Promise<string[]> {
    const target = encodeURIComponent(JSON.stringify({ '@odata.id': `${entitySet}(${guid(id)})` }));
    const path = `systemusers(${guid(systemUserId)})/Microsoft.Dynamics.CRM.RetrievePrincipalAccess(Target=@tid)?@tid=${target}`;
    const answer = await this.send('GET', path, undefined, options);
    const rights = (answer.body as { AccessRights?: unknown }).AccessRights;
    // A flags enum written as "ReadAccess, WriteAccess, …"; the exact spacing is undocumented.
    return typeof rights === 'string' ? rights.split(',').map((r) => r.trim()).filter(Boolean) : [];
  }

  async findSystemUserByAadId(aadObjectId: string, options: RequestOptions = {}): Promise<SystemUser | null> {
    const rows = await this.list<SystemUser>('systemusers', {
      ...options,
      select: SYSTEM_USER_COLUMNS,
      filter: `azureactivedirectoryobjectid eq ${guid(aadObjectId)}`,
      top: 1,
    });
    return rows[0] ?? null;
  }

  getSystemUser(systemUserId: string, options: RequestOptions = {}): Promise<SystemUser | null> {
    return this.get<SystemUser>('systemusers', systemUserId, { ...options, select: SYSTEM_USER_COLUMNS });
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    options: RequestOptions,
    accept: number[] = [],
    extraHeaders: Record<string, string> = {},
  ): Promise<Answer> {
    const idempotent = method !== 'POST';
    const url = requestUrl(this.root, path);
    for (let attempt = 1; ; attempt += 1) {
      let answer: Answer | null = null;
      let failure: DataverseError;
      try {
        answer = await this.once(method, url, body, options, extraHeaders);
        if ((answer.status >= 200 && answer.status < 300) || accept.includes(answer.status)) return answer;
        failure = errorFrom(answer, `${method} ${path.split('?')[0]}`);
      } catch (error) {
        failure = new DataverseError(`${method} ${path.split('?')[0]}: no answer (${(error as Error).message})`, null, null);
      }
      const now = this.clock.now();
      const retryAfter = answer ? parseRetryAfter(answer.headers.get('Retry-After'), now) : null;
      if (failure.httpStatus === 429) recordThrottle('dataverse', options.callerObjectId, retryAfter === null ? undefined : retryAfter / 1000);
      const retryable = failure.httpStatus === 429 || (idempotent && failure.transient);
      if (!retryable || attempt > this.maxRetries) throw failure;
      const wait = retryAfter ?? backoffDelay(attempt, this.backoff);
      if (wait > this.maxRetryAfterMs || (options.deadline !== undefined && now + wait > options.deadline)) throw failure;
      await this.clock.sleep(wait);
    }
  }

  private async once(method: string, url: string, body: unknown, options: RequestOptions, extraHeaders: Record<string, string>): Promise<Answer> {
    const token = await this.options.credential.getToken(this.scope);
    if (!token) throw new DeleteSyncError('DS_ERR_UNAUTHORIZED', 'No token for Dataverse');
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token.token}`,
      Accept: 'application/json',
      'OData-MaxVersion': '4.0',
      'OData-Version': '4.0',
      ...extraHeaders,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json; charset=utf-8';
    if (options.callerObjectId) headers.CallerObjectId = options.callerObjectId;
    const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? parseJson(text) : null };
  }
}

/**
 * A relative path under the API root, or an absolute `@odata.nextLink` (used as it is, never rebuilt),
 * which must point into this environment's API: the bearer token goes nowhere else.
 */
export function requestUrl(root: string, path: string): string {
  if (!/^https?:/i.test(path)) return `${root}/${path}`;
  if (!path.startsWith(`${root}/`)) throw new DeleteSyncError('DS_ERR_UPSTREAM', 'Dataverse answered a next link outside its own API; not followed');
  return path;
}

function errorFrom(answer: Answer, what: string): DataverseError {
  const error = (answer.body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof error?.code === 'string' ? error.code : null;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${answer.status}`;
  return new DataverseError(`${what}: ${message}`, answer.status, code);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Guards ids put into URLs: Dataverse ids are GUIDs, and nothing else may reach the path. */
function guid(id: string): string {
  const bare = parseGuid(id);
  if (bare === null) throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'Not a Dataverse id', { field: 'id' });
  return bare;
}

function prefer(options: ListOptions, pageSize?: number): Record<string, string> {
  const parts = [
    ...(options.annotations?.length ? [`odata.include-annotations="${options.annotations.join(',')}"`] : []),
    ...(pageSize === undefined ? [] : [`odata.maxpagesize=${pageSize}`]),
  ];
  return parts.length > 0 ? { Prefer: parts.join(', ') } : {};
}

function query(options: ListOptions): string {
  const parts: string[] = [];
  if (options.select?.length) parts.push(`$select=${options.select.join(',')}`);
  if (options.filter) parts.push(`$filter=${encodeURIComponent(options.filter)}`);
  if (options.top !== undefined) parts.push(`$top=${options.top}`);
  if (options.orderby) parts.push(`$orderby=${encodeURIComponent(options.orderby)}`);
  if (options.expand?.length) parts.push(`$expand=${encodeURIComponent(options.expand.join(','))}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}
