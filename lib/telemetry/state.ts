/**
 * The process's telemetry runtime, once loaded, and the interface the
 * instrumentation calls (instrument.ts) use. Types only from OpenTelemetry:
 * nothing of it loads with this module.
 */
import type { MetricReader } from "@opentelemetry/sdk-metrics";
import type { SpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { WebHandler, RequestContext } from "../http.js";
import type { FacadeStep } from "./names.js";

/** Span processors and metric readers added to whatever the settings configure. */
export interface RuntimeExtras {
  readonly spanProcessors?: readonly SpanProcessor[];
  readonly metricReaders?: readonly MetricReader[];
}

/** The host's trace context for an invocation (the Functions `InvocationContext.traceContext`). */
export interface HostTraceContext {
  readonly traceParent?: string | null | undefined;
  readonly traceState?: string | null | undefined;
}

/** What runtime.ts implements; see instrument.ts for what each call records. */
export interface TelemetryRuntime {
  inTraceContext<T>(host: HostTraceContext | undefined, work: () => Promise<T>): Promise<T>;
  mcpRequests(toolNames: ReadonlySet<string>, handler: WebHandler, request: Request, context: RequestContext): Promise<Response>;
  mcpMessage(request: Request, message: unknown, handle: () => Promise<Response>): Promise<Response>;
  tokenValidation<T>(validate: () => Promise<T>): Promise<T>;
  markCachedValidation(): void;
  oboExchange<T extends { readonly source: string }>(scopes: readonly string[], exchange: () => Promise<T>): Promise<T>;
  fetch(kind: "jwks" | "entra", fetchImpl: typeof fetch, input: string | URL | Request, init: RequestInit | undefined): Promise<Response>;
  downstreamFetch(input: string | URL, init: RequestInit & { headers: Headers }): Promise<Response>;
  secretFetch<T extends { readonly kind: string }>(name: string, fetchSecret: () => Promise<T>): Promise<T>;
  facadeStep(step: FacadeStep, handle: () => Promise<Response>): Promise<Response>;
  sharedCacheEvent(store: string, event: "unavailable" | "recovered" | "value_rejected"): void;
  traceMeta(): Record<string, string>;
  shutdown(): Promise<void>;
}

/** The state's one home in the process (see below). */
const PROCESS_STATE = Symbol.for("mcp-functions-kit.telemetry");

/**
 * Mutable process state: the runtime once loaded, and its loading. Kept on
 * `globalThis`, so that every copy of this module in the process (the bundled
 * app in dist/app beside the compiled modules a script or test imports) sees
 * the one runtime: a process has one telemetry pipeline, whoever started it.
 */
export const runtimeState: { active: TelemetryRuntime | undefined; loading: Promise<void> | undefined } = ((globalThis as Record<symbol, unknown>)[PROCESS_STATE] ??= {
  active: undefined,
  loading: undefined,
}) as { active: TelemetryRuntime | undefined; loading: Promise<void> | undefined };
