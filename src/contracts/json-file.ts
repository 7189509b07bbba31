/** Reading a JSON document from disk (policy files, CLI inputs) with coded errors naming the file. */
import { readFileSync } from 'node:fs';
import { DeleteSyncError, type ErrorCode } from '../errors.js';
import { parseJsonBody } from './validate.js';

/** `code` replaces the default codes (DS_ERR_NOT_FOUND, DS_ERR_BAD_JSON) when the caller has its own, e.g. DS_ERR_POLICY_FILE. */
export function readJsonFile(path: string, code?: ErrorCode): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new DeleteSyncError(code ?? 'DS_ERR_NOT_FOUND', `cannot read ${path} (${reason})`);
  }
  try {
    return parseJsonBody(text);
  } catch (error) {
    if (!(error instanceof DeleteSyncError)) throw error;
    throw new DeleteSyncError(code ?? error.code, `${path}: ${error.message}`, { field: error.field });
  }
}
