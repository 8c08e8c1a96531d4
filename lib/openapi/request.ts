/**
 * A tool call's arguments as the HTTP request its operation describes: the
 * path template filled (each value percent-encoded into its own segment;
 * `.`, `..` and empty values refused, so that no argument climbs out of the
 * operation's path), the query, headers and cookies serialised per
 * parameter, and the body encoded as the chosen media type.
 */
import { ToolError } from "../mcp/tool.js";
import type { BodyPlan, OperationPlan } from "./operation.js";
import type { ApiKeyPlan } from "./security.js";
import { encodeForm, encodeStrict, serializeCookie, serializeHeader, serializePath, serializeQuery } from "./serialize.js";

/** What to send, before credentials. */
export interface PreparedRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | Uint8Array | FormData | undefined;
}

/** Credentials to add: the On-Behalf-Of token and API keys with their values. */
export interface Credentials {
  readonly bearer: string | undefined;
  readonly apiKeys: ReadonlyArray<{ readonly plan: ApiKeyPlan; readonly value: string }>;
}

/**
 * Builds the request for one call.
 * @throws ToolError for an argument that cannot be sent as given
 */
export function buildRequest(plan: OperationPlan, args: Readonly<Record<string, unknown>>, base: URL, credentials: Credentials): PreparedRequest {
  let path = plan.entry.path;
  const query: string[] = [];
  const cookies: string[] = [];
  const headers = new Headers({ accept: plan.response.accept });
  for (const parameter of plan.parameters) {
    const raw = args[parameter.argument];
    if (raw === undefined || raw === null) continue;
    const value = parameter.asJson ? JSON.stringify(raw) : raw;
    switch (parameter.in) {
      case "path": {
        const text = serializePath(parameter.name, value, parameter.serialization);
        if (text === "" || text === "." || text === ".." || /^(?:%2e){1,2}$/i.test(text)) {
          throw new ToolError(`The argument ${parameter.argument} cannot be ${JSON.stringify(raw)}: it would not name one path segment.`);
        }
        path = path.replaceAll(`{${parameter.name}}`, text);
        break;
      }
      case "query": {
        const text = serializeQuery(parameter.name, value, parameter.serialization);
        if (text !== "") query.push(text);
        break;
      }
      case "header":
        setHeader(headers, parameter.name, serializeHeader(value, parameter.serialization), parameter.argument);
        break;
      case "cookie":
        cookies.push(serializeCookie(parameter.name, value));
        break;
    }
  }
  for (const { plan: key, value } of credentials.apiKeys) {
    if (key.in === "header") setHeader(headers, key.name, value, key.scheme);
    else if (key.in === "query") query.push(`${encodeStrict(key.name)}=${encodeStrict(value)}`);
    else cookies.push(`${encodeStrict(key.name)}=${encodeStrict(value)}`);
  }
  if (cookies.length > 0) headers.set("cookie", cookies.join("; "));
  if (credentials.bearer !== undefined) headers.set("authorization", `Bearer ${credentials.bearer}`);

  const basePath = base.pathname.replace(/\/+$/, "");
  const url = new URL(`${basePath}${path}${query.length === 0 ? "" : `?${query.join("&")}`}`, base.origin);
  // Belt and braces: whatever the values, the request stays on the API's origin and under its base path.
  if (url.origin !== base.origin || !url.pathname.startsWith(`${basePath}/`)) throw new ToolError("The arguments would send the request outside the API.");

  const body = plan.body === undefined ? undefined : encodeBody(plan.body, args[plan.body.argument], headers);
  return { url, method: plan.entry.method.toUpperCase(), headers, body };
}

function setHeader(headers: Headers, name: string, value: string, argument: string): void {
  try {
    headers.set(name, value);
  } catch {
    throw new ToolError(`The argument ${argument} cannot be sent as the header ${name}: header values cannot hold line breaks or other control characters.`);
  }
}

function encodeBody(body: BodyPlan, value: unknown, headers: Headers): string | Uint8Array | FormData | undefined {
  if (value === undefined) return undefined;
  switch (body.kind) {
    case "json":
      headers.set("content-type", body.mediaType);
      return JSON.stringify(value);
    case "text":
      headers.set("content-type", body.mediaType);
      return String(value);
    case "binary":
      headers.set("content-type", body.mediaType === "*/*" ? "application/octet-stream" : body.mediaType);
      return Buffer.from(String(value), "base64");
    case "form": {
      headers.set("content-type", "application/x-www-form-urlencoded");
      const fields = Object.entries(asObject(value, body.argument)).filter(([, field]) => field !== undefined && field !== null);
      return fields
        .map(([field, item]) => serializeQuery(field, item, body.fieldSerialization[field] ?? { style: "form", explode: true, allowReserved: false }, encodeForm))
        .filter((part) => part !== "")
        .join("&");
    }
    case "multipart": {
      // fetch writes the multipart Content-Type itself, with its boundary.
      const form = new FormData();
      for (const [field, item] of Object.entries(asObject(value, body.argument))) {
        if (item === undefined || item === null) continue;
        for (const part of Array.isArray(item) ? item : [item]) {
          if (body.binaryFields.has(field)) form.append(field, new Blob([Buffer.from(String(part), "base64")]), field);
          else if (typeof part === "object") form.append(field, new Blob([JSON.stringify(part)], { type: "application/json" }));
          else form.append(field, String(part));
        }
      }
      return form;
    }
  }
}

function asObject(value: unknown, argument: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ToolError(`The argument ${argument} must be an object of form fields.`);
  return value as Record<string, unknown>;
}
