/**
 * The one adapter between `lib/` (web-standard `Request` → `Response`) and the
 * Azure Functions programming model (`HttpRequest` → `HttpResponseInit`).
 *
 * Bodies stream both ways: the request body is handed on as the stream the
 * Functions worker provides, and the response body is returned as a stream, so
 * SSE responses reach the client as they are written (with `enableHttpStream`).
 */
import type { Cookie, HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from "@azure/functions";
import { createRequire } from "node:module";
import type { LogLevel } from "../config.js";
import { jsonResponse, type WebHandler } from "../http.js";
import { createLogger, type Logger, type LogSink } from "../log.js";
import { SecretUnavailableError } from "../secrets/source.js";
import { inTraceContext } from "../telemetry/index.js";
import { WEB_REQUEST } from "./web-request.js";

/**
 * Wraps a web handler as an Azure Functions HTTP handler.
 *
 * An exception escaping the handler is logged with a reference id and answered
 * with a 500 that carries only that id, never the error text.
 */
export function toHttpHandler(handler: WebHandler, logLevel: LogLevel): HttpHandler {
  return async (request: HttpRequest, invocation: InvocationContext): Promise<HttpResponseInit> => {
    const log = invocationLogger(invocation, logLevel);
    let response: Response;
    try {
      response = await inTraceContext(invocation.traceContext, () => handler(toWebRequest(request), { log, invocationId: invocation.invocationId }));
    } catch (error) {
      response = failureResponse(error, log, request, invocation.invocationId);
    }
    return toResponseInit(response);
  };
}

/** The answer to an exception that escaped a handler: 503 for a missing secret, else 500. Neither carries the error text. */
function failureResponse(error: unknown, log: Logger, request: HttpRequest, reference: string): Response {
  const path = new URL(request.url).pathname;
  if (error instanceof SecretUnavailableError) {
    // The name of the secret helps the operator; its value is never part of the error.
    log.error("secret.unavailable", { name: error.secretName, reason: error.message, path });
    return jsonResponse(
      503,
      { error: "temporarily_unavailable", error_description: `The server cannot read a secret it needs (reference ${reference}).` },
      { "Retry-After": "30" },
    );
  }
  log.error("request.failed", { error, method: request.method, path });
  return jsonResponse(500, { error: "server_error", error_description: `The server failed to handle the request (reference ${reference}).` });
}

/**
 * The Functions request as a web `Request`, body still streaming. When the
 * host tells when the client went away (the local host does, through a
 * `signal` beside the `HttpRequest` fields; the Functions worker has no such
 * field), the `Request`'s signal carries it, so every outbound call that
 * takes `request.signal` stops with the client.
 */
export function toWebRequest(request: HttpRequest): Request {
  // The local host's requests are web Requests already (lib/host/request.ts); the worker gives no access to its own.
  const native = (request as HttpRequest & { readonly [WEB_REQUEST]?: unknown })[WEB_REQUEST];
  if (native instanceof Request) return native;
  const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.body !== null;
  const signal = (request as HttpRequest & { readonly signal?: unknown }).signal;
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    ...(signal instanceof AbortSignal ? { signal } : {}),
    ...(hasBody ? { body: request.body as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  } as RequestInit);
}

/**
 * A web `Response` as a Functions response.
 *
 * `Set-Cookie` headers become `cookies` entries: the Functions worker copies
 * headers one name at a time, so a second `Set-Cookie` header would overwrite
 * the first, while `cookies` are serialized one header each.
 */
export function toResponseInit(response: Response): HttpResponseInit {
  const setCookies = response.headers.getSetCookie();
  // Copied only to take the cookies out: the worker copies the headers into its own response anyway.
  const headers = setCookies.length === 0 ? response.headers : new Headers(response.headers);
  if (setCookies.length > 0) headers.delete("set-cookie");
  return {
    status: response.status,
    headers,
    ...(setCookies.length === 0 ? {} : { cookies: setCookies.map(toCookie) }),
    body: response.body,
  };
}

type SetCookieParser = typeof import("set-cookie-parser");
let parser: SetCookieParser | undefined;

/**
 * set-cookie-parser, loaded when a response first sets a cookie (only the
 * facade's pages do): required rather than imported, as Node would scan a
 * CommonJS module's source for its exports on import. Every cold start paid
 * for it before (bench/README.md).
 */
function setCookieParser(): SetCookieParser {
  parser ??= createRequire(import.meta.url)("set-cookie-parser") as SetCookieParser;
  return parser;
}

function toCookie(header: string): Cookie {
  const parsed = setCookieParser().parseString(header, { decodeValues: false });
  const sameSite = parsed.sameSite?.toLowerCase();
  return {
    name: parsed.name,
    value: parsed.value,
    ...(parsed.domain === undefined ? {} : { domain: parsed.domain }),
    ...(parsed.path === undefined ? {} : { path: parsed.path }),
    ...(parsed.expires === undefined ? {} : { expires: parsed.expires }),
    ...(parsed.maxAge === undefined ? {} : { maxAge: parsed.maxAge }),
    ...(parsed.secure === undefined ? {} : { secure: parsed.secure }),
    ...(parsed.httpOnly === undefined ? {} : { httpOnly: parsed.httpOnly }),
    ...(sameSite === "lax" ? { sameSite: "Lax" } : sameSite === "strict" ? { sameSite: "Strict" } : sameSite === "none" ? { sameSite: "None" } : {}),
  };
}

function invocationLogger(invocation: InvocationContext, level: LogLevel): Logger {
  const sink: LogSink = (lineLevel, event, fields) => {
    const line = JSON.stringify({ event, ...fields });
    if (lineLevel === "error") invocation.error(line);
    else if (lineLevel === "warn") invocation.warn(line);
    else if (lineLevel === "debug") invocation.debug(line);
    else invocation.info(line);
  };
  return createLogger(level, sink, { invocationId: invocation.invocationId });
}
