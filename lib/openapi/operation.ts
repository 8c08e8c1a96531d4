/**
 * One operation as a tool's plan: its arguments (path, query, header and
 * cookie parameters, and the request body as `body`) with the input schema
 * built from them, how each is sent, and what the response becomes (the
 * output schema, when every success answer is JSON).
 */
import { OpenApiError } from "./document.js";
import { ArgumentNames } from "./names.js";
import { cleanText, SchemaProblem, type Json, type SchemaConverter } from "./schema.js";
import { operationLabel, type OperationEntry } from "./select.js";
import { defaultSerialization, STYLES, type Location, type Serialization, type Style } from "./serialize.js";

/** One parameter and the argument that carries it. */
export interface ParameterPlan {
  /** The name on the wire. */
  readonly name: string;
  /** The tool argument. */
  readonly argument: string;
  readonly in: Location;
  readonly required: boolean;
  readonly serialization: Serialization;
  /** Sent as JSON text (a parameter described with `content: application/json`). */
  readonly asJson: boolean;
}

/** How the `body` argument is sent. */
export type BodyKind = "json" | "form" | "multipart" | "text" | "binary";

export interface BodyPlan {
  readonly argument: string;
  readonly mediaType: string;
  readonly kind: BodyKind;
  readonly required: boolean;
  /** Per-field serialisation of form bodies (the media type's `encoding`). */
  readonly fieldSerialization: Readonly<Record<string, Serialization>>;
  /** Multipart fields given as base64 and sent as files. */
  readonly binaryFields: ReadonlySet<string>;
}

/** What the answer becomes. */
export interface ResponsePlan {
  /** `object`: a JSON object answer is the structured result; `wrapped`: any JSON answer is `{ result }`; absent: no output schema. */
  readonly structured: "object" | "wrapped" | undefined;
  /** The Accept header sent. */
  readonly accept: string;
}

export interface OperationPlan {
  readonly entry: OperationEntry;
  /** `"listOrders" (GET /orders)`. */
  readonly label: string;
  readonly parameters: readonly ParameterPlan[];
  readonly body: BodyPlan | undefined;
  readonly response: ResponsePlan;
  readonly inputSchema: Json;
  readonly outputSchema: Json | undefined;
}

/** The two converters of a document (request and response direction). */
export interface Converters {
  readonly request: SchemaConverter;
  readonly response: SchemaConverter;
}

// Sent by the kit itself, never from arguments (OpenAPI says to ignore these three as parameters).
const IGNORED_HEADERS = new Set(["accept", "content-type", "authorization"]);
const JSON_MEDIA = /^application\/(?:[\w.+-]+\+)?json(?:;|$)/i;

/**
 * Builds the plan of one operation.
 * @throws OpenApiError naming the document and the operation
 */
export function planOperation(entry: OperationEntry, converters: Converters, documentLabel: string): OperationPlan {
  const label = operationLabel(entry);
  const refuse = (problem: string): OpenApiError => new OpenApiError(documentLabel, problem, label);
  try {
    const names = new ArgumentNames();
    const properties: Json = {};
    const required: string[] = [];
    const defs = new Set<string>();
    const place = (argument: string, schema: Json | boolean, isRequired: boolean, converted: ReadonlySet<string>): void => {
      properties[argument] = schema;
      if (isRequired) required.push(argument);
      for (const name of converted) defs.add(name);
    };

    // The body's name is claimed first, so that it stays `body` should a parameter be called that too; it is listed last.
    const bodyArgument = bodyOf(entry, converters.request, names, refuse);
    const parameters: ParameterPlan[] = [];
    for (const parameter of parametersOf(entry, refuse)) {
      const location = parameter["in"] as Location;
      const name = parameter["name"] as string;
      if (location === "header" && IGNORED_HEADERS.has(name.toLowerCase())) continue;
      const { schema, asJson } = parameterSchema(parameter, refuse);
      const converted = converters.request.convert(schema, `parameter ${name}`);
      const argument = names.claim(name, location);
      const isRequired = location === "path" || parameter["required"] === true;
      place(argument, described(converted.json, parameter["description"], parameter["deprecated"]), isRequired, converted.defs);
      parameters.push({ name, argument, in: location, required: isRequired, serialization: serializationOf(parameter, location, refuse), asJson });
    }
    if (bodyArgument !== undefined) place(bodyArgument.plan.argument, bodyArgument.schema, bodyArgument.plan.required, bodyArgument.defs);
    const body = bodyArgument?.plan;
    for (const segment of entry.path.matchAll(/\{([^}]+)\}/g)) {
      if (!parameters.some((parameter) => parameter.in === "path" && parameter.name === segment[1])) throw refuse(`the path parameter {${segment[1]}} is not declared`);
    }
    if (parameters.some((parameter) => parameter.in === "path" && !entry.path.includes(`{${parameter.name}}`))) {
      throw refuse("a path parameter is declared that the path does not contain");
    }

    const inputDefs = converters.request.defsFor(defs);
    const inputSchema: Json = {
      type: "object",
      properties,
      ...(required.length === 0 ? {} : { required }),
      additionalProperties: false,
      ...(inputDefs === undefined ? {} : { $defs: inputDefs }),
    };
    const { response, outputSchema } = responseOf(entry, converters.response);
    return { entry, label, parameters, body, response, inputSchema, outputSchema };
  } catch (error) {
    if (error instanceof SchemaProblem) throw refuse(error.message);
    throw error;
  }
}

/** Path-level parameters overridden by operation-level ones of the same name and location. */
function parametersOf(entry: OperationEntry, refuse: (problem: string) => OpenApiError): Array<Record<string, unknown>> {
  const merged = new Map<string, Record<string, unknown>>();
  for (const list of [entry.pathItem["parameters"], entry.operation["parameters"]]) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) throw refuse("parameters must be a list");
    for (const parameter of list as unknown[]) {
      if (typeof parameter !== "object" || parameter === null) throw refuse("a parameter must be an object");
      const { name, in: location } = parameter as Record<string, unknown>;
      if (typeof name !== "string" || name === "") throw refuse("a parameter has no name");
      if (location !== "path" && location !== "query" && location !== "header" && location !== "cookie") throw refuse(`the parameter ${JSON.stringify(name)} is "in" ${JSON.stringify(location)}`);
      merged.set(`${location} ${location === "header" ? name.toLowerCase() : name}`, parameter as Record<string, unknown>);
    }
  }
  return [...merged.values()];
}

function parameterSchema(parameter: Record<string, unknown>, refuse: (problem: string) => OpenApiError): { schema: unknown; asJson: boolean } {
  if (parameter["schema"] !== undefined) return { schema: parameter["schema"], asJson: false };
  const content = parameter["content"] as Record<string, { schema?: unknown }> | undefined;
  const [mediaType, media] = Object.entries(content ?? {})[0] ?? [];
  if (mediaType === undefined) throw refuse(`the parameter ${JSON.stringify(parameter["name"])} has neither schema nor content`);
  return { schema: media?.schema ?? {}, asJson: JSON_MEDIA.test(mediaType) };
}

function serializationOf(parameter: Record<string, unknown>, location: Location, refuse: (problem: string) => OpenApiError): Serialization {
  const defaults = defaultSerialization(location);
  const style = (parameter["style"] ?? defaults.style) as Style;
  if (!STYLES[location].includes(style)) throw refuse(`the ${location} parameter ${JSON.stringify(parameter["name"])} has style ${JSON.stringify(style)}, which ${location} parameters cannot have`);
  const explode = typeof parameter["explode"] === "boolean" ? parameter["explode"] : style === "form";
  return { style, explode, allowReserved: location === "query" && parameter["allowReserved"] === true };
}

/** A schema with the parameter's description (the converted one is shared: copied, never changed). */
function described(schema: Json | boolean, description: unknown, deprecated: unknown): Json | boolean {
  const extra: Json = {};
  if (typeof description === "string" && description !== "" && (typeof schema === "boolean" || schema["description"] === undefined)) extra["description"] = cleanText(description);
  if (deprecated === true) extra["deprecated"] = true;
  if (Object.keys(extra).length === 0) return schema;
  return typeof schema === "boolean" ? (schema ? extra : { not: {}, ...extra }) : { ...schema, ...extra };
}

/** How the body is sent, and its argument's schema. */
function bodyOf(entry: OperationEntry, converter: SchemaConverter, names: ArgumentNames, refuse: (problem: string) => OpenApiError): { plan: BodyPlan; schema: Json | boolean; defs: ReadonlySet<string> } | undefined {
  const requestBody = entry.operation["requestBody"] as Record<string, unknown> | undefined;
  if (requestBody === undefined) return undefined;
  const content = requestBody["content"];
  if (typeof content !== "object" || content === null || Object.keys(content).length === 0) throw refuse("the request body has no content");
  const media = content as Record<string, Record<string, unknown> | undefined>;
  const mediaType = pickMediaType(Object.keys(media));
  const kind = bodyKind(mediaType);
  const source = media[mediaType]?.["schema"] ?? {};
  const argument = names.claim("body", "body");
  const isRequired = requestBody["required"] === true;
  const { json, defs, binaryFields } = bodySchema(kind, mediaType, source, converter);
  const encoding = (media[mediaType]?.["encoding"] ?? {}) as Record<string, Record<string, unknown>>;
  const fieldSerialization: Record<string, Serialization> = {};
  for (const [field, how] of Object.entries(encoding)) {
    const style = (how["style"] ?? "form") as Style;
    if (!STYLES.query.includes(style)) throw refuse(`the body field ${JSON.stringify(field)} has style ${JSON.stringify(style)}`);
    fieldSerialization[field] = { style, explode: typeof how["explode"] === "boolean" ? how["explode"] : style === "form", allowReserved: how["allowReserved"] === true };
  }
  return { plan: { argument, mediaType, kind, required: isRequired, fieldSerialization, binaryFields }, schema: described(json, requestBody["description"], undefined), defs };
}

/** The `body` argument's schema: text and bytes as strings; multipart file fields as base64 strings. */
function bodySchema(kind: BodyKind, mediaType: string, source: unknown, converter: SchemaConverter): { json: Json | boolean; defs: ReadonlySet<string>; binaryFields: Set<string> } {
  const binaryFields = new Set<string>();
  if (kind === "text") return { json: { type: "string" }, defs: new Set(), binaryFields };
  if (kind === "binary") {
    const sent = mediaType === "*/*" ? "application/octet-stream" : mediaType;
    return { json: { type: "string", contentEncoding: "base64", description: `The body's bytes, base64-encoded (sent as ${sent}).` }, defs: new Set(), binaryFields };
  }
  const converted = converter.convert(source, "the request body");
  if (kind !== "multipart" || typeof converted.json !== "object") return { ...converted, binaryFields };
  const fields = { ...((converted.json["properties"] as Json | undefined) ?? {}) };
  for (const [field, fieldSchema] of Object.entries(((source as Json)["properties"] as Json | undefined) ?? {})) {
    const spec = fieldSchema as Json;
    if (spec["format"] === "binary" || spec["contentMediaType"] !== undefined || spec["contentEncoding"] === "base64") {
      binaryFields.add(field);
      fields[field] = { type: "string", contentEncoding: "base64", description: "A file's bytes, base64-encoded." };
    }
  }
  return { json: { ...converted.json, properties: fields }, defs: converted.defs, binaryFields };
}

/** JSON first, then forms, then text, then anything. */
function pickMediaType(types: readonly string[]): string {
  const rank = (type: string): number => {
    const kind = bodyKind(type);
    return { json: 0, form: 1, multipart: 2, text: 3, binary: 4 }[kind];
  };
  return [...types].sort((a, b) => rank(a) - rank(b))[0]!;
}

function bodyKind(mediaType: string): BodyKind {
  const type = mediaType.toLowerCase();
  if (JSON_MEDIA.test(type)) return "json";
  if (type.startsWith("application/x-www-form-urlencoded")) return "form";
  if (type.startsWith("multipart/")) return "multipart";
  if (isTextual(type)) return "text";
  return "binary";
}

/** Media types whose bodies are text. */
export function isTextual(mediaType: string): boolean {
  return /^text\//i.test(mediaType) || /^application\/(?:[\w.+-]+\+)?(?:xml|yaml|x-yaml|javascript|ecmascript|graphql|x-ndjson|csv)(?:;|$)/i.test(mediaType);
}

/** Whether a media type is JSON (`application/json`, `application/problem+json`...). */
export function isJsonMedia(mediaType: string): boolean {
  return JSON_MEDIA.test(mediaType);
}

function responseOf(entry: OperationEntry, converter: SchemaConverter): { response: ResponsePlan; outputSchema: Json | undefined } {
  const responses = (entry.operation["responses"] ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const successes = Object.entries(responses).filter(([status]) => /^2(?:\d\d|XX)$/i.test(status));
  const mediaTypes = new Set<string>();
  const jsonSchemas: unknown[] = [];
  let allJson = successes.length > 0;
  for (const [, response] of successes) {
    const content = (response?.["content"] ?? {}) as Record<string, { schema?: unknown } | undefined>;
    const types = Object.keys(content);
    for (const type of types) mediaTypes.add(type);
    const jsonType = types.find(isJsonMedia);
    if (jsonType === undefined || content[jsonType]?.schema === undefined) allJson = false;
    else jsonSchemas.push(content[jsonType]!.schema);
  }
  const accept = allJson ? "application/json" : mediaTypes.size === 0 ? "*/*" : `${[...mediaTypes].join(", ")}, */*;q=0.1`;
  if (!allJson) return { response: { structured: undefined, accept }, outputSchema: undefined };
  const converted = jsonSchemas.map((schema, index) => converter.convert(schema, `success response ${index + 1}`));
  const defs = converter.defsFor(converted.flatMap((item) => [...item.defs]));
  const withDefs = (schema: Json): Json => (defs === undefined ? schema : { ...schema, $defs: defs });
  const distinct = [...new Set(converted.map((item) => item.json))];
  const only = distinct.length === 1 ? distinct[0] : undefined;
  // A schema on a cycle is a $ref into $defs; at the root, its own object stands in (the $defs entry stays for the inner references).
  const root = typeof only === "object" ? (converter.definitionOf(only) ?? only) : undefined;
  if (root !== undefined && root["type"] === "object") return { response: { structured: "object", accept }, outputSchema: withDefs(root) };
  const result = only ?? { anyOf: distinct };
  return { response: { structured: "wrapped", accept }, outputSchema: withDefs({ type: "object", properties: { result }, required: ["result"] }) };
}
