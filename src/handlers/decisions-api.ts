/**
 * GET /api/decisions?limit=&record= — recent decision records, newest first, for operators and the
 * decision explorer. Read-only; the admin key comes in `x-admin-key` and is compared timing-safe.
 * `record` is a record key: `entity:id` for a CRM record (e.g. `appointment:<guid>`), or
 * `outlook:<user>:<item>` for an Outlook item that was linked to nothing.
 */
import { DeleteSyncError } from '../errors.js';
import type { HandlerDeps } from './deps.js';
import { errorResponse, jsonResponse, type Handler } from './http.js';
import { secretEquals } from './secrets.js';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

function parseLimit(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_LIMIT;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `limit must be a whole number from 1 to ${MAX_LIMIT}`, {
      field: 'limit',
    });
  }
  return n;
}

/** CRM keys are stored lower-cased; Outlook item ids are case-sensitive and kept as they are. */
function normaliseRecordKey(record: string): string {
  const trimmed = record.trim();
  if (trimmed.startsWith('outlook:')) return trimmed;
  if (!/^[^:\s]+:[^:\s]+$/.test(trimmed)) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', 'record must be entity:id or outlook:user:item', {
      field: 'record',
    });
  }
  return trimmed.toLowerCase();
}

export function createDecisionsApiHandler(deps: HandlerDeps): Handler {
  const log = deps.log.child({ handler: 'decisions-api' });
  return async (request) => {
    try {
      if (!secretEquals(request.headers['x-admin-key'], deps.config.adminKey)) {
        throw new DeleteSyncError('DS_ERR_UNAUTHORIZED', 'Missing or wrong admin key');
      }
      const limit = parseLimit(request.query.limit);
      const record = request.query.record;
      const decisions =
        record === undefined || record === ''
          ? await deps.store.decisions.listRecent(limit)
          : await deps.store.decisions.listByRecord(normaliseRecordKey(record), limit);
      return jsonResponse(200, { decisions });
    } catch (error) {
      return errorResponse(error, log);
    }
  };
}
