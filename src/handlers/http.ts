/**
 * The transport-free request and response every handler speaks. The Functions adapter and the Fastify
 * host translate to and from these; nothing here knows either host.
 */
import { DeleteSyncError, isDeleteSyncError } from '../errors.js';
import type { Logger } from '../log.js';

export interface HandlerRequest {
  method: string;
  path: string;
  /** Query parameters, already URL-decoded (first value of repeated ones). */
  query: Record<string, string | undefined>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  rawBody: Buffer;
}

export interface HandlerResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type Handler = (request: HandlerRequest) => Promise<HandlerResponse>;

const JSON_TYPE = 'application/json; charset=utf-8';

export function jsonResponse(status: number, value: unknown): HandlerResponse {
  return { status, headers: { 'content-type': JSON_TYPE, 'cache-control': 'no-store' }, body: JSON.stringify(value) };
}

export function emptyResponse(status: number): HandlerResponse {
  return { status, headers: {}, body: '' };
}

/** A coded JSON error `{code, message, field?}`; anything uncoded is an internal error with no detail. */
export function errorResponse(error: unknown, log: Logger): HandlerResponse {
  if (isDeleteSyncError(error)) {
    if (error.statusCode >= 500) log.error('request failed', { error, errorCode: error.code });
    return jsonResponse(error.statusCode, error.toJSON());
  }
  log.error('unexpected error', { error });
  return jsonResponse(500, new DeleteSyncError('DS_ERR_INTERNAL', 'Internal error').toJSON());
}

/** Rejects a body over the limit, by its declared length or its actual size. */
export function assertBodySize(request: HandlerRequest, maxBytes: number): void {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (request.rawBody.length > maxBytes || (Number.isFinite(declared) && declared > maxBytes)) {
    throw new DeleteSyncError('DS_ERR_BODY_TOO_LARGE', `Body is larger than ${maxBytes} bytes`);
  }
}

/** Accepts application/json and application/*+json, with or without parameters. */
export function assertJsonContent(request: HandlerRequest): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new DeleteSyncError('DS_ERR_UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json', {
      field: 'content-type',
    });
  }
}
