/**
 * Every name the kit's telemetry emits: span names, attribute keys, metric
 * names and their labels, and the Application Insights table each lands in.
 *
 * This is the one source of truth. The instrumentation (instrument.ts)
 * writes only names declared here, and the workbook check
 * (test/infra/workbook.test.ts) allows the workbook's queries to name only
 * these, so a query that reads an attribute the kit does not write fails
 * `npm run test:infra`.
 *
 * Names follow the OpenTelemetry semantic conventions where one exists (MCP:
 * `mcp.method.name`, `gen_ai.tool.name`, `mcp.protocol.version`,
 * `error.type`; HTTP: `http.*`, `server.address`, `url.*`); what is the
 * kit's own is prefixed `kit.`. No name carries a user id, a token, an
 * argument or a secret value (docs/security.md, "Telemetry").
 */

/** Attribute keys, on spans and as metric labels. */
export const ATTR = {
  mcpMethod: "mcp.method.name",
  mcpProtocolVersion: "mcp.protocol.version",
  toolName: "gen_ai.tool.name",
  genAiOperation: "gen_ai.operation.name",
  errorType: "error.type",
  rpcStatusCode: "rpc.response.status_code",
  httpMethod: "http.request.method",
  httpRoute: "http.route",
  httpStatus: "http.response.status_code",
  serverAddress: "server.address",
  /** Which check answered a token: the remembered validation, or a full signature check. */
  tokenCheck: "kit.token.check",
  tokenOutcome: "kit.token.outcome",
  tokenRefusal: "kit.token.refusal_reason",
  /** Where an On-Behalf-Of token came from: memory, shared or entra. */
  oboLayer: "kit.obo.layer",
  oboApi: "kit.obo.api",
  outcome: "kit.outcome",
  entraGrant: "kit.entra.grant",
  secretName: "kit.secret.name",
  secretResult: "kit.secret.result",
  facadeStep: "kit.oauth.step",
  facadeError: "kit.oauth.error",
  signInStage: "kit.sign_in.stage",
  cacheStore: "kit.cache.store",
  cacheEvent: "kit.cache.event",
} as const;

/** Span names (the `name` column of `requests` and `dependencies`). */
export const SPAN = {
  /** `{method} {tool}` for a tool call, `{method}` otherwise (semantic conventions for MCP). */
  mcpRequest: (method: string, tool: string | undefined) => (tool === undefined ? method : `${method} ${tool}`),
  /** A request refused before its MCP method was read (Host, Origin, token, media type, size, JSON). */
  mcpRefused: "POST /mcp",
  tokenValidation: "kit.token.validate",
  oboExchange: "kit.obo.exchange",
  secretRead: "kit.secret.read",
  /** Outbound HTTP: `{method}` (semantic conventions for HTTP clients, no URL template known). */
  httpClient: (method: string) => method,
  facade: (step: FacadeStep) => `kit.oauth.${step}`,
} as const;

/** The facade endpoints that get a span, by the name of their handler; any other handler is `other`. */
export const FACADE_STEPS = ["metadata", "register", "authorize", "consent", "callback", "token", "revoke", "other"] as const;
export type FacadeStep = (typeof FACADE_STEPS)[number];

/** Metric names (the `name` column of `customMetrics`) and the labels each carries. */
export const METRIC = {
  /** Histogram, seconds: every MCP request (semantic conventions for MCP). */
  mcpDuration: { name: "mcp.server.operation.duration", labels: [ATTR.mcpMethod, ATTR.toolName, ATTR.mcpProtocolVersion, ATTR.errorType] },
  /** Counter: tools/call by tool and outcome (ok, tool_error, a JSON-RPC error code, http_<status>). */
  toolCalls: { name: "kit.tool.calls", labels: [ATTR.toolName, ATTR.outcome] },
  /** Counter: On-Behalf-Of tokens by where they came from (memory, shared, entra) and outcome. */
  oboRequests: { name: "kit.obo.requests", labels: [ATTR.oboLayer, ATTR.outcome] },
  /** Counter: bearer tokens checked at /mcp, by outcome and, when refused, why. */
  tokenValidations: { name: "kit.token.validations", labels: [ATTR.tokenCheck, ATTR.tokenOutcome, ATTR.tokenRefusal] },
  /** Counter: facade sign-ins by stage (started: sent to Entra; completed: back with a code; failed). */
  signIns: { name: "kit.sign_ins", labels: [ATTR.signInStage] },
  /** Counter: shared OBO cache events (unavailable, recovered, value_rejected) by store. */
  sharedCacheEvents: { name: "kit.cache.shared_events", labels: [ATTR.cacheStore, ATTR.cacheEvent] },
} as const;

/** Application Insights tables (classic schema, as a workbook over the component queries them). */
export type AppInsightsTable = "requests" | "dependencies" | "customMetrics";

/** How a span is exported: its OpenTelemetry kind decides the table. */
export interface SpanSpec {
  /** `server`: `requests`; `client` and `internal`: `dependencies`. */
  readonly kind: "server" | "client" | "internal";
  /** The `name` column; a trailing `*` stands for a tool name or a URL path. */
  readonly names: readonly string[];
  readonly attributes: readonly string[];
}

/** MCP methods the kit names spans after; anything else is `other` (a client cannot mint span names). */
export const MCP_METHODS = [
  "initialize",
  "notifications/initialized",
  "ping",
  "tools/list",
  "tools/call",
  "resources/list",
  "resources/templates/list",
  "resources/read",
  "prompts/list",
  "prompts/get",
  "completion/complete",
  "logging/setLevel",
  "notifications/cancelled",
  "server/discover",
  "subscriptions/listen",
  "other",
] as const;

/**
 * The attributes of an outbound HTTP span; Azure Monitor turns them into the
 * dependency's type, target and result code. No URL: a path or query can
 * name a user (`/users/alice@contoso.com`, `$filter=mail eq ...`).
 */
const HTTP_CLIENT = [ATTR.httpMethod, ATTR.serverAddress, ATTR.httpStatus, ATTR.errorType] as const;

/** Every span the kit emits. */
export const SPANS: Readonly<Record<string, SpanSpec>> = {
  mcpRequest: {
    kind: "server",
    names: [...MCP_METHODS.filter((method) => method !== "tools/call"), "tools/call *"],
    attributes: [ATTR.mcpMethod, ATTR.mcpProtocolVersion, ATTR.toolName, ATTR.genAiOperation, ATTR.errorType, ATTR.rpcStatusCode, ATTR.outcome],
  },
  mcpRefused: { kind: "server", names: [SPAN.mcpRefused], attributes: [ATTR.httpMethod, ATTR.httpRoute, ATTR.httpStatus, ATTR.outcome] },
  tokenValidation: { kind: "internal", names: [SPAN.tokenValidation], attributes: [ATTR.tokenCheck, ATTR.tokenOutcome, ATTR.tokenRefusal] },
  oboExchange: { kind: "internal", names: [SPAN.oboExchange], attributes: [ATTR.oboLayer, ATTR.oboApi, ATTR.outcome] },
  secretRead: { kind: "internal", names: [SPAN.secretRead], attributes: [ATTR.secretName, ATTR.secretResult] },
  jwksFetch: { kind: "client", names: ["GET"], attributes: HTTP_CLIENT },
  entraToken: { kind: "client", names: ["POST"], attributes: [...HTTP_CLIENT, ATTR.entraGrant] },
  downstream: { kind: "client", names: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"], attributes: HTTP_CLIENT },
  facade: { kind: "internal", names: FACADE_STEPS.map(SPAN.facade), attributes: [ATTR.facadeStep, ATTR.httpStatus, ATTR.facadeError, ATTR.signInStage] },
};

/**
 * Attributes Azure Monitor maps to columns of their own (resultCode,
 * target, data, type) and leaves out of `customDimensions`.
 */
export const MAPPED_TO_COLUMNS: readonly string[] = [ATTR.errorType, ATTR.httpMethod, ATTR.httpStatus, ATTR.serverAddress];

/** What the kit emits into one Application Insights table. */
export interface EmittedTable {
  /** The columns Azure Monitor fills for what the kit sends (no user, session or client columns: the kit sends none). */
  readonly columns: readonly string[];
  /** Values the `name` column can take; a trailing `*` stands for any rest. */
  readonly names: readonly string[];
  /** Keys of `customDimensions`. */
  readonly dimensions: readonly string[];
}

/** Columns every kind of item has: time, identity of the item and of its trace, the role (OTEL_SERVICE_NAME) and instance. */
const COMMON_COLUMNS = ["timestamp", "name", "customDimensions", "itemCount", "itemId", "operation_Id", "operation_ParentId", "cloud_RoleName", "cloud_RoleInstance", "appName", "iKey", "sdkVersion"];
const SPAN_COLUMNS = [...COMMON_COLUMNS, "id", "duration", "success", "resultCode", "operation_Name"];
const COLUMNS: Readonly<Record<AppInsightsTable, readonly string[]>> = {
  requests: SPAN_COLUMNS,
  dependencies: [...SPAN_COLUMNS, "type", "target"],
  customMetrics: [...COMMON_COLUMNS, "value", "valueSum", "valueCount", "valueMin", "valueMax"],
};

function tableOf(kind: SpanSpec["kind"]): AppInsightsTable {
  return kind === "server" ? "requests" : "dependencies";
}

function spansInto(table: AppInsightsTable): EmittedTable {
  const specs = Object.values(SPANS).filter((spec) => tableOf(spec.kind) === table);
  return {
    columns: COLUMNS[table],
    names: [...new Set(specs.flatMap((spec) => spec.names))],
    dimensions: [...new Set(specs.flatMap((spec) => spec.attributes))].filter((key) => !MAPPED_TO_COLUMNS.includes(key)),
  };
}

/** The tables and names the kit emits, for the workbook check. */
export const EMITTED: Readonly<Record<AppInsightsTable, EmittedTable>> = {
  requests: spansInto("requests"),
  dependencies: spansInto("dependencies"),
  customMetrics: {
    columns: COLUMNS.customMetrics,
    names: Object.values(METRIC).map((metric) => metric.name),
    dimensions: [...new Set(Object.values(METRIC).flatMap((metric) => metric.labels as readonly string[]))],
  },
};
