/**
 * The transport-free answer every Graph handler returns, and Graph's error body
 * (`{error:{code,message,innerError:{request-id,date}}}`).
 */
import { newRequestId } from './ids.js';

export interface GraphResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON value, a plain string (text), or undefined for an empty body. */
  body?: unknown;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): GraphResponse {
  return { status, headers: { 'Content-Type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8', ...headers }, body };
}

export function empty(status = 204, headers: Record<string, string> = {}): GraphResponse {
  return { status, headers };
}

export function graphError(status: number, code: string, message: string, headers: Record<string, string> = {}): GraphResponse {
  const requestId = newRequestId();
  return json(
    status,
    { error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': requestId, 'client-request-id': requestId } } },
    headers,
  );
}

export const notFound = (what = 'The specified object was not found in the store.'): GraphResponse => graphError(404, 'ErrorItemNotFound', what);

export const badRequest = (message: string, code = 'BadRequest'): GraphResponse => graphError(400, code, message);

/** Thrown by handlers to answer early; the router turns it into its response. */
export class GraphFailure extends Error {
  constructor(readonly response: GraphResponse) {
    super(`graph ${response.status}`);
  }
}
