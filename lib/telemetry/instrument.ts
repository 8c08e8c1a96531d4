/**
 * The instrumentation calls other modules make, one line each. With the
 * runtime not loaded (telemetry off, or still loading) each one calls the
 * wrapped code directly; see runtime.ts for what they record when it is.
 */
import type { RequestContext, WebHandler } from "../http.js";
import { FACADE_STEPS, type FacadeStep } from "./names.js";
import { runtimeState, type HostTraceContext } from "./state.js";

/**
 * Runs `work` (one invocation's handler) under the host's trace context, so
 * the kit's spans sit under the Functions host's request. Invocations that
 * arrive while the runtime is still loading are served untraced rather than
 * kept waiting: loading the Azure Monitor distro takes seconds on a busy
 * instance (bench/README.md), far more than a cold start may add.
 */
export function inTraceContext<T>(host: HostTraceContext | undefined, work: () => Promise<T>): Promise<T> {
  const active = runtimeState.active;
  return active === undefined ? work() : active.inTraceContext(host, work);
}

/**
 * Wraps the `/mcp` handler: one span per MCP request (its parent the trace
 * context in `_meta`, else the host's), the token check and everything
 * before the method is known as its children, the duration and outcome
 * metrics. `toolNames` are the names that may appear in span names and
 * labels; any other tool name a client sends counts as `other`.
 */
export function traceMcpRequests(toolNames: readonly string[], handler: WebHandler): WebHandler {
  const known = new Set(toolNames);
  return (request: Request, context: RequestContext) => {
    const active = runtimeState.active;
    return active === undefined ? handler(request, context) : active.mcpRequests(known, handler, request, context);
  };
}

/** Marks the point where the MCP message is parsed: `handle` (the SDK) runs in the MCP request's span. */
export function traceMcpMessage(request: Request, message: unknown, handle: () => Promise<Response>): Promise<Response> {
  const active = runtimeState.active;
  return active === undefined ? handle() : active.mcpMessage(request, message, handle);
}

/** The bearer token check: a span (remembered or verified, refused and why) and the validations counter. */
export function traceTokenValidation<T>(validate: () => Promise<T>): Promise<T> {
  const active = runtimeState.active;
  return active === undefined ? validate() : active.tokenValidation(validate);
}

/** Says that the token check in progress was answered by the remembered validation; returns `value`. */
export function markCachedValidation<T>(value: T): T {
  runtimeState.active?.markCachedValidation();
  return value;
}

/** One On-Behalf-Of exchange: a span and the counter by layer (memory, shared, entra), read from the result's `source`. */
export function traceOboExchange<T extends { readonly source: string }>(scopes: readonly string[], exchange: () => Promise<T>): Promise<T> {
  const active = runtimeState.active;
  return active === undefined ? exchange() : active.oboExchange(scopes, exchange);
}

/** `fetchImpl` with a client span per call (signing keys, Entra's token endpoint). No trace context is sent to Entra. */
export function tracedFetch(kind: "jwks" | "entra", fetchImpl: typeof fetch): typeof fetch {
  return (input, init) => {
    const active = runtimeState.active;
    return active === undefined ? fetchImpl(input, init) : active.fetch(kind, fetchImpl, input, init);
  };
}

/** A tool's downstream call (`obo().fetch`): a client span, and W3C `traceparent` / `tracestate` added to `init.headers`. */
export function traceDownstreamFetch(input: string | URL, init: RequestInit & { headers: Headers }): Promise<Response> {
  const active = runtimeState.active;
  return active === undefined ? fetch(input, init) : active.downstreamFetch(input, init);
}

/** Wraps a secret fetcher (the vault behind the secret cache): a span per read, naming the secret, never its value. */
export function traceSecretFetches<A extends unknown[], T extends { readonly kind: string }>(fetcher: (name: string, ...rest: A) => Promise<T>): (name: string, ...rest: A) => Promise<T> {
  return (name, ...rest) => {
    const active = runtimeState.active;
    return active === undefined ? fetcher(name, ...rest) : active.secretFetch(name, () => fetcher(name, ...rest));
  };
}

/** One facade endpoint's request: a span with the status and OAuth error code, and the sign-in counter. */
export function traceFacadeStep(handlerName: string, handle: () => Promise<Response>): Promise<Response> {
  const active = runtimeState.active;
  if (active === undefined) return handle();
  return active.facadeStep((FACADE_STEPS as readonly string[]).includes(handlerName) ? (handlerName as FacadeStep) : "other", handle);
}

/** Counts an event of the shared OBO cache layer (an outage begins or ends, a stored value did not open). */
export function countSharedCacheEvent(store: string, event: "unavailable" | "recovered" | "value_rejected"): void {
  runtimeState.active?.sharedCacheEvent(store, event);
}

/** W3C trace context to put in an outgoing MCP request's `_meta` (SEP-414): `traceparent`, and `tracestate` when there is one. */
export type TraceMeta = { readonly traceparent?: string; readonly tracestate?: string };

/**
 * The current trace context as `_meta` entries, for a request the kit sends
 * to another MCP server (the gateway): the downstream server's spans then
 * join the caller's trace. Empty when telemetry is off or nothing is traced.
 *
 * @example
 * await client.request({ method: "tools/call", params: { name, arguments: args, _meta: { ...currentTraceMeta() } } });
 */
export function currentTraceMeta(): TraceMeta {
  return runtimeState.active?.traceMeta() ?? {};
}
