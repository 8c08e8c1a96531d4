/**
 * The `/mcp` endpoint: HTTP checks in front of the MCP SDK's stateless handler.
 *
 * The SDK's `createMcpHandler` serves the 2026-07-28 protocol and, through its
 * stateless legacy fallback, 2025-era clients; a 2025-era request that asks
 * for no progress is answered as one JSON body instead (legacy-json.ts). It deliberately checks no
 * tokens, Origin or Host, so this module does, in this order: Host and Origin
 * (DNS-rebinding protection), the bearer token (when sign-in is on), method,
 * media type, body size, JSON syntax, refused methods, parameter types. Only then does the
 * request reach the SDK, with the validated token as `authInfo`.
 */
import { randomUUID } from "node:crypto";
import { createMcpHandler, hostHeaderValidationResponse, isInitializeRequest, originValidationResponse } from "@modelcontextprotocol/server";
import type { McpSettings } from "../config.js";
import { BodyTooLargeError, mediaType, readBodyLimited, SECURITY_HEADERS, type WebHandler } from "../http.js";
import type { Gate } from "../auth/gate.js";
import type { Logger } from "../log.js";
import { AuthorizationChallenges } from "./challenges.js";
import { traceMcpMessage, traceMcpRequests } from "../telemetry/index.js";
import { invalidParamsIn } from "./params.js";
import { createLegacyJsonHandler } from "./legacy-json.js";
import { Gateway } from "../gateway/gateway.js";
import { LIST_METHODS } from "./catalog.js";
import { buildServer, checkDefinition, type McpServerDefinition, type ServerAuth, type ToolCallEnvironment } from "./server.js";

export interface McpEndpointOptions {
  /** The tools (and anything else) to serve. */
  readonly definition: McpServerDefinition;
  /** Body limit and the Host / Origin allow-lists. */
  readonly settings: McpSettings;
  /** Where errors outside any one request are logged (the SDK's out-of-band reports). */
  readonly log: Logger;
  /** The authentication mode and, unless it is none, the gate every request passes first. */
  readonly auth: ServerAuth & { readonly gate?: Gate };
}

/** JSON-RPC error codes the endpoint answers with before the SDK sees a request. */
const PARSE_ERROR = -32700;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const TRANSPORT_ERROR = -32000;

/** Decoding a whole body at once keeps no state, so one decoder serves every request. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Methods refused even though the SDK implements them. `subscriptions/listen`
 * holds an SSE stream open for as long as the client likes; on Azure Functions
 * that keeps an instance busy until the function timeout, and with no shared
 * event bus the stream would never carry an event anyway (tool lists do not
 * change at run time, so `tools.listChanged` is advertised as `false`).
 */
const REFUSED_METHODS: ReadonlyMap<string, string> = new Map([
  [
    "subscriptions/listen",
    "subscriptions/listen is not supported: this server is stateless (Azure Functions) and its tool list does not change at run time",
  ],
]);

/**
 * Creates the `/mcp` handler.
 *
 * @example
 * const mcp = createMcpEndpoint({ definition: { name: "contoso", version: "1.0.0", tools }, settings: config.mcp, log });
 * const response = await mcp(request, { log, invocationId });
 */
export function createMcpEndpoint(options: McpEndpointOptions): WebHandler {
  const { definition, settings, log, auth } = options;
  checkDefinition(definition);
  if (auth.mode !== "none" && auth.gate === undefined) throw new Error(`AUTH_MODE=${auth.mode} needs an authentication gate`);
  const environments = new WeakMap<Request, ToolCallEnvironment>();
  const remoteServers = definition.remoteServers ?? [];
  const gateway = remoteServers.length === 0 ? undefined : new Gateway(remoteServers, auth.services?.onBehalfOf, log);
  const serverFor = (request: Request | undefined) => buildServer(definition, auth, (request === undefined ? undefined : environments.get(request)) ?? { log }, gateway);
  const legacyJson = sendsOnlyProgress(definition) ? createLegacyJsonHandler(serverFor, settings.maxBodyBytes) : undefined;
  const sdkHandler = createMcpHandler(
    ({ requestInfo }) => serverFor(requestInfo),
    {
      legacy: "stateless",
      maxRequestBodySize: settings.maxBodyBytes,
      onerror: (error) => log.debug("mcp.sdk_reported", { error }),
    },
  );
  const allowedHosts = [...settings.allowedHosts];
  const allowedOriginHosts = [...settings.allowedOriginHosts];

  return traceMcpRequests(definition.tools.map((tool) => tool.name), async (request, context) => {
    const rejected = hostHeaderValidationResponse(request, allowedHosts) ?? originValidationResponse(request, allowedOriginHosts);
    if (rejected !== undefined) {
      context.log.warn("mcp.request_rejected", { reason: "host_or_origin", host: request.headers.get("host"), origin: request.headers.get("origin") });
      return withSecurityHeaders(rejected);
    }
    // GET (an SSE stream) and DELETE (a session) are refused for everyone alike: the answer tells nothing
    // about the caller, and a client probing GET learns at once that this server has no stream to offer.
    if (request.method !== "POST") {
      return jsonRpcError(405, TRANSPORT_ERROR, "Method not allowed: this server is stateless, send every message as a POST.", { Allow: "POST" });
    }
    // Authentication comes before the body is read: an anonymous client makes the server parse nothing.
    const authInfo = auth.gate === undefined ? undefined : await auth.gate(request, context);
    if (authInfo instanceof Response) return authInfo;
    if (mediaType(request) !== "application/json") {
      return jsonRpcError(415, TRANSPORT_ERROR, "Unsupported Media Type: Content-Type must be application/json");
    }

    let body: Uint8Array;
    try {
      body = await readBodyLimited(request, settings.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        return jsonRpcError(413, TRANSPORT_ERROR, `Payload Too Large: the body exceeds ${settings.maxBodyBytes} bytes`);
      }
      throw error;
    }
    let message: unknown;
    try {
      message = JSON.parse(UTF8.decode(body));
    } catch {
      return jsonRpcError(400, PARSE_ERROR, "Parse error: the body is not valid JSON");
    }
    const refusal = refusedMethod(message);
    if (refusal !== undefined) return jsonRpcError(200, METHOD_NOT_FOUND, refusal.reason, {}, refusal.id);
    const invalid = invalidParamsIn(message);
    if (invalid !== undefined) return jsonRpcError(200, INVALID_PARAMS, invalid.message, {}, invalid.id);

    // Given the parsed body, the SDK never reads the (already consumed) body stream: it takes the
    // method, URL, headers and signal from the request and hands the same object to the factory.
    const challenges = new AuthorizationChallenges();
    environments.set(request, {
      log: context.log,
      onSignInRequired: challenges.onSignInRequired,
      onStepUpRequired: challenges.onStepUpRequired,
      message,
      ...(authInfo === undefined ? {} : { authInfo }),
      lists: listsSomething(message),
      usesCatalog: usesCatalog(message),
    });
    let response = await traceMcpMessage(request, message, async () =>
      legacyJson !== undefined && (await legacyJson.accepts(request, message))
        ? legacyJson.answer(request, message, authInfo)
        : sdkHandler.fetch(request, { parsedBody: message, ...(authInfo === undefined ? {} : { authInfo }) }),
    );
    if (auth.resource !== undefined && resolvesNeeds(message)) {
      // A token Entra refused during the call becomes a 401 (the client refreshes and retries), and a
      // need that wants more from the user a 403 step-up (the client re-authorizes for every scope the
      // call needs, and retries), where a tool error would leave the user to sign in again by hand. A
      // JSON answer is complete here; an SSE answer (2025-era clients) is held until its first event,
      // which for a need refused before the handler ran is the call's result.
      response = await withFirstEvent(response);
      const challenge = challenges.any ? challenges.response(auth.resource, context.log) : undefined;
      if (challenge !== undefined) {
        await response.body?.cancel();
        return withSecurityHeaders(challenge);
      }
    }
    // The method check first: the SDK's isInitializeRequest parses the whole message with its schema.
    if (response.ok && (message as { method?: unknown } | null)?.method === "initialize" && isInitializeRequest(message) && !response.headers.has("mcp-session-id")) {
      // 2025-era clients open a session with `initialize`; without an Mcp-Session-Id they (and the
      // conformance suite) assume they cannot run several streams in one conversation. The ID only
      // names the conversation: nothing is stored under it, every instance accepts any value (the
      // SDK's stateless transport ignores it), it grants nothing, and DELETE still answers 405,
      // which the spec allows for a server that does not support explicit termination.
      response.headers.set("Mcp-Session-Id", randomUUID());
    }
    return withSecurityHeaders(response);
  });
}

/**
 * Whether progress is the only notification a request to this definition can
 * receive before its result (see legacy-json.ts): the kit's own tools,
 * resources, prompts and the gateway send nothing else, but a definition that
 * declares the `logging` capability, or registers handlers of its own with
 * `extend`, may (`ctx.mcpReq.log`, `ctx.mcpReq.notify`).
 */
function sendsOnlyProgress(definition: McpServerDefinition): boolean {
  return definition.extend === undefined && definition.capabilities?.logging === undefined;
}

/** Methods whose handlers resolve needs (a template's `list` does too), so that Entra may refuse the caller's token during them. */
const NEEDS_METHODS: ReadonlySet<string> = new Set(["tools/call", "resources/read", "resources/list", "prompts/get", "completion/complete"]);

function methodsOf(message: unknown): unknown[] {
  return (Array.isArray(message) ? message : [message]).map((item) => (typeof item === "object" && item !== null ? (item as { method?: unknown }).method : undefined));
}

function resolvesNeeds(message: unknown): boolean {
  return methodsOf(message).some((method) => typeof method === "string" && NEEDS_METHODS.has(method));
}

/** Whether the message asks anything of resources, prompts or completions (see ToolCallEnvironment.usesCatalog). */
function usesCatalog(message: unknown): boolean {
  return methodsOf(message).some((method) => typeof method === "string" && /^(resources|prompts|completion)\//.test(method));
}

/**
 * Whether the message lists anything: then items the caller may not use are
 * left out for the whole message (a 2025-03-26 batch that also calls one of
 * them gets "not found" rather than the list showing it).
 */
function listsSomething(message: unknown): boolean {
  return methodsOf(message).some((method) => typeof method === "string" && LIST_METHODS.has(method));
}

/** `response` unchanged unless it streams events: then the same stream, its first chunk already read. */
async function withFirstEvent(response: Response): Promise<Response> {
  if (response.body === null || !(response.headers.get("content-type") ?? "").toLowerCase().startsWith("text/event-stream")) return response;
  const reader = response.body.getReader();
  const first = await reader.read();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first.done) controller.close();
      else controller.enqueue(first.value);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

function refusedMethod(message: unknown): { reason: string; id: string | number | null } | undefined {
  for (const item of Array.isArray(message) ? message : [message]) {
    if (typeof item !== "object" || item === null) continue;
    const { method, id } = item as { method?: unknown; id?: unknown };
    const reason = typeof method === "string" ? REFUSED_METHODS.get(method) : undefined;
    if (reason !== undefined) return { reason, id: typeof id === "string" || typeof id === "number" ? id : null };
  }
  return undefined;
}

function jsonRpcError(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
  id: string | number | null = null,
): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id }), {
    status,
    headers: { "Content-Type": "application/json", ...SECURITY_HEADERS, ...headers },
  });
}

function withSecurityHeaders(response: Response): Response {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    if (!response.headers.has(name)) response.headers.set(name, value);
  }
  return response;
}
