/** Command-line values that need checking beyond what commander does. */
import { DeleteSyncError } from '../errors.js';

/** ISO-8601 date, or date and time with an optional zone (Z or ±hh:mm). */
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO-8601 instant given on the command line. A time without a zone is UTC, as a date alone is in
 * JavaScript: the answer must not depend on the machine's time zone.
 */
export function parseInstant(value: string, option: string): Date {
  const match = ISO.exec(value);
  const hasTime = value.includes('T') || value.includes('t');
  const at = match === null ? new Date(Number.NaN) : new Date(hasTime && match[1] === undefined ? `${value}Z` : value);
  if (Number.isNaN(at.getTime())) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `${option} must be an ISO-8601 time such as 2025-01-01T00:00:00Z (no zone means UTC), got ${JSON.stringify(value)}`, { field: option });
  }
  return at;
}
