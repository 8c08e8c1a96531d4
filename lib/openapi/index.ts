/**
 * `openApiTools({...})`: the operations of an OpenAPI 3.0 / 3.1 document as
 * ordinary kit tools, each calling the API On-Behalf-Of the signed-in user
 * (or with an API key from Key Vault, or anonymously, as the document's
 * security says). Generation runs once, at startup; the result is a plain
 * list to spread into `tools`.
 *
 * Every refusal (a broken document, an `include` entry that matches
 * nothing, two operations that would share a tool name, a security scheme
 * the kit cannot meet) stops startup with an {@link OpenApiError} naming the
 * document and the operation.
 */
import type { AnyTool } from "../mcp/tool.js";
import { dereferenceDocument, OpenApiError, readDocument, type DocumentSource } from "./document.js";
import { isValidPrefix, toolName } from "./names.js";
import { planOperation } from "./operation.js";
import { SchemaConverter } from "./schema.js";
import { authPlanOf, type ScopeOptions } from "./security.js";
import { listOperations, operationLabel, selectOperations, type OperationEntry } from "./select.js";
import { generatedTool } from "./tool.js";
import { prune } from "./prune.js";
import { validateDocument } from "./validate.js";

export { OpenApiError } from "./document.js";
export type { DocumentSource } from "./document.js";
export type { ScopeOptions } from "./security.js";

/** What {@link openApiTools} generates tools from. */
export interface OpenApiToolsOptions {
  /** The document: a file path (JSON or YAML), a `file:` or `https:` URL (fetched at startup, SSRF-safe), or the parsed object. */
  readonly document: DocumentSource;
  /** Where the API is (https; http only on loopback); default: the document's first server, relative to the document's URL. */
  readonly baseUrl?: string | URL;
  /** Operations to expose: operationIds (`listOrders`), tags (`tag:orders`), path globs (`/orders/*`, `GET /orders/**`); default all. */
  readonly include?: readonly string[];
  /** Operations to leave out, in the same forms; applied after `include`. */
  readonly exclude?: readonly string[];
  /** Put before every tool name (`orders_` makes `listOrders` the tool `orders_listOrders`). */
  readonly prefix?: string;
  /** How the document's OAuth2 scopes map to Entra: the API's identifier URI for short names, scopes for operations that name none. */
  readonly scopes?: ScopeOptions;
  /** Key Vault secret names of `apiKey` schemes, by scheme name; default: the scheme's name (letters, digits, dashes). */
  readonly apiKeySecrets?: Readonly<Record<string, string>>;
  /** Each tool's deadline in milliseconds (default the kit's 60 s, at most 225 s). */
  readonly timeoutMs?: number;
  /** Largest answer passed on to the client, in bytes (text, JSON or a binary resource); default 1 MiB. */
  readonly maxResponseBytes?: number;
  /** `host` or `host:port` entries a document URL may resolve to private or loopback addresses for (an internal API). */
  readonly privateHosts?: readonly string[];
  /**
   * Validate the chosen operations against the OpenAPI schema at startup (default true). Compiling
   * that schema is most of the cold-start cost of a small selection (bench/); a document already
   * validated in CI may skip it. The kit's own checks (names, parameters, schemas, security) still run.
   */
  readonly validate?: boolean;
}

const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * The document's operations as tools, one per operation.
 *
 * @example
 * // tools/index.ts
 * export const tools = [
 *   echo,
 *   ...(await openApiTools({ document: "https://orders.contoso.com/openapi.json", prefix: "orders_", scopes: { resource: "api://contoso-orders" } })),
 * ];
 * @throws OpenApiError naming the document (and the operation) for anything that would not work
 */
export async function openApiTools(options: OpenApiToolsOptions): Promise<AnyTool[]> {
  const prefix = options.prefix ?? "";
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const early = typeof options.document === "object" && !(options.document instanceof URL) ? "(object)" : String(options.document);
  if (!isValidPrefix(prefix)) throw new OpenApiError(early, `prefix ${JSON.stringify(prefix)} must be at most 64 of A-Z a-z 0-9 _ - .`);
  if (!Number.isInteger(maxResponseBytes) || maxResponseBytes <= 0) throw new OpenApiError(early, "maxResponseBytes must be a positive whole number of bytes");
  const explicitBase = options.baseUrl === undefined ? undefined : checkedBase(String(options.baseUrl), early, "baseUrl");

  const raw = await readDocument(options.document, { ...(options.privateHosts === undefined ? {} : { privateHosts: options.privateHosts }) });
  const { label, version } = raw;
  const pruned = prune(raw, selectOperations(listOperations(raw.document, label), options.include, options.exclude, label));
  // The dereferencer rewrites its input; a document with cycles is validated in its pruned form.
  const dereferenced = await dereferenceDocument(structuredClone(pruned), label);
  if (options.validate !== false) await validateDocument(raw, dereferenced, pruned);
  const { document } = dereferenced;
  const selected = listOperations(document, label);

  const components = document["components"];
  const converters = { request: new SchemaConverter(version, "request", components), response: new SchemaConverter(version, "response", components) };
  const authContext = { label, document, scopes: options.scopes, apiKeySecrets: options.apiKeySecrets };
  const owners = new Map<string, OperationEntry>();
  return selected.map((entry) => {
    const name = toolName(prefix, entry.operationId, entry.method, entry.path);
    const owner = owners.get(name);
    if (owner !== undefined) {
      throw new OpenApiError(label, `its tool name "${name}" is also the name of ${operationLabel(owner)}; exclude one of them or give it another operationId`, operationLabel(entry));
    }
    owners.set(name, entry);
    const plan = planOperation(entry, converters, label);
    return generatedTool({
      name,
      plan,
      auth: authPlanOf(entry.operation, authContext, plan.label),
      base: explicitBase ?? serverOf(entry, document, raw.url, label),
      timeoutMs: options.timeoutMs,
      maxResponseBytes,
    });
  });
}

/** The first server of the operation (or its path, or the document), variables at their defaults. */
function serverOf(entry: OperationEntry, document: Record<string, unknown>, documentUrl: URL | undefined, label: string): URL {
  const servers = [entry.operation["servers"], entry.pathItem["servers"], document["servers"]].find((list) => Array.isArray(list) && list.length > 0) as Array<Record<string, unknown>> | undefined;
  const server = servers?.[0];
  if (server === undefined || typeof server["url"] !== "string") throw new OpenApiError(label, "names no server; give baseUrl", operationLabel(entry));
  const variables = (server["variables"] ?? {}) as Record<string, { default?: unknown }>;
  const url = server["url"].replace(/\{([^}]+)\}/g, (_match, name: string) => String(variables[name]?.default ?? `{${name}}`));
  let resolved: string;
  try {
    resolved = new URL(url, documentUrl).href;
  } catch {
    throw new OpenApiError(label, `its server URL ${JSON.stringify(url)} is relative${documentUrl === undefined ? " and the document has no URL to resolve it against" : ""}; give baseUrl`, operationLabel(entry));
  }
  return checkedBase(resolved, label, "the server URL");
}

/** An API base URL the user's token may travel to: https, or http on a loopback host. */
function checkedBase(text: string, label: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new OpenApiError(label, `${what} ${JSON.stringify(text)} is not an absolute URL`);
  }
  const loopback = url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (!(url.protocol === "https:" || (url.protocol === "http:" && loopback))) throw new OpenApiError(label, `${what} ${url.href} must be https (http only on loopback): tokens travel to it`);
  if (url.username !== "" || url.password !== "") throw new OpenApiError(label, `${what} must not carry credentials`);
  url.search = "";
  url.hash = "";
  return url;
}
