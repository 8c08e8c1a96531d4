/**
 * OpenAPI Schema Objects (3.0 and 3.1) as JSON Schema 2020-12, the dialect
 * MCP tool schemas use.
 *
 * - 3.0 only: `nullable` becomes a `"null"` type (or enum member, or an
 *   `anyOf` branch), boolean `exclusiveMinimum`/`exclusiveMaximum` become
 *   their numeric 2020-12 form.
 * - Both: `example` becomes `examples`; `readOnly` properties leave request
 *   schemas and `writeOnly` properties leave response schemas (with their
 *   `required` entries); OpenAPI-only keywords (`discriminator`, `xml`,
 *   `externalDocs`, `x-*`) and anything unknown are dropped, so nothing
 *   reaches a client (or the SDK's `x-mcp-header` scan) that the document
 *   did not mean as JSON Schema.
 * - A circular reference (the dereferencer makes it a cycle of objects)
 *   becomes a `$ref` into the tool schema's own `$defs`, so the result is
 *   finite; a `$ref` left in the document (an external one, which is never
 *   followed) is refused.
 * - Hostile input is bounded: nesting deeper than {@link MAX_DEPTH} is
 *   refused; an enum of more than {@link MAX_ENUM} values is dropped (the API
 *   still checks it) and the description says so.
 *
 * Conversions are remembered per source object: a dereferenced document
 * shares one object for every use of a component, and a 1,000-operation
 * document would otherwise convert the same schema thousands of times.
 */

/** A JSON Schema as plain JSON. */
export type Json = Record<string, unknown>;

/** Which way data flows: request schemas lose `readOnly` properties, response schemas `writeOnly` ones. */
export type Direction = "request" | "response";

/** Deepest nesting of schemas accepted. */
export const MAX_DEPTH = 64;
/** Most enum values kept in a tool's schema. */
export const MAX_ENUM = 1000;

/** A schema the converter cannot turn into a tool schema; the message says where and why. */
export class SchemaProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchemaProblem";
  }
}

const SUBSCHEMA_MAPS = ["properties", "patternProperties", "dependentSchemas", "$defs"] as const;
const SUBSCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"] as const;
const SUBSCHEMAS = ["items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames", "unevaluatedProperties", "unevaluatedItems", "contentSchema"] as const;
const KEPT = new Set([
  "type", "enum", "const", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "multipleOf",
  "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "required", "title", "description",
  "default", "deprecated", "readOnly", "writeOnly", "examples", "contentMediaType", "contentEncoding",
  "dependentRequired", "minContains", "maxContains",
]);

interface Converted {
  readonly json: Json | boolean;
  /** Names in `$defs` this schema refers to, directly or below. */
  readonly defs: ReadonlySet<string>;
}

/**
 * Converts the schemas of one document; one instance per document and
 * direction, shared by all its tools.
 */
export class SchemaConverter {
  readonly #version: "3.0" | "3.1";
  readonly #direction: Direction;
  readonly #memo = new WeakMap<object, Converted>();
  readonly #defs = new Map<string, Converted>();
  readonly #defNames = new Map<string, string>();
  /** Schemas being converted right now: meeting one again means a cycle. */
  readonly #inProgress = new Set<object>();
  /** Schemas found on a cycle, with their `$defs` name. */
  readonly #cyclic = new Map<object, string>();
  /** The component name of each `components.schemas` entry, for readable `$defs` names. */
  readonly #componentNames: WeakMap<object, string>;

  /** `components` is the dereferenced document's `components` (its schemas name the `$defs` of cycles). */
  constructor(version: "3.0" | "3.1", direction: Direction, components?: unknown) {
    this.#version = version;
    this.#direction = direction;
    this.#componentNames = new WeakMap();
    const schemas = (components as { schemas?: Record<string, unknown> } | undefined)?.schemas ?? {};
    for (const [name, schema] of Object.entries(schemas)) if (typeof schema === "object" && schema !== null) this.#componentNames.set(schema, name);
  }

  /**
   * `schema` as JSON Schema, plus the `$defs` it needs (for circular references),
   * ready to sit under a tool schema's `properties`. Call {@link defsFor} with
   * the union of `defs` of everything placed in one tool schema.
   * @throws SchemaProblem
   */
  convert(schema: unknown, where: string): Converted {
    return this.#convert(schema, where, 0);
  }

  /** The `$defs` object for a tool schema that uses `names` (and whatever those use in turn). */
  defsFor(names: Iterable<string>): Json | undefined {
    const out: Json = {};
    const pending = [...names];
    while (pending.length > 0) {
      const name = pending.pop()!;
      if (name in out) continue;
      const def = this.#defs.get(name);
      if (def === undefined) throw new Error(`internal: $defs entry ${name} was never converted`);
      out[name] = def.json;
      pending.push(...def.defs);
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }

  /** What a converted `{ $ref: "#/$defs/X" }` stands for (X's schema), or undefined for any other schema. */
  definitionOf(schema: Json): Json | undefined {
    const ref = schema["$ref"];
    if (typeof ref !== "string" || Object.keys(schema).length !== 1 || !ref.startsWith("#/$defs/")) return undefined;
    const def = this.#defs.get(ref.slice("#/$defs/".length));
    return def === undefined || typeof def.json === "boolean" ? undefined : def.json;
  }

  #convert(schema: unknown, where: string, depth: number): Converted {
    if (depth > MAX_DEPTH) throw new SchemaProblem(`${where}: schemas nested deeper than ${MAX_DEPTH} levels`);
    if (typeof schema === "boolean") return { json: schema, defs: new Set() };
    if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new SchemaProblem(`${where}: a schema must be an object, got ${describe(schema)}`);
    const remembered = this.#memo.get(schema);
    if (remembered !== undefined) return remembered;
    const source = schema as Json;
    if (this.#inProgress.has(schema)) {
      let name = this.#cyclic.get(schema);
      if (name === undefined) {
        const wanted = this.#componentNames.get(schema) ?? (typeof source["title"] === "string" ? source["title"] : "recursive");
        name = this.#uniqueName(wanted, `cycle:${this.#cyclic.size}`);
        this.#cyclic.set(schema, name);
      }
      return { json: { $ref: `#/$defs/${name}` }, defs: new Set([name]) };
    }
    this.#inProgress.add(schema);
    let converted: Converted;
    try {
      if (typeof source["$ref"] === "string") throw new SchemaProblem(unresolved(source["$ref"], where));
      converted = this.#object(source, where, depth);
    } finally {
      this.#inProgress.delete(schema);
    }
    const name = this.#cyclic.get(schema);
    if (name !== undefined) {
      // The schema a cycle returns to lives in $defs; every use of it, this first one included, refers there.
      this.#defs.set(name, converted);
      converted = { json: { $ref: `#/$defs/${name}` }, defs: new Set([name]) };
    }
    this.#memo.set(schema, converted);
    return converted;
  }

  /** A `$defs` name for the cyclic schema `key`, made from `wanted`, unique in this document. */
  #uniqueName(wanted: string, key: string): string {
    let name = this.#defNames.get(key);
    if (name === undefined) {
      const base = wanted.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 64) || "def";
      const taken = new Set(this.#defNames.values());
      name = base;
      for (let n = 2; taken.has(name); n++) name = `${base}_${n}`;
      this.#defNames.set(key, name);
    }
    return name;
  }

  #object(source: Json, where: string, depth: number): Converted {
    const out: Json = {};
    const defs = new Set<string>();
    const sub = (value: unknown, at: string): Json | boolean => {
      const converted = this.#convert(value, at, depth + 1);
      for (const name of converted.defs) defs.add(name);
      return converted.json;
    };
    for (const [key, value] of Object.entries(source)) {
      if (KEPT.has(key)) out[key] = key === "description" || key === "title" ? cleanText(value) : value;
    }
    if (source["example"] !== undefined && out["examples"] === undefined) out["examples"] = [source["example"]];
    for (const key of SUBSCHEMA_MAPS) {
      const map = source[key];
      if (map === undefined) continue;
      if (typeof map !== "object" || map === null || Array.isArray(map)) throw new SchemaProblem(`${where}: ${key} must be an object`);
      const converted: Json = {};
      for (const [name, value] of Object.entries(map)) {
        if (key === "properties" && this.#leavesOut(value)) continue;
        converted[name] = sub(value, `${where}/${key}/${name}`);
      }
      out[key] = converted;
    }
    for (const key of SUBSCHEMA_LISTS) {
      const list = source[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) throw new SchemaProblem(`${where}: ${key} must be a list`);
      out[key] = list.map((value, index) => sub(value, `${where}/${key}/${index}`));
    }
    for (const key of SUBSCHEMAS) {
      const value = source[key];
      if (value === undefined) continue;
      // 3.1 (2020-12) spells a tuple `prefixItems`; an `items` list is the 2019 form.
      if (key === "items" && Array.isArray(value)) out["prefixItems"] = value.map((item, index) => sub(item, `${where}/items/${index}`));
      else out[key] = sub(value, `${where}/${key}`);
    }
    if (Array.isArray(out["required"]) && out["properties"] !== undefined) {
      const kept = out["properties"] as Json;
      const declared = source["properties"] as Json;
      out["required"] = (out["required"] as unknown[]).filter((name) => typeof name === "string" && (name in kept || !(name in declared)));
    }
    if (Array.isArray(out["enum"]) && out["enum"].length > MAX_ENUM) {
      const count = out["enum"].length;
      delete out["enum"];
      out["description"] = [out["description"], `One of ${count} values (the API checks which).`].filter(Boolean).join(" ");
    }
    if (this.#version === "3.0") this.#from30(source, out);
    const json = this.#version === "3.0" && source["nullable"] === true ? nullable(out) : out;
    return { json, defs };
  }

  /** Whether a property leaves this direction's schema. */
  #leavesOut(property: unknown): boolean {
    if (typeof property !== "object" || property === null) return false;
    const flags = property as Json;
    return this.#direction === "request" ? flags["readOnly"] === true : flags["writeOnly"] === true;
  }

  #from30(source: Json, out: Json): void {
    for (const [flag, bound] of [["exclusiveMinimum", "minimum"], ["exclusiveMaximum", "maximum"]] as const) {
      if (source[flag] === true && typeof source[bound] === "number") {
        out[flag] = source[bound];
        delete out[bound];
      }
    }
  }
}

/** A 3.0 `nullable: true` schema in 2020-12 terms. */
function nullable(schema: Json): Json {
  if (Array.isArray(schema["enum"]) && !schema["enum"].includes(null)) schema["enum"] = [...schema["enum"], null];
  if (typeof schema["type"] === "string") return { ...schema, type: [schema["type"], "null"] };
  if (Array.isArray(schema["type"])) return schema["type"].includes("null") ? schema : { ...schema, type: [...schema["type"], "null"] };
  if (schema["enum"] !== undefined) return schema;
  return { anyOf: [schema, { type: "null" }] };
}

/** Text from a document, without control characters (tabs and line breaks stay). */
export function cleanText(value: unknown): unknown {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed.
  return typeof value === "string" ? value.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]/g, "") : value;
}

/** Why a `$ref` is still there: the dereferencer resolves every local one, and never follows an external one. */
function unresolved(ref: string, where: string): string {
  if (!ref.startsWith("#")) return `${where}: the external reference ${JSON.stringify(ref)} is not followed; bundle the document into one file first`;
  return `${where}: the reference ${JSON.stringify(ref)} could not be resolved`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  return value === null ? "null" : typeof value;
}
