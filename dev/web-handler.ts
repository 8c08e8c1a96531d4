/**
 * Serving a web-standard `Request → Response` handler (the MCP SDK v2's
 * `createMcpHandler`) on `node:http`, for the local stand-ins that are MCP
 * servers. The request's signal aborts when the client goes away, as it
 * does under a real host, so a handler sees a cancelled call.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";

/** A web handler and the node request/response it serves. */
export type WebHandler = (request: Request) => Promise<Response>;

/**
 * Answers `incoming` with what `handler` returns for it, streaming the body.
 * `alreadyRead` is the request body when the caller has read it already.
 *
 * @example
 * createServer((request, response) => void serveWeb(request, response, (web) => mcp.fetch(web)));
 */
export async function serveWeb(incoming: IncomingMessage, outgoing: ServerResponse, handler: WebHandler, origin: string, alreadyRead?: string): Promise<void> {
  const controller = new AbortController();
  // "close" on the response fires when it ends or the connection drops; only the latter aborts.
  outgoing.on("close", () => {
    if (!outgoing.writableFinished) controller.abort(new Error("the client went away"));
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  const request = new Request(new URL(incoming.url ?? "/", origin), {
    method: incoming.method ?? "GET",
    headers,
    signal: controller.signal,
    ...(!hasBody ? {} : alreadyRead !== undefined ? { body: alreadyRead } : { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: "half" }),
  } as RequestInit);
  const response = await handler(request);
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body === null) {
    outgoing.end();
    return;
  }
  try {
    for await (const chunk of response.body) {
      if (outgoing.destroyed) break;
      outgoing.write(chunk);
    }
  } catch {
    // The handler's stream failed or was cancelled: the client sees the connection end.
  }
  outgoing.end();
}
