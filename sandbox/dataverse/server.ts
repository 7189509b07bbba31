/**
 * The Dataverse Web API v9.2 over HTTPS on loopback: bearer check (audience = this server's URL),
 * the shared fault switchboard (per-caller budget and concurrency → 429 with Retry-After, injected
 * 5xx, slow answers, dropped connections), CallerObjectId impersonation, and the OData routes the
 * service uses. The org's data and behaviour live in DataverseState; this file only speaks HTTP.
 */
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import type { SandboxContext } from '../context.js';
import { DataverseFault, DV_CODE, badRequest } from './errors.js';
import { applyQuery, parseQuery } from './query.js';
import { partyNavigation, tableByEntitySet, tableByLogicalName, type TableDef } from './schema.js';
import { DataverseState, type Actor } from './state.js';
import { parseBody, parsePrefer, parseRecordUrl, rowToJson, type Prefer } from './webapi-json.js';
import type { WebhookSettings } from './webhooks.js';

export const API_PATH = '/api/data/v9.2';
const DEFAULT_PAGE_SIZE = 5000;

export interface DataverseServer {
  /** The org URL, e.g. `https://127.0.0.1:54321`; also the token audience. */
  url: string;
  close(): Promise<void>;
  state: DataverseState;
}

export interface DataverseServerOptions {
  webhooks?: Partial<WebhookSettings>;
}

interface Route {
  table?: TableDef;
  id?: string;
  navigation?: string;
  operation?: 'WhoAmI' | 'RetrievePrincipalAccess';
  targetAlias?: string;
}

function parsePath(path: string): Route {
  const segment = decodeURIComponent(path);
  if (/^WhoAmI(\(\))?$/.test(segment)) return { operation: 'WhoAmI' };
  const access = /^systemusers\(([0-9a-fA-F-]{36})\)\/Microsoft\.Dynamics\.CRM\.RetrievePrincipalAccess\(Target=(@\w+)\)$/.exec(segment);
  if (access) return { operation: 'RetrievePrincipalAccess', table: tableByLogicalName('systemuser') as TableDef, id: (access[1] as string).toLowerCase(), targetAlias: access[2] as string };
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function startDataverseServer(ctx: SandboxContext, options: DataverseServerOptions = {}): Promise<DataverseServer> {
  const app = Fastify({ https: { key: ctx.cert.key, cert: ctx.cert.cert }, logger: false, bodyLimit: 16 * 1024 * 1024 });
  // Clients may send `Content-Type: application/json` on a body-less DELETE; Dataverse accepts that.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(badRequest('Error in parsing the request body: invalid JSON.'), undefined);
    }
  });

  let state!: DataverseState;
  let url = '';
  const base = (): string => `${url}${API_PATH}`;

  const json = (reply: FastifyReply, status: number, body: unknown): FastifyReply =>
    reply.code(status).header('OData-Version', '4.0').type('application/json; odata.metadata=minimal').send(body);

  const fail = (reply: FastifyReply, error: unknown): FastifyReply => {
    const fault = error instanceof DataverseFault ? error : new DataverseFault(500, DV_CODE.unexpected, 'An unexpected error occurred.');
    return json(reply.headers(fault.headers), fault.status, fault.body());
  };

  app.setErrorHandler((error, _request, reply) => fail(reply, error instanceof DataverseFault ? error : badRequest((error as Error).message)));

  const jsonOptions = (prefer: Prefer, select?: string[]) => ({ prefer, nameOf: state.nameOf, ...(select ? { select } : {}) });

  const partiesJson = (activityId: string, prefer: Prefer, select?: string[]): Record<string, unknown>[] =>
    state.parties(activityId).map((p) => rowToJson(tableByLogicalName('activityparty') as TableDef, p, jsonOptions(prefer, select)));

  async function handle(request: FastifyRequest, reply: FastifyReply, actor: Actor): Promise<FastifyReply> {
    const [path = '', queryString = ''] = request.url.slice(API_PATH.length + 1).split(/\?(.*)/s);
    const params = new URLSearchParams(queryString);
    const route = parsePath(path);
    const prefer = parsePrefer(request.headers.prefer as string | undefined);
    const method = request.method;

    if (route.operation === 'WhoAmI' && method === 'GET') {
      return json(reply, 200, {
        '@odata.context': `${base()}/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse`,
        BusinessUnitId: state.organization.businessUnitId,
        UserId: actor.user.systemUserId,
        OrganizationId: state.organization.id,
      });
    }
    if (route.operation === 'RetrievePrincipalAccess' && method === 'GET') {
      const raw = params.get(route.targetAlias as string) ?? '';
      const odataId = /['"]@odata\.id['"]\s*:\s*['"]([^'"]+)['"]/.exec(raw)?.[1];
      const target = odataId ? parseRecordUrl(odataId) : undefined;
      if (!target) throw badRequest(`The parameter '${route.targetAlias}' must be {'@odata.id':'<entityset>(<id>)'}.`);
      const rights = state.accessRights(route.id as string, target.table, target.id);
      return json(reply, 200, {
        '@odata.context': `${base()}/$metadata#Microsoft.Dynamics.CRM.RetrievePrincipalAccessResponse`,
        AccessRights: rights.join(', '),
      });
    }

    const table = route.table as TableDef;
    const navigation = partyNavigation(table);
    const partyTable = tableByLogicalName('activityparty') as TableDef;

    if (route.navigation) {
      if (method !== 'GET') throw new DataverseFault(405, DV_CODE.odata, `${method} is not supported on '${route.navigation}'.`);
      state.retrieve(table, route.id as string);
      const query = parseQuery(partyTable, params, partyTable);
      const rows = applyQuery(state.parties(route.id as string), query);
      return json(reply, 200, { '@odata.context': `${base()}/$metadata#activityparties`, value: rows.map((p) => rowToJson(partyTable, p, jsonOptions(prefer, query.select))) });
    }

    if (!route.id) {
      if (method === 'GET') {
        const query = parseQuery(table, params, partyTable, navigation);
        const all = applyQuery(state.rows(table), query);
        const pageSize = prefer.maxPageSize ?? DEFAULT_PAGE_SIZE;
        const page = all.slice(query.skip, query.skip + pageSize);
        const body: Record<string, unknown> = {
          '@odata.context': `${base()}/$metadata#${table.entitySet}${query.select ? `(${query.select.join(',')})` : ''}`,
          ...(query.count ? { '@odata.count': all.length } : {}),
          value: page.map((row) => {
            const out = rowToJson(table, row, jsonOptions(prefer, query.select));
            for (const expand of query.expand) out[expand.navigation] = partiesJson(String(row[table.primaryId]), prefer, expand.select);
            return out;
          }),
        };
        if (query.skip + pageSize < all.length) {
          const next = new URLSearchParams(params);
          next.set('$skiptoken', String(query.skip + pageSize));
          body['@odata.nextLink'] = `${base()}/${table.entitySet}?${next.toString()}`;
        }
        if (prefer.maxPageSize) reply.header('Preference-Applied', `odata.maxpagesize=${prefer.maxPageSize}`);
        return json(reply, 200, body);
      }
      if (method === 'POST') {
        const id = await state.create(actor, table, parseBody(table, request.body));
        return created(reply, table, id, prefer, params);
      }
      throw new DataverseFault(405, DV_CODE.odata, `${method} is not supported on '${table.entitySet}'.`);
    }

    const id = route.id;
    if (method === 'GET') {
      const query = parseQuery(table, params, partyTable, navigation);
      const out: Record<string, unknown> = { '@odata.context': `${base()}/$metadata#${table.entitySet}${query.select ? `(${query.select.join(',')})` : ''}/$entity`, ...rowToJson(table, state.retrieve(table, id), jsonOptions(prefer, query.select)) };
      for (const expand of query.expand) out[expand.navigation] = partiesJson(id, prefer, expand.select);
      return json(reply, 200, out);
    }
    if (method === 'PATCH') {
      const existing = state.find(table, id);
      const ifMatch = request.headers['if-match'] as string | undefined;
      if (!existing && ifMatch !== undefined) throw new DataverseFault(404, DV_CODE.objectDoesNotExist, `Entity '${table.logicalName}' With Id = ${id} Does Not Exist`);
      if (existing && request.headers['if-none-match'] === '*') throw new DataverseFault(412, DV_CODE.duplicateRecord, 'A record with matching key values already exists.');
      if (existing && !etagMatches(ifMatch, existing.versionnumber)) {
        throw new DataverseFault(412, DV_CODE.concurrencyVersionMismatch, "The version of the existing record doesn't match the RowVersion property provided.");
      }
      const body = parseBody(table, request.body);
      // PATCH is an upsert in Dataverse: without If-Match a missing record is created with this id.
      if (!existing) return created(reply, table, await state.create(actor, table, body, id), prefer, params);
      await state.update(actor, table, id, body);
      if (prefer.returnRepresentation) return json(reply, 200, rowToJson(table, state.retrieve(table, id), jsonOptions(prefer, parseQuery(table, params, partyTable).select)));
      return reply.code(204).header('OData-Version', '4.0').header('OData-EntityId', `${base()}/${table.entitySet}(${id})`).send();
    }
    if (method === 'DELETE') {
      const existing = state.find(table, id);
      if (existing && !etagMatches(request.headers['if-match'] as string | undefined, existing.versionnumber)) {
        throw new DataverseFault(412, DV_CODE.concurrencyVersionMismatch, "The version of the existing record doesn't match the RowVersion property provided.");
      }
      await state.delete(actor, table, id);
      return reply.code(204).header('OData-Version', '4.0').send();
    }
    throw new DataverseFault(405, DV_CODE.odata, `${method} is not supported on '${table.entitySet}(${id})'.`);
  }

  function created(reply: FastifyReply, table: TableDef, id: string, prefer: Prefer, params: URLSearchParams): FastifyReply {
    reply.header('OData-EntityId', `${base()}/${table.entitySet}(${id})`);
    if (!prefer.returnRepresentation) return reply.code(204).header('OData-Version', '4.0').send();
    const select = parseQuery(table, params, tableByLogicalName('activityparty') as TableDef).select;
    return json(reply, 201, { '@odata.context': `${base()}/$metadata#${table.entitySet}/$entity`, ...rowToJson(table, state.retrieve(table, id), jsonOptions(prefer, select)) });
  }

  app.all(`${API_PATH}/*`, async (request, reply) => {
    const client = ctx.tokens.verify(request.headers.authorization, url);
    if (!client) {
      return reply
        .code(401)
        .header('WWW-Authenticate', `Bearer authorization_uri=https://login.microsoftonline.com/${ctx.tokens.tenantId}/oauth2/authorize, resource_id=${url}`)
        .send();
    }
    const admission = ctx.faults.admit('dataverse', client.servicePrincipalId);
    if (admission.outcome === 'drop') {
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }
    if (admission.outcome === 'serverError') {
      return json(reply, admission.status, { error: { code: DV_CODE.unexpected, message: 'An unexpected error occurred.' } });
    }
    if (admission.outcome === 'throttled') {
      const budget = ctx.faults.get('dataverse').budget;
      const body =
        admission.reason === 'concurrency'
          ? { code: DV_CODE.throttleConcurrency, message: `Number of concurrent requests exceeded the limit of ${ctx.faults.get('dataverse').concurrencyLimit}.` }
          : { code: DV_CODE.throttleRequests, message: `Number of requests exceeded the limit of ${budget.limit} over time window of ${Math.round(budget.windowMs / 1000)} seconds.` };
      return json(reply.header('Retry-After', String(admission.retryAfterSeconds)), 429, { error: body });
    }
    try {
      if (admission.delayMs > 0) await sleep(admission.delayMs);
      const actor = state.actorFor(client.servicePrincipalId, client.clientId, request.headers.callerobjectid as string | undefined);
      return await handle(request, reply, actor);
    } catch (error) {
      return fail(reply, error);
    } finally {
      admission.release();
    }
  });

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('Dataverse sandbox: no TCP address after listen');
  url = `https://127.0.0.1:${address.port}`;
  state = new DataverseState({ url, directory: ctx.directory, clock: ctx.clock, log: ctx.log, ...(options.webhooks ? { webhooks: options.webhooks } : {}) });

  return {
    url,
    state,
    async close() {
      await state.settle();
      await app.close();
    },
  };
}
