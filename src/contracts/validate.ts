/**
 * Turning raw bodies into validated values, with failures as coded errors that name the field.
 * Receivers, the CLI and the policy loader all go through here, so every contract reports alike.
 */
import type { z } from 'zod';
import { DeleteSyncError, type ErrorCode } from '../errors.js';

/** `a.b[0]["crm.email"]` — JSON-path-like, as support reads it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$@][\w$@]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out === '' ? '$' : out;
}

/** Joins a prefix path (`InputParameters[0].value`) and a relative one (`Id`). */
export function joinPath(prefix: string, relative: string): string {
  if (relative === '$') return prefix;
  if (prefix === '$' || prefix === '') return relative;
  return relative.startsWith('[') ? `${prefix}${relative}` : `${prefix}.${relative}`;
}

function firstIssueField(issue: z.core.$ZodIssue): string {
  const path = [...issue.path];
  // Unknown keys are reported on the parent object; the key itself is what the reader must fix.
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  return formatPath(path);
}

export interface ParseOptions {
  /** Error code on failure; defaults to DS_ERR_INVALID_PAYLOAD. */
  code?: ErrorCode;
  /** Path of `value` inside the whole document, prefixed to the issue's path. */
  at?: string;
  /** What is being parsed, for the message ("Dataverse webhook body"). */
  what?: string;
}

/** Parses with a zod schema; on failure throws a DeleteSyncError naming the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, options: ParseOptions = {}): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const relative = issue === undefined ? '$' : firstIssueField(issue);
  const field = options.at === undefined ? relative : joinPath(options.at, relative);
  const detail = issue?.message ?? 'invalid value';
  const message = options.what === undefined ? detail : `${options.what}: ${detail}`;
  throw new DeleteSyncError(options.code ?? 'DS_ERR_INVALID_PAYLOAD', message, { field });
}

/**
 * Accepts a JSON string, a Buffer/Uint8Array of UTF-8 JSON, or an already parsed value (what
 * Fastify and the Functions host hand over), and returns the parsed value.
 */
export function parseJsonBody(body: unknown): unknown {
  if (body instanceof Uint8Array) return parseJsonText(decodeUtf8(body));
  if (typeof body === 'string') return parseJsonText(body);
  if (body === undefined) throw new DeleteSyncError('DS_ERR_BAD_JSON', 'Body is empty', { field: '$' });
  return body;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Both senders write UTF-8; other bytes are refused rather than read with replacement characters. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw new DeleteSyncError('DS_ERR_BAD_JSON', 'Body is not valid UTF-8', { field: '$' });
  }
}

function parseJsonText(text: string): unknown {
  const withoutBom = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (withoutBom.trim() === '') throw new DeleteSyncError('DS_ERR_BAD_JSON', 'Body is empty', { field: '$' });
  try {
    return JSON.parse(withoutBom) as unknown;
  } catch {
    // The parser's message quotes the body (Node 22), which may hold secrets: keep it out.
    throw new DeleteSyncError('DS_ERR_BAD_JSON', 'Body is not valid JSON', { field: '$' });
  }
}
