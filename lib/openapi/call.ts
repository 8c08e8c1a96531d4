/**
 * Sending a prepared request: redirects are followed by hand
 * (`redirect: "manual"`) and only on the API's own origin, so the user's
 * token or API key never travels to a host the document did not name; the
 * body is read up to a limit, whatever Content-Length says; the call's
 * signal (the tool's deadline, the client going away) aborts everything.
 */
import { ToolError } from "../mcp/tool.js";
import type { PreparedRequest } from "./request.js";

/** A complete answer. */
export interface Answer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** The URL that answered (after same-origin redirects). */
  readonly url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * Sends `request`, following same-origin redirects, and reads the answer.
 * @throws ToolError for a cross-origin redirect, an unreachable API or an answer over `maxBytes`
 */
export async function send(request: PreparedRequest, what: string, maxBytes: number, signal: AbortSignal): Promise<Answer> {
  let { url, method, body } = request;
  const headers = new Headers(request.headers);
  for (let hop = 0; ; hop++) {
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }), redirect: "manual", signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new ToolError(`${what}: the API could not be reached; try again later.`, { cause: error });
    }
    const location = response.headers.get("location");
    if (!REDIRECTS.has(response.status) || location === null) return { status: response.status, statusText: response.statusText, headers: response.headers, body: await readLimited(response, what, maxBytes, signal), url };
    discard(response.body);
    const next = new URL(location, url);
    if (next.origin !== url.origin) {
      throw new ToolError(`${what}: the API redirected to ${next.origin}, another origin; the kit does not follow it with your credentials.`);
    }
    if (hop >= MAX_REDIRECTS) throw new ToolError(`${what}: the API redirected more than ${MAX_REDIRECTS} times.`);
    // As fetch would: 303 always, and 301/302 after a POST, continue as a GET without a body.
    if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
      method = "GET";
      body = undefined;
      headers.delete("content-type");
    }
    url = next;
  }
}

async function readLimited(response: Response, what: string, maxBytes: number, signal: AbortSignal): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  const tooLarge = (): ToolError => new ToolError(`${what}: the API's answer is larger than ${maxBytes} bytes, more than this tool passes on.`);
  if (declared > maxBytes) {
    discard(response.body);
    throw tooLarge();
  }
  if (response.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > maxBytes) {
        discard(reader);
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ToolError) throw error;
    if (signal.aborted) throw signal.reason;
    throw new ToolError(`${what}: the connection broke before the answer was complete.`, { cause: error });
  }
  return Buffer.concat(chunks, received);
}

/**
 * Cancels a body without waiting: a cancel resolves only once every reader of
 * the stream (a tee somewhere, a body still arriving) has let go, and a call
 * must not wait on that.
 */
function discard(body: { cancel(): Promise<void> } | null): void {
  body?.cancel().catch(() => undefined);
}
