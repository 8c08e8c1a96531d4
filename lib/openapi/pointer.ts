/** Local JSON pointers (`#/components/schemas/Node`, RFC 6901 in a URI fragment). */

/** The value `ref` points at in `document`, or undefined. */
export function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith("#")) return undefined;
  let value: unknown = document;
  for (const token of ref.slice(1).split("/").slice(1)) {
    if (typeof value !== "object" || value === null) return undefined;
    const key = decodeURIComponent(token).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
