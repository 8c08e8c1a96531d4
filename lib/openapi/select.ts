/**
 * The operations of a document, and which of them become tools: `include`
 * and `exclude` entries name an `operationId` (`listOrders`), a tag
 * (`tag:orders`) or a path glob, optionally with a method (`/orders/*`,
 * `GET /repos/{owner}/{repo}/**`): `*` stands for any characters within one
 * path segment, `**` for any across segments. An entry that matches nothing
 * is an error: a typo must not silently expose nothing (or everything).
 */
import { OpenApiError } from "./document.js";
import { resolvePointer } from "./pointer.js";

/** HTTP methods an OpenAPI path item may hold operations for. */
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
export type Method = (typeof METHODS)[number];

/** One operation of a document, where it sits. */
export interface OperationEntry {
  readonly method: Method;
  /** The path template (`/orders/{orderId}`). */
  readonly path: string;
  readonly operationId: string | undefined;
  readonly tags: readonly string[];
  readonly operation: Record<string, unknown>;
  readonly pathItem: Record<string, unknown>;
}

/** `listOrders (GET /orders)`: how messages name an operation. */
export function operationLabel(entry: Pick<OperationEntry, "method" | "path" | "operationId">): string {
  const where = `${entry.method.toUpperCase()} ${entry.path}`;
  return entry.operationId === undefined ? where : `${JSON.stringify(entry.operationId)} (${where})`;
}

/** Every operation of a document, in document order (a path item given as a local `$ref` is followed). */
export function listOperations(document: Record<string, unknown>, label: string): OperationEntry[] {
  const paths = document["paths"] ?? {};
  if (typeof paths !== "object" || paths === null || Array.isArray(paths)) throw new OpenApiError(label, "paths must be an object");
  const entries: OperationEntry[] = [];
  for (const [path, item] of Object.entries(paths as Record<string, unknown>)) {
    const ref = (item as { $ref?: unknown } | null)?.$ref;
    const resolved = typeof ref === "string" ? resolvePointer(document, ref) : item;
    if (typeof resolved !== "object" || resolved === null) continue;
    const pathItem = resolved as Record<string, unknown>;
    for (const method of Object.keys(pathItem).filter((key): key is Method => (METHODS as readonly string[]).includes(key))) {
      const operation = pathItem[method];
      if (typeof operation !== "object" || operation === null) continue;
      const op = operation as Record<string, unknown>;
      const tags = Array.isArray(op["tags"]) ? op["tags"].filter((tag): tag is string => typeof tag === "string") : [];
      entries.push({ method, path, operationId: typeof op["operationId"] === "string" ? op["operationId"] : undefined, tags, operation: op, pathItem });
    }
  }
  return entries;
}

type Matcher = (entry: OperationEntry) => boolean;

function matcherFor(entry: string): Matcher {
  if (entry.startsWith("tag:")) {
    const tag = entry.slice(4);
    return (operation) => operation.tags.includes(tag);
  }
  const route = /^(?:([A-Za-z]+)\s+)?(\/.*)$/.exec(entry);
  if (route !== null) {
    const method = route[1]?.toLowerCase();
    const glob = globToRegExp(route[2]!);
    return (operation) => (method === undefined || operation.method === method) && glob.test(operation.path);
  }
  return (operation) => operation.operationId === entry;
}

/** A path glob as a regular expression: `**` any characters, `*` any within a segment, everything else literal. */
function globToRegExp(glob: string): RegExp {
  const pattern = glob
    .split("**")
    .map((part) => part.split("*").map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*"))
    .join(".*");
  return new RegExp(`^${pattern}$`);
}

/**
 * The operations `include` (default: all) keeps and `exclude` does not drop.
 * @throws OpenApiError naming an entry that matches no operation
 */
export function selectOperations(all: readonly OperationEntry[], include: readonly string[] | undefined, exclude: readonly string[] | undefined, label: string): OperationEntry[] {
  const matchersOf = (entries: readonly string[] | undefined, option: string): Matcher[] =>
    (entries ?? []).map((entry) => {
      const matcher = matcherFor(entry);
      if (!all.some(matcher)) {
        throw new OpenApiError(label, `the ${option} entry ${JSON.stringify(entry)} matches no operation (entries name an operationId such as "listOrders", a tag as "tag:orders", or a path as "/orders/*" or "GET /orders/{id}")`);
      }
      return matcher;
    });
  const included = include === undefined ? undefined : matchersOf(include, "include");
  const excluded = matchersOf(exclude, "exclude");
  return all.filter((entry) => (included === undefined || included.some((match) => match(entry))) && !excluded.some((match) => match(entry)));
}
