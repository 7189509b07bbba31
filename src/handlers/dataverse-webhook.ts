/**
 * POST /api/dataverse/webhook: authenticate (WebhookKey `code` or the configured header secret),
 * check size and organization, parse into a DomainEvent, enqueue (one storage write; a redelivery is
 * dropped by the processor), 202. Dataverse retries once, and only on 502/503/504, so a storage failure
 * must be a 503. The Content-Type Dataverse sends
 * is undocumented and a refused webhook is never retried, so any type is accepted: the body must parse
 * as JSON (else 400).
 */
import { DATAVERSE_HEADERS } from '../contracts/dataverse.js';
import { normalizeDataverseWebhook } from '../domain/normalize-dataverse.js';
import { DeleteSyncError } from '../errors.js';
import type { HandlerDeps } from './deps.js';
import { enqueue } from '../pipeline/enqueue.js';
import { assertBodySize, errorResponse, jsonResponse, type Handler, type HandlerRequest } from './http.js';
import { secretEquals } from './secrets.js';

function authenticate(request: HandlerRequest, { config }: HandlerDeps): void {
  const { webhookKey, previousWebhookKey, webhookHeader } = config.dataverse;
  // The previous key stays valid through a rotation, so Dataverse is never refused while it switches.
  const byKey = secretEquals(request.query.code, webhookKey) || secretEquals(request.query.code, previousWebhookKey);
  const byHeader = webhookHeader !== undefined && secretEquals(request.headers[webhookHeader.name], webhookHeader.value);
  if (!byKey && !byHeader) throw new DeleteSyncError('DS_ERR_UNAUTHORIZED', 'Missing or wrong webhook key');
}

/** The allow-list may name organizations by id (the body's OrganizationId) or by the header's name. */
function assertOrganization(allowed: string[], header: string | undefined, organizationId: string): void {
  if (allowed.length === 0) return;
  if (allowed.includes(organizationId.toLowerCase())) return;
  if (header !== undefined && allowed.includes(header.trim().toLowerCase())) return;
  throw new DeleteSyncError('DS_ERR_FORBIDDEN', 'Organization is not allowed', { field: 'OrganizationId' });
}

export function createDataverseWebhookHandler(deps: HandlerDeps): Handler {
  const log = deps.log.child({ handler: 'dataverse-webhook' });
  return async (request) => {
    try {
      authenticate(request, deps);
      assertBodySize(request, deps.config.maxBodyBytes);
      const receivedAt = deps.now();
      const event = normalizeDataverseWebhook(request.rawBody, request.headers, receivedAt);
      const crm = event.crm!;
      assertOrganization(deps.config.dataverse.allowedOrganizations, request.headers[DATAVERSE_HEADERS.organization], crm.organizationId);
      await enqueue(deps.store, [{ kind: 'change', event }], receivedAt);
      log.info('webhook accepted', {
        eventId: event.id,
        message: crm.messageName,
        entity: crm.ref.entity,
        recordId: crm.ref.id,
        preImageMissing: crm.preImageMissing,
        sizeExceeded: crm.sizeExceeded,
      });
      return jsonResponse(202, { status: 'enqueued' });
    } catch (error) {
      if (error instanceof DeleteSyncError && error.statusCode < 500) {
        log.warn('webhook rejected', { errorCode: error.code, field: error.field });
      }
      return errorResponse(error, log);
    }
  };
}
