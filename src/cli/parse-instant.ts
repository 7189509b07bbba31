/** Command-line values that need checking beyond what commander does. */
import { DeleteSyncError } from '../errors.js';

/** An ISO-8601 instant given on the command line. */
export function parseInstant(value: string, option: string): Date {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `${option} must be an ISO-8601 time such as 2025-01-01T00:00:00Z, got ${JSON.stringify(value)}`, { field: option });
  }
  return at;
}
