/**
 * A copy of a document that holds only the chosen operations and the
 * components they reach through `$ref`s. Dereferencing and validating that
 * copy costs what the exposed operations cost: GitHub's 1,200-operation
 * document takes seconds to dereference and validate whole, which every cold
 * start would pay for a twenty-operation subset.
 */
import type { RawDocument } from "./document.js";
import { resolvePointer } from "./pointer.js";
import type { OperationEntry } from "./select.js";

const PATH_ITEM_FIELDS = ["summary", "description", "servers", "parameters"] as const;
const TOP_LEVEL_FIELDS = new Set(["openapi", "info", "jsonSchemaDialect", "servers", "security", "tags"]);

/** The pruned copy (a deep copy: the dereferencer rewrites it in place). */
export function prune(raw: RawDocument, entries: readonly OperationEntry[]): Record<string, unknown> {
  const { document } = raw;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const entry of entries) {
    const item = (paths[entry.path] ??= Object.fromEntries(PATH_ITEM_FIELDS.filter((field) => entry.pathItem[field] !== undefined).map((field) => [field, entry.pathItem[field]])));
    item[entry.method] = entry.operation;
  }
  // What tools use of the top level; webhooks and extensions (GitHub's x-webhooks alone reach a quarter of its components) stay out.
  const top = Object.fromEntries(Object.entries(document).filter(([key]) => TOP_LEVEL_FIELDS.has(key)));
  const components = reachableComponents(document, [paths, top]);
  return structuredClone({ ...top, paths, ...(components === undefined ? {} : { components }) });
}

/**
 * The components `roots` reach, transitively, plus every security scheme
 * (small, and named by name rather than by `$ref`). When a reference points
 * anywhere but a component, all components are kept: pruning must never
 * break a reference.
 */
function reachableComponents(document: Record<string, unknown>, roots: readonly unknown[]): Record<string, unknown> | undefined {
  const all = document["components"] as Record<string, Record<string, unknown>> | undefined;
  if (all === undefined) return undefined;
  const kept: Record<string, Record<string, unknown>> = all["securitySchemes"] === undefined ? {} : { securitySchemes: all["securitySchemes"] };
  const seen = new Set<string>();
  const pending: unknown[] = [...roots];
  const visited = new Set<object>();
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== "object" || value === null || visited.has(value)) continue;
    visited.add(value);
    if (Array.isArray(value)) {
      pending.push(...value);
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key !== "$ref" || typeof child !== "string") {
        pending.push(child);
        continue;
      }
      if (!child.startsWith("#/") || seen.has(child)) continue;
      seen.add(child);
      const match = /^#\/components\/([^/]+)\/([^/]+)$/.exec(child);
      const target = resolvePointer(document, child);
      if (match === null || target === undefined) return all;
      const [, type, name] = match as unknown as [string, string, string];
      const decoded = decodeURIComponent(name).replace(/~1/g, "/").replace(/~0/g, "~");
      (kept[type] ??= {})[decoded] = target;
      pending.push(target);
    }
  }
  return kept;
}
