/** GET /api/health: 200 when storage answers, 503 when it does not (the receivers would answer 503 too). */
import { isDeleteSyncError } from '../errors.js';
import type { HandlerDeps } from './deps.js';
import { jsonResponse, type Handler } from './http.js';

export function createHealthHandler(deps: HandlerDeps): Handler {
  return async () => {
    try {
      await deps.store.ping();
      return jsonResponse(200, { status: 'ok', storage: 'ok' });
    } catch (error) {
      const code = isDeleteSyncError(error) ? error.code : 'DS_ERR_INTERNAL';
      return jsonResponse(503, { status: 'unavailable', storage: code });
    }
  };
}
