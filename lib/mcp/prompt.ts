/**
 * The prompt definition API (`definePrompt`): prompt templates clients offer
 * their users (slash commands and the like), listed in `tools/index.ts`
 * beside the tools, with the same needs, `requires`, deadline, size limit
 * and error rules as tools and resources.
 */
import type { GetPromptResult, PromptMessage, StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Logger } from "../log.js";
import type { Needs, ResolvedNeeds } from "./needs.js";
import type { Requirements } from "./requirements.js";
import { commonProblem, DefinitionError, type Completers } from "./resource.js";
import { withConvertedOnce } from "./schemas.js";

/**
 * A prompt's arguments as a zod shape. Clients send prompt arguments as
 * strings, so each field must accept a string: `z.string()`, `z.enum([...])`,
 * optionally `.optional()`; `.describe()` becomes the argument's description.
 */
export type ArgumentsShape = Record<string, z.ZodType<unknown, string | undefined>>;

/** What `get` receives besides its arguments and needs. */
export interface PromptContext {
  /** Logger for this request; lines carry the prompt name and the invocation id. Values are redacted. */
  readonly log: Logger;
  /** Aborted when the client goes away or the deadline passes. */
  readonly signal: AbortSignal;
}

/**
 * What `get` may return: a string (one user message), a list of MCP prompt
 * messages, or a full `GetPromptResult` (`{ messages, description? }`).
 */
export type PromptReturn = string | readonly PromptMessage[] | GetPromptResult;

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- "no needs" is the empty object type.
type NoNeeds = {};

export interface PromptSpec<A extends ArgumentsShape, N extends Needs = NoNeeds> {
  /** Unique name clients get the prompt by: 1-128 of `A-Z a-z 0-9 _ - .`. */
  readonly name: string;
  /** Short human-readable name for clients' UIs. */
  readonly title?: string;
  /** What the prompt is for, shown to the user who picks it. */
  readonly description: string;
  /** The arguments, as a zod shape over strings. Use `{}` for none. Invalid arguments never reach `get`. */
  readonly arguments: A;
  /** Completions for the arguments (with the prompt's needs): `{ project: async (value, { projects }) => [...] }`. */
  readonly complete?: Completers<N>;
  /** What `get` needs from the signed-in user, resolved first. */
  readonly needs?: N;
  /** Scopes or app roles the caller must have (see the README). */
  readonly requires?: Requirements;
  /** How long `get` may take, in milliseconds (default 60 s, at most 225 s). */
  readonly timeoutMs?: number;
  /** Largest result `get` may return, in bytes of JSON (default 1 MiB, at most 16 MiB). */
  readonly maxBytes?: number;
  /** Builds the messages. Throw a {@link PromptError} for failures the user should read. */
  get(args: z.infer<z.ZodObject<A>>, context: PromptContext & ResolvedNeeds<N>): Promise<PromptReturn>;
}

/** A prompt as the kit holds it: the spec, checked, its argument schema built (and converted to JSON Schema) once per process. */
export interface Prompt<A extends ArgumentsShape = ArgumentsShape, N extends Needs = NoNeeds> extends PromptSpec<A, N> {
  readonly kind: "mcp-functions-kit/prompt";
  readonly argumentsSchema: StandardSchemaWithJSON;
}

/** Any prompt, whatever its shapes; what lists of prompts hold. */
// The get signature is contravariant in its arguments, so a list of differently shaped
// prompts can only be typed by erasing the shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPrompt = Prompt<any, any>;

/** A failure the person using the prompt should read. Its message is sent to the client as the error message. */
export class PromptError extends Error {
  readonly code = "PROMPT_ERROR";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PromptError";
  }
}

/** Whether a JSON Schema accepts strings, which is all a client can send as a prompt argument. */
function acceptsStrings(schema: Record<string, unknown>): boolean {
  if (schema["type"] === "string") return true;
  if (Array.isArray(schema["enum"])) return schema["enum"].every((value) => typeof value === "string");
  for (const key of ["anyOf", "oneOf"] as const) {
    const options = schema[key];
    if (Array.isArray(options)) return options.some((option) => typeof option === "object" && option !== null && acceptsStrings(option as Record<string, unknown>));
  }
  return false;
}

/**
 * Defines a prompt.
 *
 * @example
 * export default definePrompt({
 *   name: "introduce_me",
 *   description: "Drafts a short introduction of the signed-in user",
 *   arguments: { audience: z.string().describe("Who the introduction is for") },
 *   needs: { me: user() },
 *   async get({ audience }, { me }) { return `Write a two-line introduction of ${me.name} for ${audience}.`; },
 * });
 * @throws DefinitionError when a field is unusable or an argument cannot take a string.
 */
export function definePrompt<A extends ArgumentsShape, N extends Needs = NoNeeds>(spec: PromptSpec<A, N>): Prompt<A, N> {
  const fail = (problem: string): never => {
    throw new DefinitionError("Prompt", spec.name, problem);
  };
  const problem = commonProblem(spec);
  if (problem !== undefined) fail(problem);
  if (spec.description.trim() === "") fail("description must say what the prompt is for");
  const argumentsSchema = z.object(spec.arguments);
  const properties = (z.toJSONSchema(argumentsSchema, { io: "input" }) as { properties?: Record<string, Record<string, unknown>> }).properties ?? {};
  for (const [name, schema] of Object.entries(properties)) {
    if (!acceptsStrings(schema)) fail(`argument "${name}" must accept a string (clients send prompt arguments as strings): use z.string() or z.enum([...])`);
  }
  for (const name of Object.keys(spec.complete ?? {})) {
    if (!(name in spec.arguments)) fail(`complete names "${name}", which is not an argument (arguments: ${Object.keys(spec.arguments).join(", ") || "none"})`);
  }
  return { ...spec, kind: "mcp-functions-kit/prompt", argumentsSchema: withConvertedOnce(argumentsSchema) };
}
