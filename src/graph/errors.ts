/** Reading the Graph SDK's errors (GraphError: statusCode, code, message) without trusting their shape. */
import { DeleteSyncError } from '../errors.js';

/** HTTP status of a failed Graph call; null when no answer came (connection failure). */
export function graphStatus(error: unknown): number | null {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status > 0 ? status : null;
}

/** Graph's error code (`ExtensionError`, `ErrorInvalidSyncStateData`, …) and message, for records and logs. */
export function graphFailure(error: unknown): { status: number | null; code: string | null; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    status: graphStatus(error),
    code: typeof code === 'string' && code !== '' ? code : null,
    message: error instanceof Error ? error.message : String(error),
  };
}

/** A coded error for a Graph call that failed, naming what was attempted. */
export function upstreamError(what: string, error: unknown): DeleteSyncError {
  const { status, code, message } = graphFailure(error);
  const errorCode = status === 429 ? 'DS_ERR_THROTTLED' : status === 403 ? 'DS_ERR_FORBIDDEN' : 'DS_ERR_UPSTREAM';
  return new DeleteSyncError(errorCode, `${what}: Graph answered ${status ?? 'nothing'}${code ? ` ${code}` : ''}: ${message}`, { cause: error });
}

/** One line for records and logs: status, Graph code and message (Graph's messages carry no secrets). */
export function describeGraphFailure(error: unknown): string {
  const { status, code, message } = graphFailure(error);
  return `Graph answered ${status ?? 'nothing'}${code ? ` ${code}` : ''}: ${message}`.slice(0, 500);
}
