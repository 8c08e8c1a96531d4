/**
 * Raw MCP requests for tests that need to see the HTTP answer itself
 * (status, headers, body) rather than what an SDK client makes of it.
 */

/** The 2026-07-28 `_meta` envelope every request of that revision carries. */
export const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "kit-tests", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

/** The HTTP headers of a 2026-07-28 request: `Mcp-Method`, and `Mcp-Name` where the method names something. */
function modernHeaders(token: string | undefined, method: string, name: string | undefined): Record<string, string> {
  return {
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2026-07-28",
    "mcp-method": method,
    ...(name === undefined ? {} : { "mcp-name": name }),
  };
}

/** What a tools/call came back with. */
export interface ToolAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The whole body as text (a JSON-RPC response, or the HTTP error body). */
  readonly body: string;
  readonly isError: boolean;
  /** The first text content of the result, or the body when there is no result. */
  readonly text: string;
  readonly structured: Record<string, unknown> | undefined;
  /** Milliseconds from sending to the full answer. */
  readonly elapsedMs: number;
}

/**
 * Calls a tool with the 2026-07-28 protocol (JSON response), optionally as a
 * signed-in user.
 *
 * @example
 * const answer = await callTool(kit.mcpUrl, token, "whoami");
 * assert.equal(answer.isError, false, answer.text);
 */
export async function callTool(mcpUrl: URL | string, token: string | undefined, name: string, args: Record<string, unknown> = {}, init: { signal?: AbortSignal } = {}): Promise<ToolAnswer> {
  const started = Date.now();
  const response = await fetch(mcpUrl, {
    method: "POST",
    headers: modernHeaders(token, "tools/call", name),
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args, _meta: MODERN_META } }),
    ...(init.signal === undefined ? {} : { signal: init.signal }),
  });
  const body = await response.text();
  const elapsedMs = Date.now() - started;
  let result: { isError?: boolean; content?: Array<{ text?: string }>; structuredContent?: Record<string, unknown> } | undefined;
  try {
    result = (JSON.parse(body) as { result?: typeof result }).result;
  } catch {
    result = undefined;
  }
  if (response.status !== 200 || result === undefined) {
    return { status: response.status, headers: response.headers, body, isError: true, text: body, structured: undefined, elapsedMs };
  }
  return {
    status: 200,
    headers: response.headers,
    body,
    isError: result.isError === true,
    text: result.content?.[0]?.text ?? "",
    structured: result.structuredContent,
    elapsedMs,
  };
}

/** What a 2025-era tools/call came back with. */
export interface LegacyToolAnswer {
  readonly status: number;
  readonly challenge: string | null;
  readonly contentType: string | null;
  readonly body: string;
}

/**
 * A tools/call as a 2025-11-25 client sends it (an initialize first, then the
 * call on the legacy path), with its HTTP answer: SSE when it asks for
 * progress (`progressToken`), else one JSON body.
 */
export async function legacyToolCall(mcpUrl: URL | string, token: string, name: string, options: { readonly progressToken?: string | number } = {}): Promise<LegacyToolAnswer> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25" };
  const initialize = await fetch(mcpUrl, {
    method: "POST",
    headers,
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "legacy", version: "1" } } }),
  });
  if (initialize.status !== 200) throw new Error(`initialize answered ${initialize.status}: ${await initialize.text()}`);
  const response = await fetch(mcpUrl, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name, arguments: {}, ...(options.progressToken === undefined ? {} : { _meta: { progressToken: options.progressToken } }) } }) });
  return { status: response.status, challenge: response.headers.get("www-authenticate"), contentType: response.headers.get("content-type"), body: await response.text() };
}

/** Whether a response body shows a stack trace (`at fn (file:line:col)` frames or a file path with a line number). */
export function showsStackTrace(body: string): boolean {
  return /\n\s+at [^\n]+:\d+:\d+|\bat [\w.<>]+ \((?:file|node):[^)]*:\d+:\d+\)|\.(?:js|ts):\d+:\d+/.test(body);
}

/** What a raw JSON-RPC request to /mcp came back with. */
export interface RpcAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  readonly result: Record<string, unknown> | undefined;
  readonly error: { readonly code: number; readonly message: string; readonly data?: unknown } | undefined;
}

/** The value of the `Mcp-Name` header the 2026-07-28 revision requires for `method`, if any. */
function mcpName(method: string, params: Record<string, unknown>): string | undefined {
  if (method === "tools/call" || method === "prompts/get") return typeof params["name"] === "string" ? params["name"] : undefined;
  if (method === "resources/read") return typeof params["uri"] === "string" ? params["uri"] : undefined;
  return undefined;
}

function rpcAnswer(response: Response, body: string): RpcAnswer {
  let parsed: { result?: Record<string, unknown>; error?: RpcAnswer["error"] } = {};
  try {
    // A 2025-era answer may come as one SSE event.
    const json = body.startsWith("event:") || body.startsWith("data:") ? (/^data: (.*)$/m.exec(body)?.[1] ?? "{}") : body;
    parsed = JSON.parse(json) as typeof parsed;
  } catch {
    parsed = {};
  }
  return { status: response.status, headers: response.headers, body, result: parsed.result, error: parsed.error };
}

/**
 * Any request with the 2026-07-28 protocol (stateless, `_meta` envelope,
 * `Mcp-Method` / `Mcp-Name` headers), optionally as a signed-in user.
 *
 * @example
 * const answer = await mcpRequest(kit.mcpUrl, token, "resources/list");
 * assert.equal(answer.result?.["cacheScope"], "private");
 */
export async function mcpRequest(mcpUrl: URL | string, token: string | undefined, method: string, params: Record<string, unknown> = {}): Promise<RpcAnswer> {
  const response = await fetch(mcpUrl, {
    method: "POST",
    headers: modernHeaders(token, method, mcpName(method, params)),
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: { ...params, _meta: MODERN_META } }),
  });
  return rpcAnswer(response, await response.text());
}

/** The same request as a 2025-11-25 client sends it after its `initialize` (served statelessly). */
export async function legacyMcpRequest(mcpUrl: URL | string, token: string | undefined, method: string, params: Record<string, unknown> = {}): Promise<RpcAnswer> {
  const headers = {
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-protocol-version": "2025-11-25",
  };
  const response = await fetch(mcpUrl, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method, params }) });
  return rpcAnswer(response, await response.text());
}
