/**
 * 2025-era requests answered with one JSON body rather than an event stream,
 * when nothing could be sent before the answer anyway.
 *
 * The SDK's stateless fallback answers every 2025-era POST with an SSE
 * stream, so that notifications can precede the result. On this stateless
 * server the only ones the kit's own tools, resources, prompts and gateway
 * send are progress notifications, and only when the request asked for them
 * with a `progressToken` (a server-to-client request could not be answered
 * on another instance). The endpoint uses this path only for definitions
 * that cannot send anything else (no `logging` capability, no `extend`). A request without one gets its result as
 * `application/json`, which the Streamable HTTP transport allows and every
 * client accepts (it must send `Accept: application/json, text/event-stream`):
 * no event framing, no stream for the host to relay, and the answer is
 * complete when the endpoint looks at it (step-up challenges, session id).
 *
 * Routing uses the SDK's own classifier (`isLegacyRequest`), so this path
 * and `createMcpHandler` can never disagree about what is 2025-era.
 */
import { isLegacyRequest, WebStandardStreamableHTTPServerTransport, type AuthInfo, type McpServer } from "@modelcontextprotocol/server";

/** Builds the server for one request, as `createMcpHandler`'s factory does. */
export type LegacyServerFactory = (request: Request, authInfo: AuthInfo | undefined) => McpServer | Promise<McpServer>;

export interface LegacyJsonHandler {
  /** Whether this handler should answer: a 2025-era message that asks for no progress. */
  accepts(request: Request, message: unknown): Promise<boolean>;
  /** Answers the message with one JSON body (or 202 for notifications only). */
  answer(request: Request, message: unknown, authInfo: AuthInfo | undefined): Promise<Response>;
}

/** The JSON path for 2025-era requests; `maxRequestBodySize` as given to `createMcpHandler`. */
export function createLegacyJsonHandler(factory: LegacyServerFactory, maxRequestBodySize: number): LegacyJsonHandler {
  return {
    accepts: async (request, message) => !asksForProgress(message) && (await isLegacyRequest(request, message, { maxRequestBodySize })),
    async answer(request, message, authInfo) {
      const server = await factory(request, authInfo);
      const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true, maxRequestBodySize });
      await server.connect(transport);
      const teardown = (): void => {
        transport.close().catch(() => undefined);
        server.close().catch(() => undefined);
      };
      // A client that goes away ends the exchange: the tool's signal aborts, as on the SDK's own path.
      request.signal.addEventListener("abort", teardown, { once: true });
      try {
        return await transport.handleRequest(request, { parsedBody: message, ...(authInfo === undefined ? {} : { authInfo }) });
      } finally {
        request.signal.removeEventListener("abort", teardown);
        teardown();
      }
    },
  };
}

/** Whether any request in the message carries `_meta.progressToken`: then it must be answered as a stream. */
function asksForProgress(message: unknown): boolean {
  for (const item of Array.isArray(message) ? message : [message]) {
    const meta = (item as { params?: { _meta?: { progressToken?: unknown } } } | null)?.params?._meta;
    if (typeof meta === "object" && meta !== null && meta.progressToken !== undefined) return true;
  }
  return false;
}
