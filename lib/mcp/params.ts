/**
 * Parameter types of the requests clients send most, checked before the MCP
 * SDK sees them. The SDK validates params against its wire schemas too, but
 * answers some failures (a `cursor` that is not a string on any list method)
 * with -32603 Internal error and its whole schema report as the message,
 * which tells a client the server broke when the client did. Here a wrong
 * type is -32602 Invalid params with one short sentence naming the field;
 * everything else (values, unknown methods, what the era allows) is still
 * the SDK's to judge.
 */

type FieldType = "string" | "object";

interface FieldRule {
  readonly type: FieldType;
  readonly required?: boolean;
  /** Said after "must be a string" etc., for fields whose meaning a client may not guess. */
  readonly hint?: string;
}

const CURSOR: FieldRule = { type: "string", hint: "the nextCursor of a previous page, or omitted" };

/** Methods and the fields whose type is checked. */
const RULES: ReadonlyMap<string, Readonly<Record<string, FieldRule>>> = new Map<string, Readonly<Record<string, FieldRule>>>([
  ["tools/list", { cursor: CURSOR }],
  ["resources/list", { cursor: CURSOR }],
  ["resources/templates/list", { cursor: CURSOR }],
  ["prompts/list", { cursor: CURSOR }],
  ["tools/call", { name: { type: "string", required: true }, arguments: { type: "object" } }],
  ["prompts/get", { name: { type: "string", required: true }, arguments: { type: "object" } }],
  ["resources/read", { uri: { type: "string", required: true } }],
  ["completion/complete", { ref: { type: "object", required: true }, argument: { type: "object", required: true } }],
  ["logging/setLevel", { level: { type: "string", required: true } }],
]);

/**
 * Methods the 2026-07-28 revision removed: a modern request for one is the
 * SDK's to answer (404, -32601 method not found), whatever its params.
 */
const REMOVED_IN_2026: ReadonlySet<string> = new Set(["logging/setLevel"]);

/** Whether a request carries the 2026-07-28 `_meta` envelope (its protocol version inside). */
function isModernRequest(params: unknown): boolean {
  const meta = isObject(params) ? (params as Record<string, unknown>)["_meta"] : undefined;
  return isObject(meta) && "io.modelcontextprotocol/protocolVersion" in (meta as Record<string, unknown>);
}

/** A request refused for the type of one of its params. */
export interface InvalidParams {
  /** The request's id, for the error response. */
  readonly id: string | number;
  /** One sentence naming the method and the field. */
  readonly message: string;
}

/**
 * The first request in `message` (one JSON-RPC message or a batch) whose
 * params have a wrong type, or `undefined`. Notifications are passed over:
 * nothing may answer them.
 *
 * @example
 * invalidParamsIn({ jsonrpc: "2.0", id: 1, method: "tools/list", params: { cursor: 5 } });
 * // { id: 1, message: "Invalid params for tools/list: cursor must be a string (the nextCursor of a previous page, or omitted)." }
 */
export function invalidParamsIn(message: unknown): InvalidParams | undefined {
  for (const item of Array.isArray(message) ? message : [message]) {
    if (typeof item !== "object" || item === null) continue;
    const { id, method, params } = item as { id?: unknown; method?: unknown; params?: unknown };
    if ((typeof id !== "string" && typeof id !== "number") || typeof method !== "string") continue;
    const rules = RULES.get(method);
    if (rules === undefined || (REMOVED_IN_2026.has(method) && isModernRequest(params))) continue;
    const problem = paramsProblem(params, rules);
    if (problem !== undefined) return { id, message: `Invalid params for ${method}: ${problem}.` };
  }
  return undefined;
}

function paramsProblem(params: unknown, rules: Readonly<Record<string, FieldRule>>): string | undefined {
  if (params !== undefined && !isObject(params)) return "params must be an object";
  const fields = (params ?? {}) as Record<string, unknown>;
  if (fields["_meta"] !== undefined && !isObject(fields["_meta"])) return "_meta must be an object";
  for (const [name, rule] of Object.entries(rules)) {
    const value = fields[name];
    if (value === undefined) {
      if (rule.required === true) return `${name} is required`;
      continue;
    }
    if (rule.type === "string" ? typeof value !== "string" : !isObject(value)) {
      return `${name} must be ${rule.type === "string" ? "a string" : "an object"}${rule.hint === undefined ? "" : ` (${rule.hint})`}`;
    }
  }
  return undefined;
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
