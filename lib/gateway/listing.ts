/**
 * What one downstream server offers one user, as the kit will offer it:
 * tools, resources, resource templates and prompts, renamed into the
 * server's namespace, their text cleaned and bounded (untrusted-text.ts),
 * their schemas wrapped once so that registering them on a request's server
 * costs no conversion.
 *
 * A listing is fetched with the user's On-Behalf-Of token (lists may differ
 * per user) and cached per (server, user) for a minute, in a cache bounded
 * in entries and bytes; a failed fetch is remembered for a few seconds, so a
 * server that is down costs one attempt and one warning per user in that
 * time, not one per request.
 */
import type { PriorDiscovery } from "@modelcontextprotocol/client";
import type { StandardSchemaWithJSON, ToolAnnotations } from "@modelcontextprotocol/server";
import { BoundedLru } from "../cache/lru.js";
import { SingleFlight } from "../cache/single-flight.js";
import type { Logger } from "../log.js";
import type { RemoteServer } from "./remote-server.js";
import { boundedSchema, cleanLabel, cleanText, UNTRUSTED_LIMITS } from "./untrusted-text.js";

/** A downstream tool as the kit lists it. */
export interface ListedTool {
  /** The name clients see: prefix + the downstream's name. */
  readonly name: string;
  /** The downstream's own name, which calls are forwarded with. */
  readonly original: string;
  readonly title: string | undefined;
  readonly description: string | undefined;
  readonly input: StandardSchemaWithJSON;
  readonly output: StandardSchemaWithJSON | undefined;
  readonly annotations: ToolAnnotations | undefined;
}

/** A downstream resource, its URI in the server's namespace (`<server>+<uri>`). */
export interface ListedResource {
  readonly name: string;
  readonly uri: string;
  readonly title: string | undefined;
  readonly description: string | undefined;
  readonly mimeType: string | undefined;
}

/** A downstream resource template, its URI template in the server's namespace. */
export interface ListedTemplate {
  readonly name: string;
  readonly uriTemplate: string;
  readonly title: string | undefined;
  readonly description: string | undefined;
  readonly mimeType: string | undefined;
}

/** A downstream prompt as the kit lists it. */
export interface ListedPrompt {
  readonly name: string;
  readonly original: string;
  readonly title: string | undefined;
  readonly description: string | undefined;
  readonly arguments: StandardSchemaWithJSON | undefined;
}

/** Everything one server offers one user, and how to reach it again quickly. */
export interface Listing {
  readonly tools: ReadonlyMap<string, ListedTool>;
  readonly resources: readonly ListedResource[];
  readonly templates: readonly ListedTemplate[];
  readonly prompts: ReadonlyMap<string, ListedPrompt>;
  /** The era verdict for the next conversation (see downstream.ts). */
  readonly prior: PriorDiscovery | undefined;
}

/** What a server answered, as the MCP client decoded it: untrusted. */
export interface RawListing {
  readonly tools: readonly unknown[];
  readonly resources: readonly unknown[];
  readonly templates: readonly unknown[];
  readonly prompts: readonly unknown[];
  readonly prior: PriorDiscovery | undefined;
}

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const ARGUMENT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const URI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const MIME_TYPE = /^[\w.+-]+\/[\w.+-]+(?:\s*;\s*[\w.+-]+=[\w.+"-]+)*$/;
const MAX_PROMPT_ARGUMENTS = 32;

/** The URI a client reads a downstream resource by: `<server>+<its own URI>`. */
export function namespacedUri(server: RemoteServer, uri: string): string {
  return `${server.name}+${uri}`;
}

/** The server's own URI of a namespaced one, or undefined when `uri` is not in the server's namespace. */
export function originalUri(server: RemoteServer, uri: string): string | undefined {
  return uri.startsWith(`${server.name}+`) ? uri.slice(server.name.length + 1) : undefined;
}

/**
 * Cleans what a server listed. Entries the kit cannot offer safely (a name
 * that is not a tool name, a schema over the bounds, a duplicate) are left
 * out, each reported once to `skipped`.
 */
export function cleanListing(server: RemoteServer, raw: RawListing, skipped: (item: string, reason: string) => void): Listing {
  const tools = new Map<string, ListedTool>();
  for (const entry of raw.tools.slice(0, UNTRUSTED_LIMITS.listItems)) {
    const tool = record(entry);
    const original = tool["name"];
    // What the declaration leaves out is not looked at further.
    if (typeof original === "string" && !server.offers(original)) continue;
    if (typeof original !== "string" || !TOOL_NAME.test(original)) {
      skipped(`tool ${JSON.stringify(cleanLabel(String(original)))}`, "its name is not a tool name (1-128 of A-Z a-z 0-9 _ - .)");
      continue;
    }
    const name = `${server.prefix}${original}`;
    if (name.length > 128) {
      skipped(`tool ${original}`, `with the prefix its name ${name} is longer than 128 characters`);
      continue;
    }
    if (tools.has(name)) {
      skipped(`tool ${original}`, "it is listed twice");
      continue;
    }
    const input = boundedSchema(tool["inputSchema"] ?? { type: "object" });
    if ("refused" in input || (input.schema["type"] !== undefined && input.schema["type"] !== "object")) {
      skipped(`tool ${original}`, "refused" in input ? `its input schema: ${input.refused}` : "its input schema does not describe an object");
      continue;
    }
    const output = tool["outputSchema"] === undefined ? undefined : boundedSchema(tool["outputSchema"]);
    if (output !== undefined && "refused" in output) {
      skipped(`tool ${original}`, `its output schema: ${output.refused}`);
      continue;
    }
    tools.set(name, {
      name,
      original,
      title: label(tool["title"]),
      description: text(tool["description"]),
      input: passThrough(input.schema),
      output: output === undefined ? undefined : passThrough(output.schema),
      annotations: annotations(tool["annotations"]),
    });
  }

  const resources: ListedResource[] = [];
  for (const entry of raw.resources.slice(0, UNTRUSTED_LIMITS.listItems)) {
    const resource = record(entry);
    const uri = resource["uri"];
    const name = label(resource["name"]);
    if (!isUri(uri) || name === undefined) {
      skipped(`resource ${JSON.stringify(cleanLabel(String(resource["name"] ?? uri)))}`, "it has no usable URI or name");
      continue;
    }
    resources.push({ name, uri: namespacedUri(server, uri), title: label(resource["title"]), description: text(resource["description"]), mimeType: mimeType(resource["mimeType"]) });
  }

  const templates: ListedTemplate[] = [];
  const templateNames = new Set<string>();
  for (const entry of raw.templates.slice(0, UNTRUSTED_LIMITS.listItems)) {
    const template = record(entry);
    const uriTemplate = template["uriTemplate"];
    const name = label(template["name"]);
    if (!isUri(uriTemplate) || name === undefined || templateNames.has(name)) {
      skipped(`resource template ${JSON.stringify(cleanLabel(String(template["name"] ?? uriTemplate)))}`, "it has no usable URI template or name, or is listed twice");
      continue;
    }
    templateNames.add(name);
    templates.push({ name, uriTemplate: namespacedUri(server, uriTemplate), title: label(template["title"]), description: text(template["description"]), mimeType: mimeType(template["mimeType"]) });
  }

  const prompts = new Map<string, ListedPrompt>();
  for (const entry of raw.prompts.slice(0, UNTRUSTED_LIMITS.listItems)) {
    const prompt = record(entry);
    const original = prompt["name"];
    const name = typeof original === "string" ? `${server.prefix}${original}` : "";
    if (typeof original !== "string" || !TOOL_NAME.test(original) || name.length > 128 || prompts.has(name)) {
      skipped(`prompt ${JSON.stringify(cleanLabel(String(original)))}`, "its name is not a usable prompt name, or it is listed twice");
      continue;
    }
    const argumentList = Array.isArray(prompt["arguments"]) ? prompt["arguments"].map(record) : [];
    if (argumentList.length > MAX_PROMPT_ARGUMENTS || argumentList.some((argument) => typeof argument["name"] !== "string" || !ARGUMENT_NAME.test(argument["name"]))) {
      skipped(`prompt ${original}`, `its arguments are not at most ${MAX_PROMPT_ARGUMENTS} named arguments`);
      continue;
    }
    prompts.set(name, { name, original, title: label(prompt["title"]), description: text(prompt["description"]), arguments: argumentList.length === 0 ? undefined : promptArguments(argumentList) });
  }
  return { tools, resources, templates, prompts, prior: raw.prior };
}

/** Cached listings, per (server, user). */
export class ListingCache {
  readonly #entries: BoundedLru<Listing | { readonly failure: Error }>;
  readonly #flights = new SingleFlight<Listing>(1000);
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; maxBytes?: number; now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#entries = new BoundedLru({ maxEntries: options.maxEntries ?? 2000, maxBytes: options.maxBytes ?? 32 * 1024 * 1024, now: this.#now });
  }

  /**
   * The listing of `server` for the user `userKey`: cached, or fetched by
   * `fetch` (one fetch for concurrent callers). A failure is remembered for
   * {@link LISTING_FAILURE_TTL_MS} and thrown to every caller meanwhile.
   */
  async get(server: RemoteServer, userKey: string, fetch: (signal: AbortSignal) => Promise<Listing>, signal?: AbortSignal): Promise<Listing> {
    const key = `${server.name}\u0000${userKey}`;
    const cached = this.#entries.get(key);
    if (cached !== undefined) {
      if ("failure" in cached) throw cached.failure;
      return cached;
    }
    return this.#flights.run(
      key,
      async (shared) => {
        try {
          const listing = await fetch(shared);
          this.#entries.set(key, listing, estimateBytes(listing), this.#now() + LISTING_TTL_MS);
          return listing;
        } catch (error) {
          if (!shared.aborted) this.#entries.set(key, { failure: error as Error }, 512, this.#now() + LISTING_FAILURE_TTL_MS);
          throw error;
        }
      },
      signal,
    );
  }

  /** Replaces the era verdict of a cached listing (a call found a fresher one). */
  rememberPrior(server: RemoteServer, userKey: string, prior: PriorDiscovery | undefined): void {
    const key = `${server.name}\u0000${userKey}`;
    const cached = this.#entries.get(key);
    if (cached === undefined || "failure" in cached || cached.prior === prior) return;
    this.#entries.set(key, { ...cached, prior }, estimateBytes(cached), this.#now() + LISTING_TTL_MS);
  }

  /** Forgets what is cached for the user `userKey` of `server`. */
  forget(server: RemoteServer, userKey: string): void {
    this.#entries.delete(`${server.name}\u0000${userKey}`);
  }

  get stats(): { entries: number; bytes: number } {
    return { entries: this.#entries.stats.entries, bytes: this.#entries.stats.bytes };
  }
}

/** How long a listing is reused for the same user. */
export const LISTING_TTL_MS = 60_000;
/** How long a failed fetch is remembered before the server is asked again. */
export const LISTING_FAILURE_TTL_MS = 5_000;

/** A Standard Schema that accepts any value and advertises `json`: the downstream validates its own input. */
function passThrough(json: Record<string, unknown>): StandardSchemaWithJSON {
  return {
    "~standard": {
      version: 1,
      vendor: "mcp-functions-kit/gateway",
      validate: (value: unknown) => ({ value }),
      jsonSchema: { input: () => json, output: () => json },
    },
  };
}

/** Prompt arguments as the JSON Schema the MCP SDK reads them back from (name, description, required). */
function promptArguments(argumentList: ReadonlyArray<Record<string, unknown>>): StandardSchemaWithJSON {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const argument of argumentList) {
    const name = argument["name"] as string;
    const description = text(argument["description"]);
    properties[name] = { type: "string", ...(description === undefined ? {} : { description }) };
    if (argument["required"] === true) required.push(name);
  }
  return passThrough({ type: "object", properties, ...(required.length === 0 ? {} : { required }) });
}

function annotations(value: unknown): ToolAnnotations | undefined {
  const source = record(value);
  const picked: Record<string, unknown> = {};
  for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) if (typeof source[hint] === "boolean") picked[hint] = source[hint];
  const title = label(source["title"]);
  if (title !== undefined) picked["title"] = title;
  return Object.keys(picked).length === 0 ? undefined : (picked as ToolAnnotations);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function label(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const cleaned = cleanLabel(value);
  return cleaned === "" ? undefined : cleaned;
}

function text(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const cleaned = cleanText(value);
  return cleaned === "" ? undefined : cleaned;
}

function mimeType(value: unknown): string | undefined {
  return typeof value === "string" && value.length <= 128 && MIME_TYPE.test(value) ? value : undefined;
}

function isUri(value: unknown): value is string {
  return typeof value === "string" && value.length <= UNTRUSTED_LIMITS.uri && URI_SCHEME.test(value) && !/[\s\p{Cc}]/u.test(value);
}

function estimateBytes(listing: Listing): number {
  let bytes = 1024;
  for (const tool of listing.tools.values()) {
    bytes += 256 + 2 * (tool.name.length + (tool.description?.length ?? 0) + (tool.title?.length ?? 0));
    bytes += 2 * JSON.stringify(tool.input["~standard"].jsonSchema.input({ target: "draft-2020-12" })).length;
    if (tool.output !== undefined) bytes += 2 * JSON.stringify(tool.output["~standard"].jsonSchema.output({ target: "draft-2020-12" })).length;
  }
  for (const item of [...listing.resources, ...listing.templates, ...listing.prompts.values()]) bytes += 256 + 2 * JSON.stringify(item).length;
  if (listing.prior !== undefined) bytes += 2 * JSON.stringify(listing.prior).length;
  return bytes;
}
