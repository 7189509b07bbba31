/**
 * Storage failures become one coded error, DS_ERR_STORAGE_UNAVAILABLE (503), so receivers can answer
 * "retry later" to Dataverse and Graph; expected answers (404, 409, 412) are read by callers first.
 */
import { DeleteSyncError, isDeleteSyncError } from '../errors.js';

export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function storageUnavailable(operation: string, cause: unknown): DeleteSyncError {
  if (isDeleteSyncError(cause)) return cause;
  const status = statusOf(cause);
  const detail = status === undefined ? 'no answer' : `status ${status}`;
  return new DeleteSyncError('DS_ERR_STORAGE_UNAVAILABLE', `Storage ${operation} failed (${detail})`, { cause });
}

/** Runs a storage call, turning any failure into DS_ERR_STORAGE_UNAVAILABLE. */
export async function guard<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw storageUnavailable(operation, error);
  }
}
