/**
 * PUT /api/links and DELETE /api/links?userId=&itemId= — for trackers that already know both ids. Admin
 * key in `x-admin-key` (timing-safe). PUT takes one link as JSON and answers it as stored; DELETE answers
 * 204, or 404 when the item was linked to nothing.
 */
import { z } from 'zod';
import { CrmRef, OutlookItemKind } from '../domain/event.js';
import { LinkRole, type Link } from '../domain/link.js';
import { parseJsonBody, parseOrThrow } from '../contracts/validate.js';
import { DeleteSyncError } from '../errors.js';
import { storeLink } from '../links/store-link.js';
import type { HandlerDeps } from './deps.js';
import { assertBodySize, assertJsonContent, emptyResponse, errorResponse, jsonResponse, type Handler, type HandlerRequest } from './http.js';
import { secretEquals } from './secrets.js';

export const LinkInput = z.strictObject({
  crm: CrmRef,
  userId: z.string().min(1),
  itemKind: OutlookItemKind,
  itemId: z.string().min(1),
  crmUserId: z.string().min(1).nullable().optional(),
  role: LinkRole.optional(),
  /** Required for To Do tasks (deleting one needs its list). */
  listId: z.string().min(1).nullable().optional(),
});
export type LinkInput = z.infer<typeof LinkInput>;

function authorize(request: HandlerRequest, deps: HandlerDeps): void {
  if (!secretEquals(request.headers['x-admin-key'], deps.config.adminKey)) {
    throw new DeleteSyncError('DS_ERR_UNAUTHORIZED', 'Missing or wrong admin key');
  }
}

function linkFrom(input: LinkInput, at: Date): Link {
  if (input.itemKind === 'todoTask' && !input.listId) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'A To Do task link needs its listId', { field: 'listId' });
  }
  return {
    crm: input.crm,
    userId: input.userId,
    crmUserId: input.crmUserId?.toLowerCase() ?? null,
    itemKind: input.itemKind,
    itemId: input.itemId,
    role: input.role ?? 'other',
    listId: input.listId ?? null,
    source: 'api',
    updatedAt: at.toISOString(),
  };
}

function required(request: HandlerRequest, name: 'userId' | 'itemId'): string {
  const value = request.query[name];
  if (value === undefined || value.trim() === '') throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `${name} is required`, { field: name });
  return value;
}

export function createLinksPutHandler(deps: HandlerDeps): Handler {
  const log = deps.log.child({ handler: 'links-api' });
  return async (request) => {
    try {
      authorize(request, deps);
      assertBodySize(request, deps.config.maxBodyBytes);
      assertJsonContent(request);
      const input = parseOrThrow(LinkInput, parseJsonBody(request.rawBody), { what: 'link' });
      const link = linkFrom(input, deps.now());
      const result = await storeLink(deps.store, link);
      log.info('link stored through the API', { result, userId: link.userId, itemKind: link.itemKind, entity: link.crm.entity });
      return jsonResponse(200, { result, link: await deps.store.links.getByItem(link.userId, link.itemId) });
    } catch (error) {
      return errorResponse(error, log);
    }
  };
}

export function createLinksDeleteHandler(deps: HandlerDeps): Handler {
  const log = deps.log.child({ handler: 'links-api' });
  return async (request) => {
    try {
      authorize(request, deps);
      const link = await deps.store.links.getByItem(required(request, 'userId'), required(request, 'itemId'));
      if (link === null) throw new DeleteSyncError('DS_ERR_NOT_FOUND', 'The item is linked to nothing');
      await deps.store.links.remove(link);
      log.info('link removed through the API', { userId: link.userId, itemKind: link.itemKind, entity: link.crm.entity });
      return emptyResponse(204);
    } catch (error) {
      return errorResponse(error, log);
    }
  };
}
