/**
 * The tool definition API: what a tool author writes in `tools/`.
 *
 * A tool declares its name, description, input (a zod shape, or a JSON Schema
 * given with `jsonSchema()`), optionally its structured output (likewise) and
 * annotations, and a `run` function. The
 * kit validates input before `run` and output after it, and turns failures into
 * `isError` results with a clear message: a {@link ToolError}'s message is shown
 * as is, anything else is logged in full and shown as a short message with a
 * reference id, never a stack trace.
 */
import type { CallToolResult, ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { Logger } from "../log.js";
import type { AppResource } from "./apps.js";
import { isJsonSchema, type JsonSchema } from "./json-schema.js";
import type { Needs, ResolvedNeeds } from "./needs.js";
import { requirementsProblem, type Requirements } from "./requirements.js";

/** A zod object shape: `{ city: z.string(), days: z.number().int() }`. */
export type Shape = Record<string, z.ZodType>;

/** A tool's input or output: a zod shape, or a JSON Schema given with `jsonSchema({...})`. */
export type SchemaSpec = Shape | JsonSchema;

/** The value `run` receives for an input shape (a plain object for a JSON Schema). */
export type InputOf<S extends SchemaSpec> = S extends JsonSchema ? Record<string, unknown> : S extends Shape ? z.infer<z.ZodObject<S>> : never;

/** What `run` returns for an output shape. */
type OutputOf<O extends SchemaSpec | undefined> = O extends JsonSchema ? Record<string, unknown> : O extends Shape ? z.infer<z.ZodObject<O>> : UnstructuredReturn;

/** What every tool receives besides its arguments. */
export interface ToolContext {
  /** Logger for this call; lines carry the tool name and the invocation id. Values are redacted. */
  readonly log: Logger;
  /** Aborted when the client cancels the call or disconnects. Pass it to `fetch`. */
  readonly signal: AbortSignal;
  /**
   * Reports progress to the client when it asked for progress (2025 clients
   * and 2026 clients with a progress token); otherwise does nothing.
   */
  progress(progress: number, total?: number, message?: string): Promise<void>;
}

/**
 * What `run` may return when the tool declares no `output`: a string (sent as
 * text), a full MCP `CallToolResult` (anything with a `content` array, for
 * images, resources or several blocks), or any other JSON value (sent as JSON
 * text).
 */
export type UnstructuredReturn = string | CallToolResult | Record<string, unknown> | readonly unknown[] | number | boolean | null;

/** Per-tool authorization: what the caller's token must grant, checked before the call (the same for resources and prompts). */
export type ToolRequirements = Requirements;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- "no needs" is the empty object type.
type NoNeeds = {};

export interface ToolSpec<I extends SchemaSpec, O extends SchemaSpec | undefined, N extends Needs = NoNeeds> {
  /** Unique name clients call the tool by: 1-128 of `A-Z a-z 0-9 _ - .`. */
  readonly name: string;
  /** Short human-readable name for clients' UIs. */
  readonly title?: string;
  /** What the tool does, written for the model that decides when to call it. */
  readonly description: string;
  /** The arguments, as a zod shape (or `jsonSchema({...})`). Use `{}` for none. Invalid input never reaches `run`. */
  readonly input: I;
  /** The structured result, as a zod shape (or `jsonSchema({...})`). When set, `run` returns that object and clients get it as `structuredContent`. */
  readonly output?: O;
  /** Hints for clients: read-only, destructive, idempotent, open-world. */
  readonly annotations?: ToolAnnotations;
  /**
   * What the tool needs from the signed-in user, resolved before `run` and
   * passed in its context under the same names: `{ oid: claim("oid"), me: user() }`.
   */
  readonly needs?: N;
  /** Scopes or app roles the caller must have; a caller without them gets 403 `insufficient_scope`, and one without the roles does not see the tool listed. */
  readonly requires?: ToolRequirements;
  /**
   * An MCP Apps view (`defineAppResource`) that clients rendering MCP Apps
   * show with the tool's result; the server serves it with the tool (listed
   * among the resources or not). Other clients use the result as usual, so
   * the result must stand alone.
   */
  readonly ui?: AppResource;
  /**
   * How long the tool may run, in milliseconds (default 60 s, at most 225 s:
   * Azure's front end drops an HTTP request idle for 230 s). When it passes,
   * the context's `signal` aborts and the call ends with an error result.
   */
  readonly timeoutMs?: number;
  /** Does the work. Throw a {@link ToolError} for failures the user should read. */
  run(args: InputOf<I>, context: ToolContext & ResolvedNeeds<N>): Promise<OutputOf<O>>;
}

/** A tool as the kit holds it: the spec, checked. */
export interface Tool<I extends SchemaSpec = Shape, O extends SchemaSpec | undefined = Shape | undefined, N extends Needs = NoNeeds> extends ToolSpec<I, O, N> {
  readonly kind: "mcp-functions-kit/tool";
}

/** Any tool, whatever its shapes; what lists of tools hold. */
// The run signature is contravariant in its arguments, so a list of differently
// shaped tools can only be typed by erasing the shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = Tool<any, any, any>;

/** A failure the person using the tool should read. Its message is sent to the client as the tool result. */
export class ToolError extends Error {
  readonly code = "TOOL_ERROR";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ToolError";
  }
}

/** Thrown at startup for a malformed tool definition. */
export class ToolDefinitionError extends Error {
  readonly code = "TOOL_DEFINITION_INVALID";
  constructor(tool: string, problem: string) {
    super(`Tool ${JSON.stringify(tool)}: ${problem}`);
    this.name = "ToolDefinitionError";
  }
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const RESERVED_CONTEXT_FIELDS: ReadonlySet<string> = new Set(["log", "signal", "progress"]);

/**
 * Defines a tool.
 *
 * @example
 * export default defineTool({
 *   name: "forecast",
 *   description: "Daily forecast for a city",
 *   input: { city: z.string().min(1), days: z.number().int().min(1).max(7) },
 *   output: { city: z.string(), days: z.array(z.object({ date: z.string(), highC: z.number() })) },
 *   async run({ city, days }) { return { city, days: await lookup(city, days) }; },
 * });
 * @throws ToolDefinitionError when the name or description is unusable.
 */
export function defineTool<I extends SchemaSpec, O extends SchemaSpec | undefined = undefined, N extends Needs = NoNeeds>(spec: ToolSpec<I, O, N>): Tool<I, O, N> {
  if (!TOOL_NAME.test(spec.name)) {
    throw new ToolDefinitionError(spec.name, "name must be 1-128 characters of A-Z a-z 0-9 _ - .");
  }
  if (spec.description.trim() === "") {
    throw new ToolDefinitionError(spec.name, "description must say what the tool does");
  }
  if (spec.timeoutMs !== undefined && !(Number.isInteger(spec.timeoutMs) && spec.timeoutMs > 0 && spec.timeoutMs <= 225_000)) {
    throw new ToolDefinitionError(spec.name, "timeoutMs must be a whole number of milliseconds between 1 and 225000");
  }
  for (const [which, schema] of [["input", spec.input], ["output", spec.output]] as const) {
    // MCP requires both schemas to describe an object (the arguments, structuredContent).
    if (isJsonSchema(schema) && schema.schema["type"] !== "object") throw new ToolDefinitionError(spec.name, `the ${which} JSON Schema must have "type": "object"`);
  }
  for (const field of Object.keys(spec.needs ?? {})) {
    if (RESERVED_CONTEXT_FIELDS.has(field)) {
      throw new ToolDefinitionError(spec.name, `the need "${field}" would hide the context's own "${field}"; choose another name`);
    }
  }
  const requirementsInvalid = requirementsProblem(spec.requires);
  if (requirementsInvalid !== undefined) throw new ToolDefinitionError(spec.name, requirementsInvalid);
  return { ...spec, kind: "mcp-functions-kit/tool" };
}
