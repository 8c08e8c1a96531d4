/**
 * What the instrumentation records once telemetry is on. Loaded by
 * startTelemetry (index.ts) only; nothing else imports it.
 *
 * The MCP request span and what comes before it. `/mcp` checks the bearer
 * token before it reads the body (an anonymous client makes the server parse
 * nothing), but the request span's parent is the trace context in the
 * body's `_meta` (SEP-414; the semantic conventions for MCP link the
 * transport's context instead). So until the message is parsed, steps (the
 * token check, a signing-key fetch) are recorded, not exported: when the
 * request span starts, with the request's arrival as its start time, they
 * become its children with their own times. A request refused before that
 * (401, 403, 413, 415, bad JSON) gets a `POST /mcp` span instead.
 */
import {
  context,
  createContextKey,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Link,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/server";
import type { TelemetrySettings } from "../config.js";
import type { RequestContext, WebHandler } from "../http.js";
import { ATTR, MCP_METHODS, METRIC, SPAN, type FacadeStep } from "./names.js";
import { createProviders, type Providers } from "./providers.js";
import type { HostTraceContext, RuntimeExtras, TelemetryRuntime } from "./state.js";

/** Loads the providers the settings call for and returns the runtime that records into them. */
export async function createRuntime(settings: TelemetrySettings, extras: RuntimeExtras): Promise<TelemetryRuntime> {
  return new Runtime(await createProviders(settings, extras));
}

const PENDING_REQUEST = createContextKey("mcp-functions-kit.pending-request");
const PENDING_STEP = createContextKey("mcp-functions-kit.pending-step");
const VALIDATION = createContextKey("mcp-functions-kit.token-validation");

/** Largest response body read to find a tool call's outcome; larger ones count as `unknown`. */
const OUTCOME_READ_LIMIT = 1024 * 1024;

/** W3C Trace Context only: baggage a client sends is never read, nor passed on to downstream APIs. */
const W3C = new W3CTraceContextPropagator();
const RECORD_GETTER: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (typeof carrier[key] === "string" ? (carrier[key] as string) : undefined),
};
const RECORD_SETTER: TextMapSetter<Record<string, string>> = { set: (carrier, key, value) => void (carrier[key] = value) };
const HEADERS_SETTER: TextMapSetter<Headers> = { set: (headers, key, value) => headers.set(key, value) };

const KNOWN_METHODS: ReadonlySet<string> = new Set(MCP_METHODS);
/** The SDK's list holds the revisions of the session era; the stateless revision it serves besides is not in it. */
const KNOWN_VERSIONS: ReadonlySet<string> = new Set([...SUPPORTED_PROTOCOL_VERSIONS, "2026-07-28"]);

const now = (): number => performance.timeOrigin + performance.now();

/** A step recorded before its parent span exists. */
class Step {
  readonly children: Step[] = [];
  end: number | undefined;
  status: { code: SpanStatusCode; message?: string } | undefined;
  /** Set when the parent span exists but this step had not ended yet. */
  parent: Context | undefined;
  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    readonly start: number,
    readonly attributes: Attributes,
  ) {}
}

/** One `/mcp` request, from its arrival to its MCP span. */
class PendingRequest {
  readonly start = now();
  readonly steps: Step[] = [];
  span: RequestSpan | undefined;
  constructor(
    readonly toolNames: ReadonlySet<string>,
    readonly ambient: Context,
  ) {}
}

/** How an MCP request ended. */
interface Outcome {
  /** ok, tool_error, a JSON-RPC error code, http_<status>, cancelled, exception, unknown. */
  readonly outcome: string;
  readonly errorType?: string;
  readonly rpcCode?: string;
}

/** The MCP request's span, ended once with its outcome, which also goes to the metrics. */
class RequestSpan {
  #ended = false;
  /** The response the span watches; another one reaching the client means the endpoint replaced it. */
  watched: Response | undefined;
  constructor(
    readonly span: Span,
    readonly start: number,
    readonly labels: Attributes,
    readonly tool: string | undefined,
    readonly instruments: Instruments,
  ) {}

  end(outcome: Outcome): void {
    if (this.#ended) return;
    this.#ended = true;
    const end = now();
    this.span.setAttribute(ATTR.outcome, outcome.outcome);
    if (outcome.rpcCode !== undefined) this.span.setAttribute(ATTR.rpcStatusCode, outcome.rpcCode);
    if (outcome.errorType === undefined) this.span.setStatus({ code: SpanStatusCode.OK });
    else {
      this.span.setAttribute(ATTR.errorType, outcome.errorType);
      this.span.setStatus({ code: SpanStatusCode.ERROR });
    }
    this.span.end(end);
    this.instruments.mcpDuration.record((end - this.start) / 1000, { ...this.labels, ...(outcome.errorType === undefined ? {} : { [ATTR.errorType]: outcome.errorType }) });
    if (this.tool !== undefined) this.instruments.toolCalls.add(1, { [ATTR.toolName]: this.tool, [ATTR.outcome]: outcome.outcome });
  }
}

interface Instruments {
  readonly mcpDuration: Histogram;
  readonly toolCalls: Counter;
  readonly oboRequests: Counter;
  readonly tokenValidations: Counter;
  readonly signIns: Counter;
  readonly sharedCacheEvents: Counter;
}

/** What a step's work came to, for its span. */
interface StepResult {
  readonly attributes?: Attributes;
  /** Set for a failure: `error.type`, and the span's status becomes ERROR. */
  readonly errorType?: string;
}

class Runtime implements TelemetryRuntime {
  readonly #providers: Providers;
  readonly #instruments: Instruments;

  constructor(providers: Providers) {
    this.#providers = providers;
    const meter = providers.meter;
    this.#instruments = {
      mcpDuration: meter.createHistogram(METRIC.mcpDuration.name, {
        unit: "s",
        description: "Duration of MCP requests as the server saw them",
        advice: { explicitBucketBoundaries: [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300] },
      }),
      toolCalls: meter.createCounter(METRIC.toolCalls.name, { description: "tools/call requests by tool and outcome" }),
      oboRequests: meter.createCounter(METRIC.oboRequests.name, { description: "On-Behalf-Of tokens by the layer that answered (memory, shared, entra)" }),
      tokenValidations: meter.createCounter(METRIC.tokenValidations.name, { description: "Bearer tokens checked at /mcp, by outcome and refusal reason" }),
      signIns: meter.createCounter(METRIC.signIns.name, { description: "Sign-ins through the facade by stage" }),
      sharedCacheEvents: meter.createCounter(METRIC.sharedCacheEvents.name, { description: "Outages and rejected values of the shared OBO cache" }),
    };
  }

  get #tracer() {
    return this.#providers.tracer;
  }

  inTraceContext<T>(host: HostTraceContext | undefined, work: () => Promise<T>): Promise<T> {
    const traceparent = host?.traceParent ?? undefined;
    if (traceparent === undefined || traceparent === "") return work();
    const carrier: Record<string, unknown> = { traceparent, ...(host?.traceState ? { tracestate: host.traceState } : {}) };
    return context.with(W3C.extract(context.active(), carrier, RECORD_GETTER), work);
  }

  async mcpRequests(toolNames: ReadonlySet<string>, handler: WebHandler, request: Request, requestContext: RequestContext): Promise<Response> {
    const ambient = context.active();
    const pending = new PendingRequest(toolNames, ambient);
    let response: Response;
    try {
      response = await context.with(ambient.setValue(PENDING_REQUEST, pending), () => handler(request, requestContext));
    } catch (error) {
      if (pending.span === undefined) this.#refused(pending, request.method, 500);
      else pending.span.end({ outcome: "exception", errorType: errorTypeOf(error) });
      throw error;
    }
    if (pending.span === undefined) this.#refused(pending, request.method, response.status);
    else if (response !== pending.span.watched) pending.span.end(httpOutcome(response.status));
    return response;
  }

  /** The span of a request answered before its MCP method was read. */
  #refused(pending: PendingRequest, method: string, status: number): void {
    const span = this.#tracer.startSpan(
      SPAN.mcpRefused,
      {
        kind: SpanKind.SERVER,
        startTime: pending.start,
        attributes: { [ATTR.httpMethod]: method, [ATTR.httpRoute]: "/mcp", [ATTR.httpStatus]: status, [ATTR.outcome]: `http_${status}` },
      },
      pending.ambient,
    );
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    this.#emitSteps(pending.steps, trace.setSpan(pending.ambient, span));
    span.end();
  }

  async mcpMessage(request: Request, message: unknown, handle: () => Promise<Response>): Promise<Response> {
    const pending = context.active().getValue(PENDING_REQUEST) as PendingRequest | undefined;
    const ambient = pending?.ambient ?? context.active();
    const described = describeMessage(request, message, pending?.toolNames);
    let parent = ambient;
    const links: Link[] = [];
    if (described.meta !== undefined) {
      const extracted = W3C.extract(ROOT_CONTEXT, described.meta, RECORD_GETTER);
      const remote = trace.getSpanContext(extracted);
      if (remote !== undefined && isSpanContextValid(remote)) {
        parent = extracted;
        const transport = trace.getSpanContext(ambient);
        if (transport !== undefined && isSpanContextValid(transport)) links.push({ context: transport });
      }
    }
    const start = pending?.start ?? now();
    const span = this.#tracer.startSpan(described.name, { kind: SpanKind.SERVER, startTime: start, attributes: described.attributes, links }, parent);
    const requestSpan = new RequestSpan(span, start, described.labels, described.tool, this.#instruments);
    const spanContext = trace.setSpan(parent, span);
    if (pending !== undefined) {
      pending.span = requestSpan;
      this.#emitSteps(pending.steps, spanContext);
    }
    let response: Response;
    try {
      response = await context.with(spanContext, handle);
    } catch (error) {
      requestSpan.end({ outcome: "exception", errorType: errorTypeOf(error) });
      throw error;
    }
    const watched = watchBody(response, requestSpan);
    requestSpan.watched = watched;
    return watched;
  }

  #emitSteps(steps: readonly Step[], parent: Context): void {
    for (const step of steps) this.#emit(step, parent);
  }

  #emit(step: Step, parent: Context): void {
    if (step.end === undefined) {
      step.parent = parent;
      return;
    }
    const span = this.#tracer.startSpan(step.name, { kind: step.kind, startTime: step.start, attributes: step.attributes }, parent);
    if (step.status !== undefined) span.setStatus(step.status);
    span.end(step.end);
    this.#emitSteps(step.children, trace.setSpan(parent, span));
  }

  /**
   * Runs `work` as a span named `name`, or, before the MCP request's span
   * exists, as a recorded step that becomes one when it does. `describe`
   * turns the result or the error into attributes.
   */
  async #step<T>(name: string, kind: SpanKind, attributes: Attributes, work: () => Promise<T>, describe: (result: { value?: T; error?: unknown }) => StepResult): Promise<T> {
    const active = context.active();
    const pending = active.getValue(PENDING_REQUEST) as PendingRequest | undefined;
    if (pending !== undefined && pending.span === undefined) {
      const step = new Step(name, kind, now(), { ...attributes });
      const parentStep = active.getValue(PENDING_STEP) as Step | undefined;
      (parentStep?.children ?? pending.steps).push(step);
      const finish = (result: StepResult): void => {
        Object.assign(step.attributes, result.attributes);
        if (result.errorType !== undefined) {
          step.attributes[ATTR.errorType] = result.errorType;
          step.status = { code: SpanStatusCode.ERROR };
        }
        step.end = now();
        if (step.parent !== undefined) this.#emit(step, step.parent);
      };
      try {
        const value = await context.with(active.setValue(PENDING_STEP, step), work);
        finish(describe({ value }));
        return value;
      } catch (error) {
        finish(describe({ error }));
        throw error;
      }
    }
    return this.#tracer.startActiveSpan(name, { kind, attributes }, async (span) => {
      const finish = (result: StepResult): void => {
        if (result.attributes !== undefined) span.setAttributes(result.attributes);
        if (result.errorType !== undefined) {
          span.setAttribute(ATTR.errorType, result.errorType);
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      };
      try {
        const value = await work();
        finish(describe({ value }));
        return value;
      } catch (error) {
        finish(describe({ error }));
        throw error;
      }
    });
  }

  tokenValidation<T>(validate: () => Promise<T>): Promise<T> {
    const flag = { cached: false };
    const counted = (labels: Attributes): StepResult => {
      this.#instruments.tokenValidations.add(1, labels);
      return { attributes: labels, ...(labels[ATTR.tokenOutcome] === "accepted" ? {} : { errorType: String(labels[ATTR.tokenRefusal] ?? labels[ATTR.tokenOutcome]) }) };
    };
    return context.with(context.active().setValue(VALIDATION, flag), () =>
      this.#step(SPAN.tokenValidation, SpanKind.INTERNAL, {}, validate, ({ error }) => {
        const check = flag.cached ? "remembered" : "verified";
        if (error === undefined) return counted({ [ATTR.tokenCheck]: check, [ATTR.tokenOutcome]: "accepted" });
        const name = error instanceof Error ? error.name : "";
        if (name === "InvalidTokenError") return counted({ [ATTR.tokenCheck]: check, [ATTR.tokenOutcome]: "refused", [ATTR.tokenRefusal]: refusalReason((error as Error & { description?: string }).description ?? "") });
        return counted({ [ATTR.tokenCheck]: check, [ATTR.tokenOutcome]: name === "SigningKeysUnavailableError" ? "keys_unavailable" : "error" });
      }),
    );
  }

  markCachedValidation(): void {
    const flag = context.active().getValue(VALIDATION) as { cached: boolean } | undefined;
    if (flag !== undefined) flag.cached = true;
  }

  oboExchange<T extends { readonly source: string }>(scopes: readonly string[], exchange: () => Promise<T>): Promise<T> {
    return this.#step(SPAN.oboExchange, SpanKind.INTERNAL, { [ATTR.oboApi]: apiOf(scopes) }, exchange, ({ value, error }) => {
      const layer = value === undefined ? "entra" : value.source === "acquired" ? "entra" : value.source;
      const outcome = error === undefined ? "ok" : failureOf(error);
      this.#instruments.oboRequests.add(1, { [ATTR.oboLayer]: layer, [ATTR.outcome]: outcome });
      return { attributes: { [ATTR.oboLayer]: layer, [ATTR.outcome]: outcome }, ...(error === undefined ? {} : { errorType: outcome }) };
    });
  }

  fetch(kind: "jwks" | "entra", fetchImpl: typeof fetch, input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const grant = kind === "entra" && init?.body instanceof URLSearchParams ? grantOf(init.body.get("grant_type")) : undefined;
    const attributes: Attributes = { [ATTR.httpMethod]: method, [ATTR.serverAddress]: hostOf(input), ...(grant === undefined ? {} : { [ATTR.entraGrant]: grant }) };
    return this.#step(SPAN.httpClient(method), SpanKind.CLIENT, attributes, () => fetchImpl(input, init), httpResult);
  }

  downstreamFetch(input: string | URL, init: RequestInit & { headers: Headers }): Promise<Response> {
    const method = (init.method ?? "GET").toUpperCase();
    return this.#step(
      SPAN.httpClient(method),
      SpanKind.CLIENT,
      { [ATTR.httpMethod]: method, [ATTR.serverAddress]: hostOf(input) },
      () => {
        // Inside the client span: the downstream API's spans become its children.
        W3C.inject(context.active(), init.headers, HEADERS_SETTER);
        return fetch(input, init);
      },
      httpResult,
    );
  }

  secretFetch<T extends { readonly kind: string }>(name: string, fetchSecret: () => Promise<T>): Promise<T> {
    return this.#step(SPAN.secretRead, SpanKind.INTERNAL, { [ATTR.secretName]: name }, fetchSecret, ({ value, error }) =>
      error !== undefined ? { errorType: errorTypeOf(error) } : { attributes: { [ATTR.secretResult]: value!.kind }, ...(value!.kind === "failed" ? { errorType: "failed" } : {}) },
    );
  }

  facadeStep(step: FacadeStep, handle: () => Promise<Response>): Promise<Response> {
    return this.#step(SPAN.facade(step), SpanKind.INTERNAL, { [ATTR.facadeStep]: step }, async () => {
      const response = await handle();
      const attributes: Attributes = { [ATTR.httpStatus]: response.status };
      const error = await oauthErrorOf(response);
      if (error !== undefined) attributes[ATTR.facadeError] = error;
      const stage = signInStage(step, response, error);
      if (stage !== undefined) {
        attributes[ATTR.signInStage] = stage;
        this.#instruments.signIns.add(1, { [ATTR.signInStage]: stage });
      }
      trace.getActiveSpan()?.setAttributes(attributes);
      const pendingStep = context.active().getValue(PENDING_STEP) as Step | undefined;
      if (pendingStep !== undefined) Object.assign(pendingStep.attributes, attributes);
      return response;
    }, ({ value, error }) => (error !== undefined ? { errorType: errorTypeOf(error) } : value!.status >= 500 ? { errorType: String(value!.status) } : {}));
  }

  sharedCacheEvent(store: string, event: "unavailable" | "recovered" | "value_rejected"): void {
    this.#instruments.sharedCacheEvents.add(1, { [ATTR.cacheStore]: store, [ATTR.cacheEvent]: event });
  }

  traceMeta(): Record<string, string> {
    const carrier: Record<string, string> = {};
    W3C.inject(context.active(), carrier, RECORD_SETTER);
    return carrier;
  }

  shutdown(): Promise<void> {
    return this.#providers.shutdown();
  }
}

/** Name, attributes and trace context of an MCP message; every value from a fixed set, so a client cannot mint names or labels. */
function describeMessage(
  request: Request,
  message: unknown,
  toolNames: ReadonlySet<string> | undefined,
): { name: string; attributes: Attributes; labels: Attributes; tool: string | undefined; meta: Record<string, unknown> | undefined } {
  const item = (Array.isArray(message) ? message[0] : message) as { method?: unknown; params?: { name?: unknown; protocolVersion?: unknown; _meta?: unknown } } | undefined;
  const method = typeof item?.method === "string" && KNOWN_METHODS.has(item.method) ? item.method : "other";
  const params = typeof item?.params === "object" && item.params !== null ? item.params : undefined;
  const tool = method === "tools/call" ? (typeof params?.name === "string" && toolNames?.has(params.name) === true ? params.name : "other") : undefined;
  const meta = typeof params?._meta === "object" && params._meta !== null && !Array.isArray(params._meta) ? (params._meta as Record<string, unknown>) : undefined;
  const claimed = request.headers.get("mcp-protocol-version") ?? meta?.["io.modelcontextprotocol/protocolVersion"] ?? (method === "initialize" ? params?.protocolVersion : undefined);
  const version = typeof claimed === "string" ? (KNOWN_VERSIONS.has(claimed) ? claimed : "other") : undefined;
  const labels: Attributes = {
    [ATTR.mcpMethod]: method,
    ...(tool === undefined ? {} : { [ATTR.toolName]: tool }),
    ...(version === undefined ? {} : { [ATTR.mcpProtocolVersion]: version }),
  };
  return {
    name: SPAN.mcpRequest(method, tool),
    attributes: { ...labels, ...(tool === undefined ? {} : { [ATTR.genAiOperation]: "execute_tool" }) },
    labels,
    tool,
    meta,
  };
}

/**
 * `response` with its body watched: the span ends when the body has been
 * sent (or the client went away), with the outcome read from the JSON-RPC
 * answer: a tool result with `isError` is `tool_error`, an error its code.
 */
function watchBody(response: Response, requestSpan: RequestSpan): Response {
  if (response.status !== 200 || response.body === null) {
    requestSpan.end(response.status === 200 || response.status === 202 ? { outcome: "ok" } : httpOutcome(response.status));
    return response;
  }
  const events = (response.headers.get("content-type") ?? "").toLowerCase().startsWith("text/event-stream");
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let tooLarge = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: Awaited<ReturnType<typeof reader.read>>;
      try {
        next = await reader.read();
      } catch (error) {
        requestSpan.end({ outcome: "exception", errorType: errorTypeOf(error) });
        controller.error(error);
        return;
      }
      if (next.done) {
        requestSpan.end(tooLarge ? { outcome: "unknown" } : outcomeOf(text + decoder.decode(), events));
        controller.close();
        return;
      }
      if (!tooLarge) {
        text += decoder.decode(next.value, { stream: true });
        if (text.length > OUTCOME_READ_LIMIT) {
          tooLarge = true;
          text = "";
        }
      }
      controller.enqueue(next.value);
    },
    cancel(reason) {
      // The endpoint cancels a body it replaces (a 401 for a token Entra refused); that answer, seen a moment later, wins.
      setImmediate(() => requestSpan.end({ outcome: "cancelled" }));
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

function outcomeOf(text: string, events: boolean): Outcome {
  const payloads = events ? text.split(/\r?\n/).filter((line) => line.startsWith("data:")).map((line) => line.slice(5).trim()) : [text];
  for (const payload of payloads) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      continue;
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof item !== "object" || item === null || !("id" in item)) continue;
      const { error, result } = item as { error?: { code?: unknown }; result?: { isError?: unknown } };
      if (error !== undefined) {
        const code = typeof error.code === "number" ? String(error.code) : "unknown";
        return { outcome: code, errorType: code, rpcCode: code };
      }
      if (result !== undefined) return result.isError === true ? { outcome: "tool_error", errorType: "tool_error" } : { outcome: "ok" };
    }
  }
  return { outcome: "ok" };
}

function httpOutcome(status: number): Outcome {
  return { outcome: `http_${status}`, errorType: String(status) };
}

function httpResult({ value, error }: { value?: Response; error?: unknown }): StepResult {
  if (error !== undefined) return { errorType: errorTypeOf(error) };
  return { attributes: { [ATTR.httpStatus]: value!.status }, ...(value!.status >= 400 ? { errorType: String(value!.status) } : {}) };
}

/** The class of an error, never its message (which can quote a URL or a response). */
function errorTypeOf(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) ? name : "Error";
}

/** An On-Behalf-Of failure as its classification (EntraError.failure: consent_required, throttled...), else the error's class. */
function failureOf(error: unknown): string {
  const failure = (error as { failure?: unknown; stepUp?: { reason?: unknown } } | undefined)?.failure;
  if (typeof failure === "string" && /^[a-z_]{1,40}$/.test(failure)) return failure;
  const reason = (error as { stepUp?: { reason?: unknown } } | undefined)?.stepUp?.reason;
  if (typeof reason === "string" && /^[a-z_]{1,40}$/.test(reason)) return reason;
  return errorTypeOf(error);
}

/** The API of a set of scopes (its resource: https://graph.microsoft.com, api://...), not the scopes. */
function apiOf(scopes: readonly string[]): string {
  return /^((?:https?|api):\/\/[^/]+)/.exec(scopes[0] ?? "")?.[1] ?? "unknown";
}

function hostOf(input: string | URL | Request): string {
  try {
    return new URL(input instanceof Request ? input.url : String(input)).host;
  } catch {
    return "unknown";
  }
}

const GRANTS: Readonly<Record<string, string>> = {
  authorization_code: "authorization_code",
  refresh_token: "refresh_token",
  client_credentials: "client_credentials",
  "urn:ietf:params:oauth:grant-type:jwt-bearer": "on_behalf_of",
};

function grantOf(grantType: string | null): string {
  return (grantType === null ? undefined : GRANTS[grantType]) ?? "other";
}

/** The reason a token was refused, from the validator's fixed messages (lib/entra/access-token.ts). */
const REFUSALS: ReadonlyArray<readonly [string, string]> = [
  ["The token is not a JWT", "not_jwt"],
  ["Tokens must be signed with RS256", "algorithm"],
  ["This is a token for Microsoft Graph", "foreign_token"],
  ["This is an Entra v1 token", "v1_token"],
  ["The token has no valid tenant id", "tenant_missing"],
  ["The token's tenant is not allowed", "tenant_not_allowed"],
  ["The token has expired", "expired"],
  ["The token is for another audience", "audience"],
  ["The token was not issued by the expected Entra tenant", "issuer"],
  ["The token is not valid yet", "not_yet_valid"],
  ["The token was signed with a key Entra does not publish", "unknown_key"],
  ["The token's signature is invalid", "signature"],
  ["The token is not an Entra v2 access token", "version"],
  ["The token has no object id", "oid_missing"],
  ["The token is malformed", "malformed"],
];

/** Exported for its unit test: every message of the validator maps to a reason. */
export function refusalReason(description: string): string {
  for (const [prefix, reason] of REFUSALS) if (description.startsWith(prefix)) return reason;
  return /^The token's \S+ claim is missing or invalid/.test(description) ? "claim" : "other";
}

/** The OAuth error code a facade answer carries (a redirect's `error` parameter, or a JSON error body), if it is one. */
async function oauthErrorOf(response: Response): Promise<string | undefined> {
  const location = response.headers.get("location");
  let code: unknown;
  if (location !== null) {
    try {
      code = new URL(location, "http://relative.invalid").searchParams.get("error") ?? undefined;
    } catch {
      code = undefined;
    }
  } else if (response.status >= 400 && (response.headers.get("content-type") ?? "").includes("application/json")) {
    code = await response
      .clone()
      .json()
      .then((body: unknown) => (body as { error?: unknown } | null)?.error)
      .catch(() => undefined);
  }
  return typeof code === "string" && /^[a-z_]{1,64}$/.test(code) ? code : undefined;
}

/** started: the browser sent to Entra; completed: back from Entra with a code for the client; failed: back with an error. */
function signInStage(step: FacadeStep, response: Response, error: string | undefined): string | undefined {
  const location = response.headers.get("location");
  const redirect = response.status >= 300 && response.status < 400 && location !== null;
  if ((step === "authorize" || step === "consent") && redirect && error === undefined && /\/oauth2\/v2\.0\/authorize(\?|$)/.test(location)) return "started";
  if (step !== "callback") return undefined;
  if (redirect && error === undefined && /[?&]code=/.test(location)) return "completed";
  return "failed";
}
