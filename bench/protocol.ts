/**
 * The `tools/call` requests the benchmark sends, as each protocol generation
 * puts them on the wire.
 *
 * - 2026-07-28: no session and no `initialize`; every request carries the
 *   `_meta` envelope and the `Mcp-Method` / `Mcp-Name` headers.
 * - 2025-11-25: what a 2025-era client sends for each call once it has
 *   initialized against a stateless server: a plain JSON-RPC request with the
 *   `MCP-Protocol-Version` header (the server keeps no session, so every call
 *   is served on its own).
 */

export type ProtocolName = "2026-07-28" | "2025-11-25";

export const PROTOCOLS: readonly ProtocolName[] = ["2026-07-28", "2025-11-25"];

/** The full case's downstream scope (Graph's User.Read): exchanged On-Behalf-Of, never called; the need is what costs. */
export const BENCH_DOWNSTREAM_SCOPE = "https://graph.microsoft.com/User.Read";

/** The echo arguments every call sends, and the text every answer must contain. */
export const ECHO_MESSAGE = "benchmark";

export interface ToolCallRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** A `tools/call` of the echo tool; add `authorization` per call for signed-in cases. */
export function echoCall(protocol: ProtocolName): ToolCallRequest {
  return toolCall(protocol, "echo", { message: ECHO_MESSAGE, times: 1 });
}

/** A `tools/call` of any tool, as `protocol` puts it on the wire. */
export function toolCall(protocol: ProtocolName, name: string, args: Readonly<Record<string, unknown>>): ToolCallRequest {
  const params: Record<string, unknown> = { name, arguments: args };
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": protocol,
  };
  if (protocol === "2026-07-28") {
    params["_meta"] = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1.0.0" },
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    headers["mcp-method"] = "tools/call";
    headers["mcp-name"] = name;
  }
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params }));
  return { headers: { ...headers, "content-length": String(body.length) }, body };
}

/**
 * Whether an answer is the echo tool's successful result: a JSON body or an
 * SSE event carrying it, with the message as text and no error.
 */
export function isEchoAnswer(status: number, body: string): boolean {
  return status === 200 && body.includes(`"text":"${ECHO_MESSAGE}"`) && !body.includes('"isError":true') && !body.includes('"error":');
}
