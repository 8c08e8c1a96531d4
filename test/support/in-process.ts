/**
 * The `/mcp` endpoint in this process, without a host or sign-in, for tests
 * of what tools do with a call: one JSON-RPC request in, its answer out.
 */
import { loadConfig } from "../../lib/config.js";
import { createLogger, type Logger } from "../../lib/log.js";
import { createMcpEndpoint } from "../../lib/mcp/endpoint.js";
import type { AnyTool } from "../../lib/mcp/index.js";
import type { SecretSource } from "../../lib/secrets/source.js";
import { LogCapture } from "./log-capture.js";
import { MODERN_META } from "./mcp-calls.js";

/** A JSON-RPC answer, as far as these tests read it. */
export interface InProcessAnswer {
  readonly result?: {
    readonly isError?: boolean;
    readonly content: ReadonlyArray<{ readonly type: string; readonly text?: string; readonly resource?: { readonly uri: string; readonly mimeType?: string; readonly blob?: string } }>;
    readonly structuredContent?: unknown;
    readonly tools?: ReadonlyArray<Record<string, unknown>>;
  };
  readonly error?: { readonly message: string };
}

/** Serves `tools` at an in-process `/mcp` (AUTH_MODE=none); `call` sends one 2026-07-28 request. */
export function inProcessServer(tools: readonly AnyTool[], options: { secrets?: SecretSource; logs?: LogCapture } = {}): { call(method: string, params?: Record<string, unknown>): Promise<InProcessAnswer>; readonly log: Logger } {
  const logs = options.logs ?? new LogCapture();
  const log = createLogger("debug", logs.sink);
  const endpoint = createMcpEndpoint({
    definition: { name: "in-process", version: "1", tools },
    settings: loadConfig({ AUTH_MODE: "none" }).mcp,
    log,
    auth: { mode: "none", ...(options.secrets === undefined ? {} : { secrets: options.secrets }) },
  });
  return {
    log,
    async call(method, params = {}) {
      const name: Record<string, string> = typeof params["name"] === "string" ? { "mcp-name": params["name"] } : {};
      const request = new Request("http://localhost:7071/mcp", {
        method: "POST",
        headers: { host: "localhost:7071", "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2026-07-28", "mcp-method": method, ...name },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: MODERN_META } }),
      });
      return (await (await endpoint(request, { log, invocationId: "in-process" })).json()) as InProcessAnswer;
    },
  };
}
