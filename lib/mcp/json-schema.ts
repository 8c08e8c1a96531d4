/**
 * Tool input and output given as a JSON Schema rather than a zod shape: for
 * tools whose schemas come from elsewhere (an OpenAPI document, another MCP
 * server) and would only lose detail on a round trip through zod.
 *
 * The schema is advertised exactly as given, and validated with the MCP
 * SDK's own JSON Schema validator (Ajv, JSON Schema 2020-12 unless the schema
 * names another dialect), compiled on the first call rather than at startup:
 * a thousand generated tools must not cost a thousand compilations at cold
 * start when most are never called.
 */
import { fromJsonSchema, type StandardSchemaWithJSON } from "@modelcontextprotocol/server";

/** A JSON Schema object, as plain JSON. */
export type JsonSchemaObject = Readonly<Record<string, unknown>>;

/** A JSON Schema standing in for a zod shape; made by {@link jsonSchema}. */
export interface JsonSchema {
  readonly kind: "mcp-functions-kit/json-schema";
  /** The schema; for a tool's input or output its `type` is `"object"`. */
  readonly schema: JsonSchemaObject;
}

/**
 * A tool's `input` or `output` as a JSON Schema (an object schema) instead of
 * a zod shape. `run` then receives the arguments as a plain object, and the
 * kit validates them (and the result, for `output`) against the schema.
 *
 * @example
 * defineTool({
 *   name: "lookup",
 *   description: "Looks a code up",
 *   input: jsonSchema({ type: "object", properties: { code: { type: "string", pattern: "^[A-Z]{3}$" } }, required: ["code"] }),
 *   async run({ code }) { return `You asked for ${String(code)}`; },
 * });
 */
export function jsonSchema(schema: JsonSchemaObject): JsonSchema {
  return { kind: "mcp-functions-kit/json-schema", schema };
}

/** Whether a tool's `input` / `output` is a {@link JsonSchema} rather than a zod shape. */
export function isJsonSchema(value: unknown): value is JsonSchema {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "mcp-functions-kit/json-schema";
}

/** What checking a value against a schema found. */
export type SchemaCheck = { readonly ok: true; readonly value: Record<string, unknown> } | { readonly ok: false; readonly problem: string };

/**
 * The Standard Schema the SDK validates with, and a direct check for results,
 * for one JSON Schema; the validator is compiled on first use and kept.
 */
export function jsonSchemaValidation(schema: JsonSchemaObject): { readonly standard: StandardSchemaWithJSON; check(value: unknown): SchemaCheck } {
  let compiled: StandardSchemaWithJSON | undefined;
  // fromJsonSchema compiles at once; deferred, so that listing tools never pays for it.
  const validator = (): StandardSchemaWithJSON => (compiled ??= fromJsonSchema(schema as Parameters<typeof fromJsonSchema>[0]));
  const standard: StandardSchemaWithJSON = {
    "~standard": {
      version: 1,
      vendor: "mcp-functions-kit",
      validate: (value) => validator()["~standard"].validate(value),
      jsonSchema: { input: () => schema as Record<string, unknown>, output: () => schema as Record<string, unknown> },
    },
  };
  return {
    standard,
    check(value) {
      // The SDK's JSON Schema validator is synchronous (Ajv); a Promise here would be a contract change.
      const result = validator()["~standard"].validate(value);
      if (result instanceof Promise) throw new Error("the JSON Schema validator is unexpectedly asynchronous");
      if (result.issues !== undefined) return { ok: false, problem: result.issues.map((issue) => issue.message).join("; ") };
      return { ok: true, value: result.value as Record<string, unknown> };
    },
  };
}
