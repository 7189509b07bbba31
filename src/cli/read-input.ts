/** Reading the files a command is given, with coded errors naming the file. */
import { readFileSync } from 'node:fs';
import { parseJsonBody } from '../contracts/validate.js';
import { DeleteSyncError } from '../errors.js';

export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new DeleteSyncError('DS_ERR_NOT_FOUND', `cannot read ${path} (${reason})`);
  }
  try {
    return parseJsonBody(text);
  } catch (error) {
    if (error instanceof DeleteSyncError) throw new DeleteSyncError(error.code, `${path}: ${error.message}`, { field: error.field });
    throw error;
  }
}

/** An ISO-8601 instant given on the command line. */
export function parseInstant(value: string, option: string): Date {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(at.getTime())) {
    throw new DeleteSyncError('DS_ERR_INVALID_PAYLOAD', `${option} must be an ISO-8601 time such as 2025-01-01T00:00:00Z, got ${JSON.stringify(value)}`, { field: option });
  }
  return at;
}
