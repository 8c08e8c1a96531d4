/**
 * A tool's zod schemas, built once per tool rather than once per request.
 *
 * The MCP SDK calls the server factory for every HTTP request, and the kit's
 * factory registers every tool on the fresh server. Building `z.object(shape)`
 * there made each request pay for a new zod object, zod's compilation of its
 * fast parser on first use, and (for 2026-07-28 `tools/call`, whose
 * `Mcp-Param-*` headers the SDK checks against the tool's JSON Schema before
 * dispatch) a JSON Schema conversion: together about a fifth of a bare
 * request's CPU time (bench/README.md). Here the schemas are built once, and the
 * schema handed to the SDK converts to JSON Schema once per target.
 *
 * A tool may give a JSON Schema instead of a zod shape (lib/mcp/json-schema.ts);
 * both end up as the same two things: a Standard Schema for the SDK and a
 * result check for the kit.
 */
import type { StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import { z } from "zod";
import { isJsonSchema, jsonSchemaValidation, type SchemaCheck } from "./json-schema.js";
import type { AnyTool } from "./tool.js";

/** The schemas of one tool. */
export interface ToolSchemas {
  /** Validates arguments (the SDK runs it before the tool). */
  readonly input: StandardSchemaWithJSON;
  /** What `tools/list` advertises as the output schema. */
  readonly output: StandardSchemaWithJSON | undefined;
  /** The kit checks results against the output schema itself (see server.ts); absent without one. */
  readonly checkOutput: ((value: unknown) => SchemaCheck) | undefined;
}

type ConversionOptions = Parameters<StandardSchemaWithJSON["~standard"]["jsonSchema"]["input"]>[0];

// Tools are immutable once defined (defineTool returns a checked copy), so the tool object is the key.
const built = new WeakMap<AnyTool, ToolSchemas>();

/** The schemas of `tool`, built on first use and kept for the life of the tool. */
export function schemasOf(tool: AnyTool): ToolSchemas {
  let schemas = built.get(tool);
  if (schemas === undefined) {
    const output = tool.output === undefined ? undefined : schemaOf(tool.output);
    schemas = { input: schemaOf(tool.input).standard, output: output?.standard, checkOutput: output?.check };
    built.set(tool, schemas);
  }
  return schemas;
}

function schemaOf(spec: AnyTool["input"]): { standard: StandardSchemaWithJSON; check(value: unknown): SchemaCheck } {
  if (isJsonSchema(spec)) return jsonSchemaValidation(spec.schema);
  const object = z.object(spec);
  return {
    standard: withConvertedOnce(object),
    check(value) {
      const checked = object.safeParse(value);
      return checked.success ? { ok: true, value: checked.data } : { ok: false, problem: z.prettifyError(checked.error) };
    },
  };
}

/**
 * The same Standard Schema, validating as zod does, whose JSON Schema is
 * computed once per direction and target and then shared. Callers must
 * treat the returned JSON Schema as read-only; the SDK does (it already
 * shares one conversion between `tools/list` and `tools/call`). Prompts'
 * argument schemas use it too.
 */
export function withConvertedOnce(schema: z.ZodObject): StandardSchemaWithJSON {
  const standard = schema["~standard"];
  const converted = new Map<string, Record<string, unknown>>();
  const convert = (io: "input" | "output", options: ConversionOptions): Record<string, unknown> => {
    // Options other than the target change the output; only the common case is kept.
    if (options.libraryOptions !== undefined) return standard.jsonSchema[io](options);
    const key = `${io} ${options.target}`;
    let json = converted.get(key);
    if (json === undefined) {
      json = standard.jsonSchema[io](options);
      converted.set(key, json);
    }
    return json;
  };
  return {
    "~standard": {
      version: standard.version,
      vendor: standard.vendor,
      validate: (value) => standard.validate(value),
      jsonSchema: {
        input: (options) => convert("input", options),
        output: (options) => convert("output", options),
      },
    },
  };
}
