/** Reading the Graph SDK's errors (GraphError: statusCode, code, message) without trusting their shape. */

/** HTTP status of a failed Graph call; null when no answer came (connection failure). */
export function graphStatus(error: unknown): number | null {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status > 0 ? status : null;
}

/** One line for records and logs: status, Graph's error code and message (they carry no secrets). */
export function describeGraphFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return `Graph answered ${graphStatus(error) ?? 'nothing'}${typeof code === 'string' && code !== '' ? ` ${code}` : ''}: ${message}`.slice(0, 500);
}
