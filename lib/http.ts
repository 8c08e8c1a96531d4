/**
 * Request and response helpers shared by every endpoint: JSON bodies, errors,
 * security headers, and reading bodies under a size limit.
 *
 * Handlers in `lib/` speak the web-standard `Request` → `Response`; only the
 * adapter and the local host know Azure Functions types.
 */
import type { Logger } from "./log.js";

/** What every endpoint handler receives besides the request. */
export interface RequestContext {
  /** Logger for this request; lines carry the invocation id. */
  readonly log: Logger;
  /** Id of this invocation (the Functions invocation id, or one the local host made). */
  readonly invocationId: string;
}

/** A web-standard endpoint handler: the shape of everything in `lib/` that serves HTTP. */
export type WebHandler = (request: Request, context: RequestContext) => Promise<Response>;

/** Headers every response carries. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** A JSON response with the security headers; `Cache-Control: no-store` unless `headers` say otherwise. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/json",
      "Cache-Control": "no-store",
      ...SECURITY_HEADERS,
      ...headers,
    },
  });
}

/**
 * CORS headers for endpoints browser-based MCP clients call directly
 * (metadata, registration, token). Credentials are never allowed, so `*` is safe.
 */
export const CORS_HEADERS: Readonly<Record<string, string>> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Authorization, Content-Type, MCP-Protocol-Version",
  "Access-Control-Max-Age": "86400",
};

/** The answer to a CORS preflight on a CORS-enabled endpoint. */
export function corsPreflight(): Response {
  return new Response(null, { status: 204, headers: { ...CORS_HEADERS, ...SECURITY_HEADERS } });
}

/** 405 with the `Allow` header listing the methods the endpoint serves. */
export function methodNotAllowed(allowed: readonly string[]): Response {
  return jsonResponse(405, { error: "method_not_allowed", error_description: `Use ${allowed.join(" or ")}.` }, { Allow: allowed.join(", ") });
}

/** Thrown by {@link readBodyLimited} when a body exceeds its limit. */
export class BodyTooLargeError extends Error {
  readonly code = "BODY_TOO_LARGE";
  constructor(readonly limit: number) {
    super(`Request body exceeds ${limit} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * Whether the declared Content-Length already exceeds `limit`, so the body
 * need not be read at all.
 */
export function declaredLengthExceeds(request: Request, limit: number): boolean {
  const declared = request.headers.get("content-length");
  if (declared === null) return false;
  const length = Number(declared);
  return Number.isFinite(length) && length > limit;
}

/**
 * Reads the request body as bytes, stopping as soon as it exceeds `limit`.
 *
 * The Content-Length header is checked first, but a chunked body is counted as
 * it streams, so a client cannot make the server buffer more than `limit`.
 * @throws BodyTooLargeError
 */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (declaredLengthExceeds(request, limit)) throw new BodyTooLargeError(limit);
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The media type of a Content-Type header, lower case, without parameters; `undefined` when absent. */
export function mediaType(request: Request): string | undefined {
  const header = request.headers.get("content-type");
  if (header === null) return undefined;
  return header.split(";")[0]!.trim().toLowerCase();
}
