/**
 * Names from a document, made safe for MCP: tool names (1-128 of
 * `A-Z a-z 0-9 _ - .`, the kit's and the spec's rule) and argument names
 * (1-64 of the same, what the models' function-calling APIs accept).
 * Anything else (spaces, slashes, control characters, other scripts) becomes
 * `_`; a name too long keeps its start and gains a short hash of the whole,
 * so that two long names stay apart.
 */
import { createHash } from "node:crypto";

const TOOL_NAME_MAX = 128;
const ARGUMENT_NAME_MAX = 64;

/** `text` with every run of characters outside `A-Z a-z 0-9 _ - .` replaced by `_`, trimmed of `_`. */
function sanitize(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, "_").replace(/^_+|_+$/g, "");
}

function fitted(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, max - 9)}_${hash}`;
}

/**
 * The tool name for an operation: its `operationId` (or, without one, the
 * method and path: `get_orders_orderId`), sanitised, after `prefix`.
 */
export function toolName(prefix: string, operationId: string | undefined, method: string, path: string): string {
  const fromId = operationId === undefined ? "" : sanitize(operationId);
  const base = fromId === "" ? sanitize(`${method}${path.replace(/[{}]/g, "")}`) || method : fromId;
  return fitted(`${prefix}${base}`, TOOL_NAME_MAX);
}

/** Whether `prefix` can start a tool name. */
export function isValidPrefix(prefix: string): boolean {
  return /^[A-Za-z0-9_.-]{0,64}$/.test(prefix);
}

/**
 * Unique argument names for a tool: each wanted name sanitised; a clash
 * (`id` in the path and in the query, or two names that sanitise alike)
 * is resolved by the location (`query_id`), then by a number.
 */
export class ArgumentNames {
  readonly #taken = new Set<string>();

  /** A free argument name for `wanted`, found in `location` (path, query, header, cookie, body). */
  claim(wanted: string, location: string): string {
    const base = fitted(sanitize(wanted) || location, ARGUMENT_NAME_MAX);
    let name = base;
    if (this.#taken.has(name)) name = fitted(`${location}_${base}`, ARGUMENT_NAME_MAX);
    for (let n = 2; this.#taken.has(name); n++) name = fitted(`${location}_${base}_${n}`, ARGUMENT_NAME_MAX);
    this.#taken.add(name);
    return name;
  }
}
