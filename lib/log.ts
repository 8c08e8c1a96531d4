/**
 * Structured logging with secrets kept out.
 *
 * Every log line is an event name plus fields. Before a line is written, field
 * values are redacted: fields whose names mark them as credentials are replaced
 * whole, anything shaped like a JWT or a bearer token is masked wherever it
 * appears in a string, and so is the value of an Authorization header written
 * into a string, whatever its shape. The sink decides the format (JSON in Azure via the
 * Functions logger, one readable line locally).
 */
import type { LogLevel } from "./config.js";

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Receives lines that passed the level filter, already redacted. */
export type LogSink = (level: LogLevel, event: string, fields: Record<string, unknown>) => void;

const LEVEL_ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const SECRET_FIELD = /(token|secret|password|assertion|authorization|cookie|code_verifier|client_assertion|^code$|key$)/i;
// A JOSE header ("eyJ" is base64url for '{"') and two to four more segments, any of them
// empty: JWTs (header.payload.signature) and the facade's own sealed values, compact JWE
// with \`alg: dir\` (header..iv.ciphertext.tag), whose second segment is always empty.
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{5,}(?:\.[A-Za-z0-9_-]*){2,4}/g;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
// An Authorization (or Proxy-Authorization) header written into a string: a header line, a JSON or
// JavaScript member, a key=value pair. Its whole value goes, whatever its shape (a bare API key, an
// unknown scheme, several words): quoted values to their closing quote, others to the end of the line.
const AUTHORIZATION_VALUE = /\b((?:proxy-)?authorization)(["']?[ \t]*[:=][ \t]*)(?:"(?:[^"\\\r\n]|\\.)*"?|'[^'\r\n]*'?|[^\r\n]+)/gi;

/** Masks token-shaped substrings of `text`, and the value of any Authorization header written in it. */
export function redactText(text: string): string {
  return text.replace(JWT_LIKE, "[redacted-jwt]").replace(BEARER, "$1 [redacted]").replace(AUTHORIZATION_VALUE, "$1$2[redacted]");
}

/** Redacts a value for logging: credential-named fields are dropped, strings masked, errors reduced to name, message, code and stack. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: redactText(value.message),
      ...(code === undefined ? {} : { code }),
      ...(value.stack === undefined ? {} : { stack: redactText(value.stack) }),
    };
  }
  if (value === null || typeof value !== "object") return value;
  if (depth > 4) return "[nested]";
  if (Array.isArray(value)) return value.slice(0, 50).map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_FIELD.test(key) ? "[redacted]" : redactValue(item, depth + 1);
  }
  return out;
}

/**
 * Creates a logger writing to `sink` at `level` and above.
 *
 * @example
 * const log = createLogger("info", consoleSink);
 * log.warn("jwks.refetch_failed", { tenant, error });
 */
export function createLogger(level: LogLevel, sink: LogSink, base: LogFields = {}): Logger {
  const threshold = LEVEL_ORDER[level];
  const write = (lineLevel: LogLevel, event: string, fields?: LogFields): void => {
    if (LEVEL_ORDER[lineLevel] < threshold) return;
    sink(lineLevel, event, redactValue({ ...base, ...fields }) as Record<string, unknown>);
  };
  return {
    debug: (event, fields) => write("debug", event, fields),
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
    child: (fields) => createLogger(level, sink, { ...base, ...fields }),
  };
}

/** One readable line per event on stderr/stdout: `LEVEL event key=value ...`. */
export const consoleSink: LogSink = (level, event, fields) => {
  const rendered = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
  const line = `${level.toUpperCase().padEnd(5)} ${event}${rendered === "" ? "" : ` ${rendered}`}`;
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
};

/** A logger that writes nothing: for library code used outside a request. */
export const silentLogger: Logger = createLogger("error", () => undefined);
