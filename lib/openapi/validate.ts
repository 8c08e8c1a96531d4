/**
 * Validation with `@readme/openapi-parser`: the OpenAPI 3.0 / 3.1 schemas
 * plus its rules (path parameters declared and required, parameters and
 * operationIds unique, security schemes well formed).
 *
 * It judges the dereferenced pruned copy (prune.ts) without its component
 * schemas, which the operations already hold inline: validating them again
 * on their own tripled the cost on GitHub's document. A document with
 * circular references is judged before dereferencing instead (the validator
 * cannot walk a cycle of objects).
 */
import { OpenApiError, messageOf, type RawDocument } from "./document.js";

const MESSAGE_LINES = 8;

/**
 * Validates the pruned copy of `raw`'s document: `dereferenced`, or where that
 * has cycles, `pruned` (not yet dereferenced).
 * @throws OpenApiError with the validator's findings (which name the paths)
 */
export async function validateDocument(raw: RawDocument, dereferenced: { document: Record<string, unknown>; circular: boolean }, pruned: Record<string, unknown>): Promise<void> {
  const components = (dereferenced.document["components"] ?? {}) as Record<string, unknown>;
  const judged = dereferenced.circular
    ? pruned
    : { ...dereferenced.document, components: components["securitySchemes"] === undefined ? {} : { securitySchemes: components["securitySchemes"] } };
  const { validate, compileErrors } = await import("@readme/openapi-parser");
  let result: Awaited<ReturnType<typeof validate>>;
  try {
    result = await validate(judged as Parameters<typeof validate>[0], { dereference: { circular: "ignore" }, resolve: { external: false } });
  } catch (error) {
    throw new OpenApiError(raw.label, `could not be validated: ${messageOf(error)}`, undefined, { cause: error });
  }
  if (!result.valid) {
    const findings = compileErrors(result).split("\n").filter((line) => line.trim() !== "");
    const shown = findings.slice(0, MESSAGE_LINES).join("\n");
    throw new OpenApiError(raw.label, `is not valid OpenAPI ${raw.version}:\n${shown}${findings.length > MESSAGE_LINES ? "\n…" : ""}`);
  }
}
