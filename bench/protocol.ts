/**
 * The requests the benchmark sends (`tools/call`, and `resources/read` and
 * `prompts/get` for the resources part), as each protocol generation puts
 * them on the wire.
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

/** A request of `method` as `protocol` puts it on the wire; `name` is the 2026-07-28 `Mcp-Name` (tool, prompt or URI). */
function rpcRequest(protocol: ProtocolName, method: string, params: Record<string, unknown>, name: string | undefined): ToolCallRequest {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": protocol,
  };
  const sent = { ...params };
  if (protocol === "2026-07-28") {
    sent["_meta"] = {
      "io.modelcontextprotocol/protocolVersion": "2026-07-28",
      "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1.0.0" },
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    headers["mcp-method"] = method;
    if (name !== undefined) headers["mcp-name"] = name;
  }
  const body = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: sent }));
  return { headers: { ...headers, "content-length": String(body.length) }, body };
}

/** A `tools/call` of the echo tool; add `authorization` per call for signed-in cases. */
export function echoCall(protocol: ProtocolName): ToolCallRequest {
  return toolCall(protocol, "echo", { message: ECHO_MESSAGE, times: 1 });
}

/** A `tools/call` of any tool, as `protocol` puts it on the wire. */
export function toolCall(protocol: ProtocolName, name: string, args: Readonly<Record<string, unknown>>): ToolCallRequest {
  return rpcRequest(protocol, "tools/call", { name, arguments: args }, name);
}

/** The resource and the prompt of the resources/read and prompts/get benchmark (bench/servers: the same on every server). */
export const BENCH_RESOURCE_URI = "bench://note";
export const BENCH_PROMPT = "greet";

/** One kind of request the benchmark can drive, and how its answer is judged. */
export interface Operation {
  readonly method: string;
  request(protocol: ProtocolName): ToolCallRequest;
  isSuccess(status: number, body: string): boolean;
}

/** `resources/read` of the bench note; the answer carries the message as the resource's text. */
export const READ_NOTE: Operation = {
  method: "resources/read",
  request: (protocol) => rpcRequest(protocol, "resources/read", { uri: BENCH_RESOURCE_URI }, BENCH_RESOURCE_URI),
  isSuccess: (status, body) => status === 200 && body.includes(`"text":"${ECHO_MESSAGE}"`) && !body.includes('"error":'),
};

/** `prompts/get` of the greet prompt with one argument; the answer's message carries it. */
export const GET_PROMPT: Operation = {
  method: "prompts/get",
  request: (protocol) => rpcRequest(protocol, "prompts/get", { name: BENCH_PROMPT, arguments: { name: ECHO_MESSAGE } }, BENCH_PROMPT),
  isSuccess: (status, body) => status === 200 && body.includes(`Say hello to ${ECHO_MESSAGE}`) && !body.includes('"error":'),
};

/**
 * Whether an answer is the echo tool's successful result: a JSON body or an
 * SSE event carrying it, with the message as text and no error.
 */
export function isEchoAnswer(status: number, body: string): boolean {
  return status === 200 && body.includes(`"text":"${ECHO_MESSAGE}"`) && !body.includes('"isError":true') && !body.includes('"error":');
}

/** `tools/call` of the echo tool: what the budget line measures. */
export const CALL_ECHO: Operation = { method: "tools/call", request: echoCall, isSuccess: isEchoAnswer };

/**
 * `tools/list` of a server serving the list part's tools; the answer must
 * name `lastTool` (the last of them, so the whole list came) and carry no error.
 */
export function listTools(lastTool: string): Operation {
  return {
    method: "tools/list",
    request: (protocol) => rpcRequest(protocol, "tools/list", {}, undefined),
    isSuccess: (status, body) => status === 200 && body.includes(`"name":"${lastTool}"`) && !body.includes('"error":'),
  };
}
