/**
 * OpenAPI parameter serialisation (`style` and `explode`, OpenAPI 3.1
 * §4.8.12.4), for path, query, header and cookie parameters and for the
 * fields of `application/x-www-form-urlencoded` bodies.
 *
 * Values are primitives, lists of primitives or objects of primitives (what
 * the styles define); anything nested deeper is sent as JSON text. Every
 * name and value is percent-encoded (RFC 3986: only unreserved characters
 * stay), so no argument can add a path segment, a query parameter or a
 * header line of its own; `allowReserved` (query only, as the specification
 * has it) keeps the reserved characters that cannot change the query's
 * structure.
 */

export type Location = "path" | "query" | "header" | "cookie";
export type Style = "simple" | "label" | "matrix" | "form" | "spaceDelimited" | "pipeDelimited" | "deepObject";

/** How one parameter is written. */
export interface Serialization {
  readonly style: Style;
  readonly explode: boolean;
  readonly allowReserved: boolean;
}

/** The default style and explode of each location. */
export function defaultSerialization(location: Location): Serialization {
  const style: Style = location === "path" || location === "header" ? "simple" : "form";
  return { style, explode: style === "form", allowReserved: false };
}

/** The styles each location allows. */
export const STYLES: Readonly<Record<Location, readonly Style[]>> = {
  path: ["simple", "label", "matrix"],
  query: ["form", "spaceDelimited", "pipeDelimited", "deepObject"],
  header: ["simple"],
  cookie: ["form"],
};

type Encode = (text: string) => string;

/** Percent-encoding for URL parts: RFC 3986 unreserved characters stay. */
export const encodeStrict: Encode = (text) => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** `allowReserved`: reserved characters stay, except those that would end a value or the query (`& = # +`). */
const encodeReserved: Encode = (text) => encodeURI(text).replace(/[&=#+]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** `application/x-www-form-urlencoded`, as browsers write it. */
export const encodeForm: Encode = (text) => encodeStrict(text).replace(/%20/g, "+");

function primitive(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function entriesOf(value: Record<string, unknown>): Array<[string, string]> {
  return Object.entries(value)
    .filter(([, item]) => item !== undefined && item !== null)
    .map(([key, item]) => [key, primitive(item)]);
}

/**
 * A path parameter's replacement for `{name}`.
 * @example serializePath("id", [3, 4], { style: "matrix", explode: true, allowReserved: false }) // ";id=3;id=4"
 */
export function serializePath(name: string, value: unknown, how: Serialization): string {
  // Never allowReserved here: a "/" or ".." must not leave its path segment.
  const e = encodeStrict;
  const prefix = how.style === "label" ? "." : how.style === "matrix" ? ";" : "";
  if (Array.isArray(value)) {
    const items = value.map((item) => e(primitive(item)));
    if (how.style === "matrix") return how.explode ? items.map((item) => `;${e(name)}=${item}`).join("") : `;${e(name)}=${items.join(",")}`;
    return prefix + items.join(how.explode ? prefix || "," : ",");
  }
  if (typeof value === "object" && value !== null) {
    const pairs = entriesOf(value as Record<string, unknown>).map(([key, item]) => [e(key), e(item)] as const);
    if (how.explode) {
      if (how.style === "matrix") return pairs.map(([key, item]) => `;${key}=${item}`).join("");
      return prefix + pairs.map(([key, item]) => `${key}=${item}`).join(prefix || ",");
    }
    const flat = pairs.flat().join(",");
    return how.style === "matrix" ? `;${e(name)}=${flat}` : prefix + flat;
  }
  const text = e(primitive(value));
  return how.style === "matrix" ? `;${e(name)}=${text}` : prefix + text;
}

/**
 * A query parameter (or form field) as `name=value` pairs joined by `&`; an empty list sends nothing.
 * @example serializeQuery("color", ["blue", "black"], { style: "pipeDelimited", explode: false, allowReserved: false }) // "color=blue|black"
 */
export function serializeQuery(name: string, value: unknown, how: Serialization, encode: Encode = how.allowReserved ? encodeReserved : encodeStrict): string {
  const n = encode(name);
  if (Array.isArray(value)) {
    const items = value.map((item) => encode(primitive(item)));
    if (items.length === 0) return "";
    if (how.explode && how.style === "form") return items.map((item) => `${n}=${item}`).join("&");
    const separator = how.style === "spaceDelimited" ? "%20" : how.style === "pipeDelimited" ? "|" : ",";
    return `${n}=${items.join(separator)}`;
  }
  if (typeof value === "object" && value !== null) {
    const pairs = entriesOf(value as Record<string, unknown>);
    if (how.style === "deepObject") return pairs.map(([key, item]) => `${n}[${encode(key)}]=${encode(item)}`).join("&");
    if (how.explode) return pairs.map(([key, item]) => `${encode(key)}=${encode(item)}`).join("&");
    return `${n}=${pairs.map(([key, item]) => `${encode(key)},${encode(item)}`).join(",")}`;
  }
  return `${n}=${encode(primitive(value))}`;
}

/** A header parameter's value (style simple); the Headers class refuses line breaks and other control characters. */
export function serializeHeader(value: unknown, how: Serialization): string {
  if (Array.isArray(value)) return value.map(primitive).join(",");
  if (typeof value === "object" && value !== null) {
    const pairs = entriesOf(value as Record<string, unknown>);
    return how.explode ? pairs.map(([key, item]) => `${key}=${item}`).join(",") : pairs.flat().join(",");
  }
  return primitive(value);
}

/** A cookie parameter as `name=value` (style form); lists and objects joined with commas, which cookies allow. */
export function serializeCookie(name: string, value: unknown): string {
  const text = Array.isArray(value) ? value.map(primitive).join(",") : typeof value === "object" && value !== null ? entriesOf(value as Record<string, unknown>).flat().join(",") : primitive(value);
  return `${encodeStrict(name)}=${encodeStrict(text).replace(/%2C/g, ",")}`;
}
