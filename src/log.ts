/**
 * A small structured logger: one JSON object a line. Fields whose names suggest a secret, and secret
 * query parameters inside URLs, are replaced before anything is written, so a careless call cannot leak a
 * webhook key, admin key, clientState, validation token or access token.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

/** Receives each finished line (already redacted). */
export type LogSink = (level: LogLevel, line: string) => void;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const REDACTED = '[redacted]';

/** Field names whose values are never written. */
const SECRET_NAME =
  /^(code|sig|key)$|api[-_]?key|webhook[-_]?key|admin[-_]?key|account[-_]?key|secret|token|password|clientstate|authorization|connection[-_]?string|signature|credential|cookie/i;
/** Secret query parameters and connection-string parts inside free text (URLs, error messages). */
const SECRET_IN_TEXT =
  /((?:[?&](?:code|validationToken|sig|token|access_token|clientState|key)=)|(?:AccountKey=|SharedAccessSignature=))[^&\s;"']*/gi;
const BEARER = /(Bearer\s+)[A-Za-z0-9._~+/=-]+/g;

export function redactText(text: string): string {
  return text.replace(SECRET_IN_TEXT, `$1${REDACTED}`).replace(BEARER, `$1${REDACTED}`);
}

/** Returns a copy of a value with secret-named fields and secret text removed. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 6) return '[truncated]';
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { name: value.name, message: redactText(value.message), ...(code === undefined ? {} : { code }) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.test(k) ? REDACTED : redact(v, depth + 1);
  return out;
}

const stdoutSink: LogSink = (level, line) => {
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${line}\n`);
};

/** For the Functions worker, which captures console output into its invocation logs. */
export const consoleSink: LogSink = (level, line) => {
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

export function createLogger(
  options: { level?: LogLevel; sink?: LogSink; bindings?: LogFields; now?: () => Date } = {},
): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const sink = options.sink ?? stdoutSink;
  const now = options.now ?? (() => new Date());
  const bindings = options.bindings ?? {};
  const write = (level: LogLevel, message: string, fields: LogFields = {}) => {
    if (LEVELS[level] < min) return;
    const entry = redact({ ...bindings, ...fields }) as LogFields;
    sink(level, JSON.stringify({ time: now().toISOString(), level, msg: redactText(message), ...entry }));
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}

/** A logger that writes nothing; for callers that were given none. */
export const silentLogger: Logger = createLogger({ sink: () => undefined });
