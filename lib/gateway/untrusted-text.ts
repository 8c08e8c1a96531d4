/**
 * What a downstream server says is untrusted: another team runs it, and
 * whoever controls it (or breaks into it) writes the names, titles and
 * descriptions that the user's MCP client shows and the model reads.
 *
 * - Names and titles lose every control, format (bidirectional overrides,
 *   zero-width characters), private-use and line/paragraph-separator
 *   character, so that a tool cannot render as another ("reverse the text
 *   after this point", invisible joiners) nor break a client's one-line
 *   display; they are cut to a bound.
 * - Descriptions keep line breaks and tabs, lose the rest of the above, and
 *   are cut to a bound.
 * - Schemas are JSON of bounded size and depth; anything larger is refused.
 *
 * Results are data for the model and pass unchanged, bounded in bytes by the
 * transport (bounded-fetch.ts).
 */
import { redactText } from "../log.js";

/** Bounds of downstream text and structure. */
export const UNTRUSTED_LIMITS = {
  /** Titles and other one-line labels, in characters. */
  label: 128,
  /** Descriptions, in characters. */
  description: 4096,
  /** Messages passed on to the user (progress, errors), in characters. */
  message: 500,
  /** A JSON Schema (input, output, prompt arguments), serialized, in bytes. */
  schemaBytes: 64 * 1024,
  /** Nesting depth of a JSON Schema. */
  schemaDepth: 32,
  /** A resource URI or URI template, in characters. */
  uri: 2048,
  /** Tools, resources, templates or prompts taken from one server's list. */
  listItems: 500,
} as const;

// Cc: C0/C1 controls and DEL. Cf: format characters (bidi embeddings, overrides and isolates, the
// LRM/RLM/ALM marks, zero-width space/joiners, word joiner, BOM, soft hyphen...). Co: private use.
// Zl/Zp: line and paragraph separators, which end a line where a label must not.
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Co}\p{Zl}\p{Zp}]/gu;
const UNSHOWABLE_EXCEPT_LINE_BREAKS = /(?![\n\t])[\p{Cc}\p{Cf}\p{Co}\p{Zl}\p{Zp}]/gu;

/** A one-line label fit to show: unshowable characters removed, whitespace collapsed, cut to `limit`. */
export function cleanLabel(text: string, limit: number = UNTRUSTED_LIMITS.label): string {
  // Line breaks and tabs become spaces first: a label is one line, and its words stay apart.
  return cut(text.replace(/\s+/g, " ").replace(UNSHOWABLE, "").replace(/ {2,}/g, " ").trim(), limit);
}

/** A multi-line text (a description): unshowable characters but line breaks and tabs removed, cut to `limit`. */
export function cleanText(text: string, limit: number = UNTRUSTED_LIMITS.description): string {
  return cut(text.replace(/\r\n?/g, "\n").replace(UNSHOWABLE_EXCEPT_LINE_BREAKS, "").trim(), limit);
}

/**
 * A message from the server passed on to the user (progress, an error): a
 * label, at most {@link UNTRUSTED_LIMITS.message} characters, with anything
 * shaped like a token masked (a server echoing the token it was given must
 * not put it in a chat transcript).
 */
export function cleanMessage(text: string): string {
  return cleanLabel(redactText(text), UNTRUSTED_LIMITS.message);
}

/** Whether `text` holds a character {@link cleanLabel} would remove. */
export function hasUnshowable(text: string): boolean {
  UNSHOWABLE.lastIndex = 0;
  return UNSHOWABLE.test(text);
}

/**
 * `value` as a JSON Schema object when it is one the kit can pass on: a plain
 * object, at most {@link UNTRUSTED_LIMITS.schemaBytes} serialized and
 * {@link UNTRUSTED_LIMITS.schemaDepth} deep. Returns a deep copy (nothing the
 * downstream's answer object holds survives), or a reason for the refusal.
 */
export function boundedSchema(value: unknown): { schema: Record<string, unknown> } | { refused: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { refused: "the schema is not a JSON object" };
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    return { refused: "the schema is not JSON" };
  }
  if (Buffer.byteLength(text) > UNTRUSTED_LIMITS.schemaBytes) return { refused: `the schema is larger than ${UNTRUSTED_LIMITS.schemaBytes} bytes` };
  const copy = JSON.parse(text) as Record<string, unknown>;
  if (depthOf(copy) > UNTRUSTED_LIMITS.schemaDepth) return { refused: `the schema is nested deeper than ${UNTRUSTED_LIMITS.schemaDepth} levels` };
  return { schema: copy };
}

function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

function cut(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let head = text.slice(0, limit - 1);
  // Never cut a surrogate pair in half.
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return `${head}…`;
}
