/**
 * The Dataverse Web API v9.2 over HTTPS on loopback: bearer check (audience = this server's URL),
 * the shared fault switchboard (per-caller budget and concurrency → 429 with Retry-After, injected
 * 5xx, slow answers, dropped connections), CallerObjectId impersonation, and the OData routes the
 * service uses. The org's data and behaviour live in DataverseState; this file only speaks HTTP.
 */
import type { SandboxContext } from '../context.js';
import { startHttpsService, type RawRequest, type RawResponse } from '../http.js';
import { DataverseFault, DV_CODE, badRequest } from './errors.js';
import { applyQuery, pagingCookie, parseQuery } from './query.js';
import { partyNavigation, tableByEntitySet, tableByLogicalName, type TableDef } from './schema.js';
import { DataverseState, type Actor } from './state.js';
import { parseBody, parsePrefer, parseRecordUrl, rowToJson, type Prefer } from './webapi-json.js';
import type { WebhookSettings } from './webhooks.js';

export const API_PATH = '/api/data/v9.2';
/** "You can't request a page size larger than 5,000" (Learn: Page results using OData). */
export const MAX_PAGE_SIZE = 5000;
/** The sandbox's own page size: small, so every client that reads a list meets a second page. */
export const DEFAULT_SANDBOX_PAGE_SIZE = 25;
const ODATA_HEADERS = { 'OData-Version': '4.0' };

export interface DataverseServer {
  /** The org URL, e.g. `https://127.0.0.1:54321`; also the token audience. */
  url: string;
  close(): Promise<void>;
  state: DataverseState;
}

export interface DataverseServerOptions {
  webhooks?: Partial<WebhookSettings>;
  /** Largest page the sandbox serves, whatever the client prefers (1…5000; default 25). */
  pageSize?: number;
}

interface Route {
  table?: TableDef;
  id?: string;
  navigation?: string;
  operation?: 'WhoAmI' | 'RetrievePrincipalAccess' | 'RetrieveUserPrivileges';
  targetAlias?: string;
}

function parsePath(path: string): Route {
  const segment = decodeURIComponent(path);
  if (/^WhoAmI(\(\))?$/.test(segment)) return { operation: 'WhoAmI' };
  const access = /^systemusers\(([0-9a-fA-F-]{36})\)\/Microsoft\.Dynamics\.CRM\.RetrievePrincipalAccess\(Target=(@\w+)\)$/.exec(segment);
  if (access) {
    return { operation: 'RetrievePrincipalAccess', id: (access[1] as string).toLowerCase(), targetAlias: access[2] as string };
  }
  const privileges = /^systemusers\(([0-9a-fA-F-]{36})\)\/Microsoft\.Dynamics\.CRM\.RetrieveUserPrivileges(\(\))?$/.exec(segment);
  if (privileges) return { operation: 'RetrieveUserPrivileges', id: (privileges[1] as string).toLowerCase() };
  const match = /^([a-z_]+)(?:\(([0-9a-fA-F-]{36})\))?(?:\/([a-z_]+))?$/.exec(segment);
  const table = match ? tableByEntitySet(match[1] as string) : undefined;
  if (!match || !table) throw new DataverseFault(404, DV_CODE.odata, `Resource not found for the segment '${segment.split(/[(/]/)[0]}'.`);
  if (match[3] && (!match[2] || match[3] !== partyNavigation(table))) {
    throw new DataverseFault(404, DV_CODE.odata, `Resource not found for the segment '${match[3]}'.`);
  }
  return { table, ...(match[2] ? { id: match[2].toLowerCase() } : {}), ...(match[3] ? { navigation: match[3] } : {}) };
}

function etagMatches(header: string | undefined, versionnumber: unknown): boolean {
  return header === undefined || header === '*' || header === `W/"${String(versionnumber)}"`;
}

function assertVersion(header: string | undefined, existing: { versionnumber?: unknown } | undefined): void {
  if (existing && !etagMatches(header, existing.versionnumber)) {
    throw new DataverseFault(412, DV_CODE.concurrencyVersionMismatch, "The version of the existing record doesn't match the RowVersion property provided.");
  }
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): RawResponse {
  return { status, headers: { ...ODATA_HEADERS, 'content-type': 'application/json; odata.metadata=minimal', ...headers }, body };
}

function noContent(headers: Record<string, string> = {}): RawResponse {
  return { status: 204, headers: { ...ODATA_HEADERS, ...headers } };
}

function faultResponse(error: unknown): RawResponse {
  const fault = error instanceof DataverseFault ? error : new DataverseFault(500, DV_CODE.unexpected, 'An unexpected error occurred.');
  return json(fault.status, fault.body(), fault.headers);
}

function readJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('Error in parsing the request body: invalid JSON.');
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startDataverseServer(ctx: SandboxContext, options: DataverseServerOptions = {}): Promise<DataverseServer> {
  const serverPageSize = options.pageSize ?? DEFAULT_SANDBOX_PAGE_SIZE;
  if (!Number.isInteger(serverPageSize) || serverPageSize < 1 || serverPageSize > MAX_PAGE_SIZE) throw new Error(`pageSize must be 1…${MAX_PAGE_SIZE}`);
  let state!: DataverseState;
  let url = '';
  const base = (): string => `${url}${API_PATH}`;
  const partyTable = tableByLogicalName('activityparty') as TableDef;

  const jsonOptions = (prefer: Prefer, select?: string[]) => ({ prefer, nameOf: state.nameOf, ...(select ? { select } : {}) });
  const partiesJson = (activityId: string, prefer: Prefer, select?: string[]): Record<string, unknown>[] =>
    state.parties(activityId).map((p) => rowToJson(partyTable, p, jsonOptions(prefer, select)));
  const context = (table: TableDef, select: string[] | undefined, suffix = ''): string =>
    `${base()}/$metadata#${table.entitySet}${select ? `(${select.join(',')})` : ''}${suffix}`;

  function created(table: TableDef, id: string, prefer: Prefer, params: URLSearchParams): RawResponse {
    const entityId = { 'OData-EntityId': `${base()}/${table.entitySet}(${id})` };
    if (!prefer.returnRepresentation) return noContent(entityId);
    const select = parseQuery(table, params, partyTable).select;
    return json(201, { '@odata.context': context(table, select, '/$entity'), ...rowToJson(table, state.retrieve(table, id), jsonOptions(prefer, select)) }, entityId);
  }

  function retrievePrincipalAccess(route: Route, params: URLSearchParams): RawResponse {
    const raw = params.get(route.targetAlias as string) ?? '';
    const odataId = /['"]@odata\.id['"]\s*:\s*['"]([^'"]+)['"]/.exec(raw)?.[1];
    const target = odataId ? parseRecordUrl(odataId) : undefined;
    if (!target) throw badRequest(`The parameter '${route.targetAlias}' must be {'@odata.id':'<entityset>(<id>)'}.`);
    const rights = state.accessRights(route.id as string, target.table, target.id);
    // AccessRights is a flags enum; Dataverse writes it as .NET does: "ReadAccess, WriteAccess, …".
    return json(200, { '@odata.context': `${base()}/$metadata#Microsoft.Dynamics.CRM.RetrievePrincipalAccessResponse`, AccessRights: rights.join(', ') });
  }

  /**
   * One page of a collection. The page is the client's `odata.maxpagesize` (at most 5000) or the
   * sandbox's smaller size; `@odata.nextLink` is absolute and carries an opaque paging cookie that must
   * come back unchanged. With a page size preference, `$top` is ignored, as Dataverse documents.
   */
  function list(table: TableDef, params: URLSearchParams, prefer: Prefer, actor: Actor): RawResponse {
    const query = parseQuery(table, params, partyTable, partyNavigation(table));
    if (prefer.maxPageSize !== undefined && (!Number.isInteger(prefer.maxPageSize) || prefer.maxPageSize < 1 || prefer.maxPageSize > MAX_PAGE_SIZE)) {
      throw badRequest(`The odata.maxpagesize preference must be a whole number from 1 to ${MAX_PAGE_SIZE}.`, DV_CODE.invalidArgument);
    }
    const all = applyQuery(state.rowsAs(actor, table), prefer.maxPageSize === undefined ? query : { ...query, top: undefined });
    const pageSize = Math.min(prefer.maxPageSize ?? MAX_PAGE_SIZE, serverPageSize);
    const page = all.slice(query.skip, query.skip + pageSize);
    const body: Record<string, unknown> = {
      '@odata.context': context(table, query.select),
      ...(query.count ? { '@odata.count': all.length } : {}),
      value: page.map((row) => {
        const out = rowToJson(table, row, jsonOptions(prefer, query.select));
        for (const expand of query.expand) out[expand.navigation] = partiesJson(String(row[table.primaryId]), prefer, expand.select);
        return out;
      }),
    };
    if (query.skip + pageSize < all.length) {
      const next = new URLSearchParams(params);
      next.set('$skiptoken', pagingCookie(query.skip / pageSize + 2, query.skip + pageSize));
      body['@odata.nextLink'] = `${base()}/${table.entitySet}?${next.toString().replace(/\+/g, '%20')}`;
    }
    return json(200, body, prefer.maxPageSize ? { 'Preference-Applied': `odata.maxpagesize=${prefer.maxPageSize}` } : {});
  }

  async function record(request: RawRequest, table: TableDef, id: string, params: URLSearchParams, prefer: Prefer, actor: Actor): Promise<RawResponse> {
    const existing = state.find(table, id);
    const ifMatch = request.headers['if-match'];
    switch (request.method) {
      case 'GET': {
        const query = parseQuery(table, params, partyTable, partyNavigation(table));
        const out: Record<string, unknown> = { '@odata.context': context(table, query.select, '/$entity'), ...rowToJson(table, state.retrieveAs(actor, table, id), jsonOptions(prefer, query.select)) };
        for (const expand of query.expand) out[expand.navigation] = partiesJson(id, prefer, expand.select);
        return json(200, out);
      }
      case 'PATCH': {
        if (!existing && ifMatch !== undefined) throw new DataverseFault(404, DV_CODE.objectDoesNotExist, `Entity '${table.logicalName}' With Id = ${id} Does Not Exist`);
        if (existing && request.headers['if-none-match'] === '*') throw new DataverseFault(412, DV_CODE.duplicateRecord, 'A record with matching key values already exists.');
        assertVersion(ifMatch, existing);
        const body = parseBody(table, readJson(request.body));
        // PATCH is an upsert in Dataverse: without If-Match a missing record is created with this id.
        if (!existing) return created(table, await state.create(actor, table, body, id), prefer, params);
        await state.update(actor, table, id, body);
        if (!prefer.returnRepresentation) return noContent({ 'OData-EntityId': `${base()}/${table.entitySet}(${id})` });
        return json(200, rowToJson(table, state.retrieve(table, id), jsonOptions(prefer, parseQuery(table, params, partyTable).select)));
      }
      case 'DELETE':
        assertVersion(ifMatch, existing);
        await state.delete(actor, table, id);
        return noContent();
      default:
        throw new DataverseFault(405, DV_CODE.odata, `${request.method} is not supported on '${table.entitySet}(${id})'.`);
    }
  }

  async function route(request: RawRequest, actor: Actor): Promise<RawResponse> {
    const [path = '', queryString = ''] = request.url.slice(API_PATH.length + 1).split(/\?(.*)/s);
    const params = new URLSearchParams(queryString);
    const target = parsePath(path);
    const prefer = parsePrefer(request.headers.prefer);
    const method = request.method;
    if (target.operation === 'WhoAmI' && method === 'GET') {
      return json(200, {
        '@odata.context': `${base()}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
        BusinessUnitId: state.organization.businessUnitId,
        UserId: actor.user.systemUserId,
        OrganizationId: state.organization.id,
      });
    }
    if (target.operation === 'RetrievePrincipalAccess' && method === 'GET') return retrievePrincipalAccess(target, params);
    if (target.operation === 'RetrieveUserPrivileges' && method === 'GET') {
      return json(200, {
        '@odata.context': `${base()}/$metadata#Microsoft.Dynamics.CRM.RetrieveUserPrivilegesResponse`,
        RolePrivileges: state.userPrivileges(target.id as string),
      });
    }
    const table = target.table;
    if (!table) throw new DataverseFault(405, DV_CODE.odata, `${method} is not supported on '${path}'.`);
    if (method === 'GET') state.assertRead(actor, table);
    if (target.navigation && method === 'GET') {
      state.retrieveAs(actor, table, target.id as string);
      const query = parseQuery(partyTable, params, partyTable);
      const rows = applyQuery(state.parties(target.id as string), query);
      return json(200, { '@odata.context': context(partyTable, query.select), value: rows.map((p) => rowToJson(partyTable, p, jsonOptions(prefer, query.select))) });
    }
    if (target.id && !target.navigation) return record(request, table, target.id, params, prefer, actor);
    if (!target.id && method === 'GET') return list(table, params, prefer, actor);
    if (!target.id && method === 'POST') return created(table, await state.create(actor, table, parseBody(table, readJson(request.body))), prefer, params);
    throw new DataverseFault(405, DV_CODE.odata, `${method} is not supported on '${path}'.`);
  }

  function throttled(reason: 'concurrency' | 'budget' | 'injected', retryAfterSeconds: number): RawResponse {
    const settings = ctx.faults.get('dataverse');
    const error =
      reason === 'concurrency'
        ? { code: DV_CODE.throttleConcurrency, message: `Number of concurrent requests exceeded the limit of ${settings.concurrencyLimit}.` }
        : {
            code: DV_CODE.throttleRequests,
            message: `Number of requests exceeded the limit of ${settings.budget.limit} over time window of ${Math.round(settings.budget.windowMs / 1000)} seconds.`,
          };
    return json(429, { error }, { 'Retry-After': String(retryAfterSeconds) });
  }

  async function handle(request: RawRequest): Promise<RawResponse | 'drop'> {
    if (!request.url.startsWith(`${API_PATH}/`)) return faultResponse(new DataverseFault(404, DV_CODE.odata, 'Resource not found.'));
    const client = ctx.tokens.verify(request.headers.authorization, url);
    if (!client) {
      const challenge = `Bearer authorization_uri=https://login.microsoftonline.com/${ctx.tokens.tenantId}/oauth2/authorize, resource_id=${url}`;
      return { status: 401, headers: { 'WWW-Authenticate': challenge } };
    }
    const admission = ctx.faults.admit('dataverse', client.servicePrincipalId);
    if (admission.outcome === 'drop') return 'drop';
    if (admission.outcome === 'serverError') return json(admission.status, { error: { code: DV_CODE.unexpected, message: 'An unexpected error occurred.' } });
    if (admission.outcome === 'throttled') return throttled(admission.reason, admission.retryAfterSeconds);
    try {
      if (admission.delayMs > 0) await sleep(admission.delayMs);
      return await route(request, state.actorFor(client.servicePrincipalId, client.clientId, request.headers.callerobjectid));
    } catch (error) {
      return faultResponse(error);
    } finally {
      admission.release();
    }
  }

  const service = await startHttpsService(ctx.cert, async (request) => {
    const response = await handle(request);
    state.recordExchange({ request, response });
    return response;
  });
  url = service.url;
  state = new DataverseState({ url, directory: ctx.directory, clock: ctx.clock, log: ctx.log, ...(options.webhooks ? { webhooks: options.webhooks } : {}) });

  return {
    url,
    state,
    async close() {
      await state.settle();
      await service.close();
    },
  };
}
