/**
 * The resource definition API: fixed resources (`defineResource`) and
 * resource templates (`defineResourceTemplate`), listed in `tools/index.ts`
 * beside the tools.
 *
 * They get what tools get: needs resolved before the handler (`claim`,
 * `user`, `obo`…), per-item `requires`, a deadline and an abort signal, a
 * size limit on what is returned, and the same error rules: a
 * {@link ResourceError}'s message is shown as is, anything else is logged and
 * shown as a short message with a reference id.
 */
import { UriTemplate, type Annotations, type ReadResourceResult } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Logger } from "../log.js";
import type { Needs, ResolvedNeeds } from "./needs.js";
import { requirementsProblem, type Requirements } from "./requirements.js";

/** What every resource handler receives besides its needs. */
export interface ResourceContext {
  /** Logger for this read; lines carry the resource name and the invocation id. Values are redacted. */
  readonly log: Logger;
  /** Aborted when the client goes away or the deadline passes. Pass it to `fetch`. */
  readonly signal: AbortSignal;
  /** The URI being read, as the client sent it. */
  readonly uri: URL;
}

/**
 * What `read` may return: a string (text, with the resource's `mimeType`,
 * default `text/plain`), bytes (sent base64-encoded, default
 * `application/octet-stream`), a full MCP result (`{ contents: [...] }`), or
 * any other JSON value (sent as JSON text, `application/json`).
 */
// `object` rather than Record<string, unknown>, so that values typed by an interface (no index signature) are accepted.
export type ResourceReturn = string | Uint8Array | { readonly contents: ReadResourceResult["contents"] } | object | number | boolean | null;

/** One resource a template's `list` offers. */
export interface ListedResource {
  /** A URI the template matches. */
  readonly uri: string;
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
}

/** The fields resources and templates share. */
interface ResourceCommon<N extends Needs> {
  /** Programmatic name, unique among the server's resources and templates: 1-128 of `A-Z a-z 0-9 _ - .`. */
  readonly name: string;
  /** Short human-readable name for clients' UIs. */
  readonly title?: string;
  /** What the resource holds, for the user and the model. */
  readonly description?: string;
  /** MIME type of what `read` returns. */
  readonly mimeType?: string;
  /** Hints for clients: audience, priority. */
  readonly annotations?: Annotations;
  /** What the handler needs from the signed-in user, resolved first: `{ orders: obo([...]) }`. */
  readonly needs?: N;
  /** Scopes or app roles the caller must have (see the README: missing scopes step up, missing roles hide the resource). */
  readonly requires?: Requirements;
  /** How long a read may take, in milliseconds (default 60 s, at most 225 s). */
  readonly timeoutMs?: number;
  /** Largest result a read may return, in bytes of JSON (default 1 MiB, at most 16 MiB); a larger one is refused. */
  readonly maxBytes?: number;
  /** Extra `_meta` on the listing and on every content item (MCP Apps put `ui` here). */
  readonly meta?: Readonly<Record<string, unknown>>;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- "no needs" is the empty object type.
type NoNeeds = {};

export interface ResourceSpec<N extends Needs = NoNeeds> extends ResourceCommon<N> {
  /** The resource's URI: `config://app`, `ui://graph-me/profile-card`. */
  readonly uri: string;
  /** Produces the content. Throw a {@link ResourceError} for failures the user should read. */
  read(context: ResourceContext & ResolvedNeeds<N>): Promise<ResourceReturn>;
}

/** A zod shape for the variables of a URI template: `{ orderId: z.string().regex(/^\d+$/) }`. */
export type VariablesShape = Record<string, z.ZodType<unknown, string>>;

/** What completion callbacks receive besides their needs. */
export interface CompletionContext {
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** Values the client has already chosen for the other arguments or variables. */
  readonly arguments: Readonly<Record<string, string>>;
}

/** Completion callbacks, per argument or variable name: the values that start like `value`. */
export type Completers<N extends Needs> = Readonly<Record<string, (value: string, context: CompletionContext & ResolvedNeeds<N>) => Promise<readonly string[]>>>;

/** Variables nobody declared a schema for: strings. */
type StringVariables = Record<string, z.ZodString>;

export interface ResourceTemplateSpec<N extends Needs = NoNeeds, V extends VariablesShape = StringVariables> extends ResourceCommon<N> {
  /** An RFC 6570 URI template: `orders://{orderId}`. */
  readonly uriTemplate: string;
  /**
   * How each variable is checked before `read`, as a zod shape over strings
   * (default: any string). A URI whose variables fail is refused with an
   * error naming the variable, and `read` is never entered.
   */
  readonly variables?: V;
  /** The resources the template offers the caller now, for `resources/list` (with the same needs). */
  list?(context: Omit<ResourceContext, "uri"> & ResolvedNeeds<N>): Promise<readonly ListedResource[]>;
  /** Completions for the template's variables (with the same needs). */
  readonly complete?: Completers<N>;
  /** Produces the content for the variables of one URI. */
  read(variables: { readonly [K in keyof V]: z.infer<V[K]> }, context: ResourceContext & ResolvedNeeds<N>): Promise<ResourceReturn>;
}

/** A resource as the kit holds it: the spec, checked. */
export interface Resource<N extends Needs = NoNeeds> extends ResourceSpec<N> {
  readonly kind: "mcp-functions-kit/resource";
}

/** A resource template as the kit holds it: the spec, checked, its URI template parsed once. */
export interface ResourceTemplateDefinition<N extends Needs = NoNeeds, V extends VariablesShape = StringVariables> extends ResourceTemplateSpec<N, V> {
  readonly kind: "mcp-functions-kit/resource-template";
  /** The parsed template. */
  readonly template: UriTemplate;
  /** Every variable's schema: the declared ones, `z.string()` for the rest. */
  readonly variableSchemas: Readonly<Record<string, z.ZodType<unknown, string>>>;
}

/** Any resource or template, whatever its needs; what lists of resources hold. */
// The handler signatures are contravariant in their context, so a list of differently typed
// definitions can only be typed by erasing the type parameters.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyResource = Resource<any> | ResourceTemplateDefinition<any, any>;

/** A failure the person reading the resource should read. Its message is sent to the client as the error message. */
export class ResourceError extends Error {
  readonly code = "RESOURCE_ERROR";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ResourceError";
  }
}

/** The URI names nothing (an order that does not exist): answered as MCP's "resource not found". */
export class ResourceNotFound extends ResourceError {
  constructor(message = "No resource exists at this URI.", options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ResourceNotFound";
  }
}

/** Thrown at startup for a malformed resource, template or prompt definition. */
export class DefinitionError extends Error {
  readonly code = "DEFINITION_INVALID";
  constructor(kind: string, name: string, problem: string) {
    super(`${kind} ${JSON.stringify(name)}: ${problem}`);
    this.name = "DefinitionError";
  }
}

const ITEM_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** The deadline rule tools have: Azure's front end drops an HTTP request idle for 230 s. */
const MAX_TIMEOUT_MS = 225_000;
export const DEFAULT_MAX_RESULT_BYTES = 1024 * 1024;
const MAX_RESULT_BYTES = 16 * 1024 * 1024;
const RESERVED_CONTEXT_FIELDS: ReadonlySet<string> = new Set(["log", "signal", "uri", "arguments"]);

/**
 * The checks every definition (resource, template, prompt) shares; returns
 * the problem, or undefined.
 */
export function commonProblem(spec: { name: string; needs?: Needs; requires?: Requirements; timeoutMs?: number; maxBytes?: number }): string | undefined {
  if (!ITEM_NAME.test(spec.name)) return "name must be 1-128 characters of A-Z a-z 0-9 _ - .";
  if (spec.timeoutMs !== undefined && !(Number.isInteger(spec.timeoutMs) && spec.timeoutMs > 0 && spec.timeoutMs <= MAX_TIMEOUT_MS)) {
    return `timeoutMs must be a whole number of milliseconds between 1 and ${MAX_TIMEOUT_MS}`;
  }
  if (spec.maxBytes !== undefined && !(Number.isInteger(spec.maxBytes) && spec.maxBytes > 0 && spec.maxBytes <= MAX_RESULT_BYTES)) {
    return `maxBytes must be a whole number of bytes between 1 and ${MAX_RESULT_BYTES}`;
  }
  for (const field of Object.keys(spec.needs ?? {})) {
    if (RESERVED_CONTEXT_FIELDS.has(field)) return `the need "${field}" would hide the context's own "${field}"; choose another name`;
  }
  return requirementsProblem(spec.requires);
}

function checkUri(uri: string): string | undefined {
  try {
    new URL(uri);
  } catch {
    return `uri ${JSON.stringify(uri)} is not an absolute URI (scheme://…)`;
  }
  if (UriTemplate.isTemplate(uri)) return `uri ${JSON.stringify(uri)} contains template expressions; use defineResourceTemplate`;
  return undefined;
}

/**
 * Defines a resource with a fixed URI.
 *
 * @example
 * export default defineResource({
 *   uri: "profile://me",
 *   name: "my-profile",
 *   mimeType: "application/json",
 *   needs: { graph: obo(["https://graph.microsoft.com/User.Read"]) },
 *   async read({ graph }) { return await (await graph.fetch("https://graph.microsoft.com/v1.0/me")).json(); },
 * });
 * @throws DefinitionError when a field is unusable.
 */
export function defineResource<N extends Needs = NoNeeds>(spec: ResourceSpec<N>): Resource<N> {
  const problem = commonProblem(spec) ?? checkUri(spec.uri);
  if (problem !== undefined) throw new DefinitionError("Resource", spec.name, problem);
  return { ...spec, kind: "mcp-functions-kit/resource" };
}

/**
 * Defines a resource template: a family of resources named by a URI template.
 *
 * @example
 * export default defineResourceTemplate({
 *   uriTemplate: "orders://{orderId}",
 *   name: "order",
 *   mimeType: "application/json",
 *   variables: { orderId: z.string().regex(/^\d{1,12}$/, "an order number") },
 *   needs: { orders: obo(["api://contoso-orders/Orders.Read"]) },
 *   async read({ orderId }, { orders }) { return await (await orders.fetch(`${api}/${orderId}`)).json(); },
 * });
 * @throws DefinitionError when the template or a field is unusable.
 */
export function defineResourceTemplate<N extends Needs = NoNeeds, V extends VariablesShape = StringVariables>(
  spec: ResourceTemplateSpec<N, V>,
): ResourceTemplateDefinition<N, V> {
  const fail = (problem: string): never => {
    throw new DefinitionError("Resource template", spec.name, problem);
  };
  const problem = commonProblem(spec);
  if (problem !== undefined) fail(problem);
  let template: UriTemplate;
  try {
    template = new UriTemplate(spec.uriTemplate);
  } catch (error) {
    return fail(`uriTemplate ${JSON.stringify(spec.uriTemplate)} is not a URI template: ${error instanceof Error ? error.message : String(error)}`);
  }
  const names = template.variableNames;
  if (names.length === 0) fail(`uriTemplate ${JSON.stringify(spec.uriTemplate)} has no variables; use defineResource`);
  for (const name of [...Object.keys(spec.variables ?? {}), ...Object.keys(spec.complete ?? {})]) {
    if (!names.includes(name)) fail(`"${name}" is not a variable of ${spec.uriTemplate} (its variables: ${names.join(", ")})`);
  }
  const variableSchemas = Object.fromEntries(names.map((name) => [name, spec.variables?.[name] ?? z.string()]));
  return { ...spec, kind: "mcp-functions-kit/resource-template", template, variableSchemas };
}

/** Whether a resource definition is a template. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the same erasure as AnyResource, so that narrowing leaves Resource in the other branch.
export function isTemplate(resource: AnyResource): resource is ResourceTemplateDefinition<any, any> {
  return resource.kind === "mcp-functions-kit/resource-template";
}
