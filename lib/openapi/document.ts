/**
 * Reading an OpenAPI document: from a file, an object, or an `https` URL
 * (fetched with the kit's SSRF-safe GET: checked and pinned addresses, a
 * deadline, a size limit, no redirects); and dereferencing (a pruned copy
 * of) it with `@readme/openapi-parser`. External `$ref`s are never followed
 * (a document from a URL must not make the kit fetch anything else).
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { PrivateHostAllowList, safeGet, SafeFetchError, systemLookup, type HostLookup } from "../oauth/safe-fetch.js";

/** Where a document comes from: a file path, a `file:` or `https:` URL, or the parsed document itself. */
export type DocumentSource = string | URL | Readonly<Record<string, unknown>>;

/** A document refused at startup: the message names the document, and the operation when there is one. */
export class OpenApiError extends Error {
  readonly code = "OPENAPI_DOCUMENT_REFUSED";
  constructor(
    /** The document, as messages name it (its path, URL or title). */
    readonly document: string,
    problem: string,
    /** The operation (`listOrders (GET /orders)`), when the problem is one operation's. */
    readonly operation?: string,
    options?: { cause?: unknown },
  ) {
    super(`OpenAPI document ${document}${operation === undefined ? "" : `, operation ${operation}`}: ${problem}`, options);
    this.name = "OpenApiError";
  }
}

/** A document as read: parsed, not yet dereferenced. */
export interface RawDocument {
  /** How messages name it. */
  readonly label: string;
  readonly version: "3.0" | "3.1";
  readonly document: Record<string, unknown>;
  /** The URL it was fetched from, against which relative server URLs resolve. */
  readonly url?: URL;
}

/** How a document at an `https` URL is fetched. */
export interface DocumentFetchOptions {
  /** `host` or `host:port` entries that may resolve to private or loopback addresses (an internal API, the local stand-in). */
  readonly privateHosts?: readonly string[];
  /** Largest document accepted, in bytes; default 32 MiB (GitHub's is 13 MB). */
  readonly maxBytes?: number;
  /** Deadline for the fetch; default 30 s. */
  readonly timeoutMs?: number;
  /** Resolver (tests); default the system's. */
  readonly lookup?: HostLookup;
}

const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Reads and parses a document.
 * @throws OpenApiError naming the document
 */
export async function readDocument(source: DocumentSource, options: DocumentFetchOptions = {}): Promise<RawDocument> {
  const { label, raw, url } = await read(source, options);
  return { label, version: versionOf(raw, label), document: raw, ...(url === undefined ? {} : { url }) };
}

/**
 * `document` (a pruned copy, see prune.ts, rewritten in place) with every
 * local `$ref` replaced by what it points at; a circular reference becomes a
 * cycle of objects (which the schema converter turns into `$defs`), and
 * `circular` says whether there is one. Shared components stay shared
 * objects, so this costs the size of the document, not of its expansion
 * (the parser's "ignore circular" mode re-walks every shared object at
 * every use: seconds on GitHub's document).
 * @throws OpenApiError naming the document
 */
export async function dereferenceDocument(document: Record<string, unknown>, label: string): Promise<{ document: Record<string, unknown>; circular: boolean }> {
  const { dereference } = await import("@readme/openapi-parser");
  let circular = false;
  try {
    const dereferenced = await dereference(document as Parameters<typeof dereference>[0], {
      dereference: { circular: true, onCircular: () => (circular = true) },
      resolve: { external: false },
    });
    return { document: dereferenced as unknown as Record<string, unknown>, circular };
  } catch (error) {
    throw new OpenApiError(label, `its references could not be resolved: ${messageOf(error)}`, undefined, { cause: error });
  }
}

async function read(source: DocumentSource, options: DocumentFetchOptions): Promise<{ label: string; raw: Record<string, unknown>; url?: URL }> {
  if (typeof source === "object" && !(source instanceof URL)) {
    const title = (source["info"] as { title?: unknown } | undefined)?.title;
    // Never changed here: what is dereferenced is a pruned copy (prune.ts).
    return { label: typeof title === "string" ? JSON.stringify(title) : "(object)", raw: source as Record<string, unknown> };
  }
  const url = source instanceof URL ? source : /^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? parseUrl(source) : undefined;
  if (url === undefined || url.protocol === "file:") {
    const path = url === undefined ? (source as string) : fileURLToPath(url);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new OpenApiError(path, `could not be read (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`, undefined, { cause: error });
    }
    return { label: path, raw: await parseText(text, path) };
  }
  const label = url.href;
  if (url.protocol !== "https:") throw new OpenApiError(label, "a document URL must be https (or give a file path)");
  let response;
  try {
    response = await safeGet(url, {
      lookup: options.lookup ?? systemLookup,
      allowList: new PrivateHostAllowList(options.privateHosts ?? []),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      headers: { accept: "application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.1" },
    });
  } catch (error) {
    const hint = error instanceof SafeFetchError && error.reason === "private_address" ? " (an internal host must be listed in privateHosts)" : "";
    throw new OpenApiError(label, `could not be fetched: ${messageOf(error)}${hint}`, undefined, { cause: error });
  }
  if (response.status !== 200) {
    const location = response.headers.location;
    const redirect = response.status >= 300 && response.status < 400 && location !== undefined ? ` (a redirect to ${location}, which is not followed: give that URL)` : "";
    throw new OpenApiError(label, `answered ${response.status}${redirect}`);
  }
  return { label, raw: await parseText(response.body.toString("utf8"), label), url };
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch (error) {
    throw new OpenApiError(text, "is not a valid URL", undefined, { cause: error });
  }
}

/** JSON, or else YAML (OpenAPI documents come in both). */
async function parseText(text: string, label: string): Promise<Record<string, unknown>> {
  let parsed: unknown;
  const trimmed = text.trimStart();
  try {
    if (trimmed.startsWith("{")) parsed = JSON.parse(text);
    else {
      const { parse } = await import("yaml");
      // The yaml package bounds alias expansion (the "billion laughs"), which a stranger's document may try.
      parsed = parse(text, { maxAliasCount: 100 });
    }
  } catch (error) {
    throw new OpenApiError(label, `is neither valid JSON nor valid YAML: ${messageOf(error)}`, undefined, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new OpenApiError(label, "is not an OpenAPI document (not an object)");
  return parsed as Record<string, unknown>;
}

function versionOf(raw: Record<string, unknown>, label: string): "3.0" | "3.1" {
  const declared = raw["openapi"];
  if (typeof declared === "string" && /^3\.0\.\d+$/.test(declared)) return "3.0";
  if (typeof declared === "string" && /^3\.1\.\d+$/.test(declared)) return "3.1";
  if (raw["swagger"] !== undefined) throw new OpenApiError(label, "is Swagger 2.0; convert it to OpenAPI 3 first (for example with swagger2openapi)");
  throw new OpenApiError(label, `declares openapi ${JSON.stringify(declared ?? null)}; OpenAPI 3.0.x and 3.1.x are supported`);
}

/** An error's message, short. */
export function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}
