/**
 * The error catalogue. Every failure the service reports has a stable code and an HTTP status,
 * in the manner of fastify's FST_ERR_* codes, so logs, API answers and tests can name it.
 */
export const ERROR_CATALOGUE = {
  DS_ERR_BAD_JSON: { status: 400, title: 'Body is not valid JSON' },
  DS_ERR_INVALID_PAYLOAD: { status: 400, title: 'Payload does not match the contract' },
  DS_ERR_UNSUPPORTED_MESSAGE: { status: 400, title: 'Message is not one this service handles' },
  DS_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Content type not accepted' },
  DS_ERR_BODY_TOO_LARGE: { status: 413, title: 'Body exceeds the configured limit' },
  DS_ERR_UNAUTHORIZED: { status: 401, title: 'Missing or wrong credentials' },
  DS_ERR_FORBIDDEN: { status: 403, title: 'Not allowed' },
  DS_ERR_NOT_FOUND: { status: 404, title: 'Not found' },
  DS_ERR_STORAGE_UNAVAILABLE: { status: 503, title: 'Storage is unavailable; retry later' },
  DS_ERR_UPSTREAM: { status: 502, title: 'An upstream service failed' },
  DS_ERR_THROTTLED: { status: 429, title: 'Throttled by an upstream service' },
  DS_ERR_CONFIG: { status: 500, title: 'Configuration is invalid' },
  DS_ERR_UNSUPPORTED_LINK_SOURCE: { status: 501, title: 'No documented app-only path turns this source into links' },
  DS_ERR_POLICY_FILE: { status: 500, title: 'Policy file is invalid' },
  DS_ERR_INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export class DeleteSyncError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** Where the problem is, e.g. a JSON path such as `InputParameters[0].value.Id`. */
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DeleteSyncError';
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].status;
    this.field = options.field;
  }

  /** The JSON body an HTTP answer carries: code and message, never secrets or payload values. */
  toJSON(): { code: ErrorCode; message: string; field?: string } {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }
}

export function isDeleteSyncError(value: unknown): value is DeleteSyncError {
  return value instanceof DeleteSyncError;
}
