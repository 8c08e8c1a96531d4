/**
 * The gateway at request time: puts what the declared remote servers offer
 * the caller on the request's MCP server, and forwards calls to them.
 *
 * The MCP SDK builds a fresh server for every request (lib/mcp/server.ts),
 * and what a downstream offers depends on the caller, so registration is per
 * request and must stay cheap: the request's JSON-RPC message says what it
 * needs (a `tools/list` needs every server's tools, a `tools/call` of
 * `crm_find` needs the one tool of `crm`, anything else needs nothing and
 * costs nothing), the caller's listings come from a per-(server, user)
 * cache (listing.ts), and their schemas are registered as they were cleaned,
 * with no conversion.
 *
 * The MCP client and everything that talks to a downstream (downstream.ts)
 * load on first use, so an app that declares servers pays nothing at import.
 */
import { ResourceTemplate, type CallToolResult, type GetPromptResult, type McpServer, type ReadResourceResult, type ServerContext, type ServerOptions } from "@modelcontextprotocol/server";
import { withDeadline } from "../abort.js";
import type { ValidatedToken } from "../entra/access-token.js";
import type { Logger } from "../log.js";
import type { OnBehalfOf } from "../mcp/needs.js";
import type { Conversation, DownstreamCaller, KeptConnections } from "./downstream.js";
import { DownstreamFailure } from "./errors.js";
import { cleanMessage } from "./untrusted-text.js";
import { cleanListing, ListingCache, namespacedUri, originalUri, type ListedPrompt, type ListedTool, type Listing } from "./listing.js";
import type { RemoteServer } from "./remote-server.js";

/** What one request brings: its caller and its message. */
export interface GatewayRequest {
  /** The caller's validated token (the gateway needs sign-in: discovery.ts refuses servers without it). */
  readonly token: ValidatedToken | undefined;
  /** The parsed JSON-RPC body (one message or a batch). */
  readonly message: unknown;
  readonly log: Logger;
  /** How a failed call becomes its result, the same way for the kit's own tools (lib/mcp/server.ts). */
  readonly failure: (toolName: string, error: unknown) => CallToolResult;
}

/** What a request needs from one server. */
interface Needs {
  tools: boolean;
  resources: boolean;
  prompts: boolean;
  readonly calls: Set<string>;
  readonly reads: Set<string>;
  readonly gets: Set<string>;
}

type Downstream = typeof import("./downstream.js");

/** The process's gateway to its remote servers. */
export class Gateway {
  readonly #servers: readonly RemoteServer[];
  readonly #onBehalfOf: OnBehalfOf | undefined;
  readonly #log: Logger;
  readonly #listings = new ListingCache();
  /** Items already reported as left out, so a bad entry warns once, not at every listing. */
  readonly #reported = new Set<string>();
  #downstream: Promise<Downstream> | undefined;
  /** Connected clients of 2026-07-28 servers, idle between one user's calls (downstream.ts). */
  #kept: KeptConnections | undefined;

  constructor(servers: readonly RemoteServer[], onBehalfOf: OnBehalfOf | undefined, log: Logger) {
    this.#servers = servers;
    this.#onBehalfOf = onBehalfOf;
    this.#log = log;
  }

  /** Cache hints for the lists the gateway adds to: they depend on the caller, so no one may share them. */
  listCacheHints(): NonNullable<ServerOptions["cacheHints"]> {
    const hint = { cacheScope: "private" } as const;
    return { "tools/list": hint, "resources/list": hint, "resources/templates/list": hint, "prompts/list": hint };
  }

  /**
   * Registers on `server` what `request` needs from the remote servers;
   * returns `server` at once when it needs nothing, else once the caller's
   * listings are there.
   */
  extend(server: McpServer, request: GatewayRequest): McpServer | Promise<McpServer> {
    const needs = this.#needsOf(request.message);
    if (needs.size === 0 || request.token === undefined || this.#onBehalfOf === undefined) return server;
    const caller: DownstreamCaller = { token: request.token, onBehalfOf: this.#onBehalfOf };
    return Promise.all([...needs].map(([remote, need]) => this.#register(server, remote, need, caller, request))).then(() => server);
  }

  #needsOf(message: unknown): Map<RemoteServer, Needs> {
    const needs = new Map<RemoteServer, Needs>();
    const of = (remote: RemoteServer): Needs => {
      let need = needs.get(remote);
      if (need === undefined) {
        need = { tools: false, resources: false, prompts: false, calls: new Set(), reads: new Set(), gets: new Set() };
        needs.set(remote, need);
      }
      return need;
    };
    for (const item of Array.isArray(message) ? message : [message]) {
      if (typeof item !== "object" || item === null) continue;
      const { method, params } = item as { method?: unknown; params?: { name?: unknown; uri?: unknown } };
      const name = typeof params?.name === "string" ? params.name : undefined;
      const uri = typeof params?.uri === "string" ? params.uri : undefined;
      switch (method) {
        case "tools/list":
          for (const remote of this.#servers) of(remote).tools = true;
          break;
        case "resources/list":
        case "resources/templates/list":
          for (const remote of this.#servers) of(remote).resources = true;
          break;
        case "prompts/list":
          for (const remote of this.#servers) of(remote).prompts = true;
          break;
        case "tools/call": {
          const remote = name === undefined ? undefined : this.#servers.find((candidate) => name.startsWith(candidate.prefix));
          if (remote !== undefined) of(remote).calls.add(name!);
          break;
        }
        case "prompts/get": {
          const remote = name === undefined ? undefined : this.#servers.find((candidate) => name.startsWith(candidate.prefix));
          if (remote !== undefined) of(remote).gets.add(name!);
          break;
        }
        case "resources/read": {
          const remote = uri === undefined ? undefined : this.#servers.find((candidate) => originalUri(candidate, uri) !== undefined);
          if (remote !== undefined) of(remote).reads.add(uri!);
          break;
        }
      }
    }
    return needs;
  }

  async #register(server: McpServer, remote: RemoteServer, need: Needs, caller: DownstreamCaller, request: GatewayRequest): Promise<void> {
    const userKey = `${caller.token.tenantId}/${caller.token.objectId}`;
    let listing: Listing | undefined;
    let failure: Error | undefined;
    try {
      listing = await this.#listing(remote, caller, userKey);
    } catch (error) {
      failure = error as Error;
    }
    const context: CallContext = { remote, caller, userKey, request, prior: listing?.prior };
    if (listing === undefined) {
      // A list leaves the server out; a call to it answers with the reason, never a failed request.
      for (const name of need.calls) this.#registerUnavailableTool(server, name, failure!, request);
      for (const uri of need.reads) registerResource(server, remote, uri, () => Promise.reject(failure));
      return;
    }
    if (need.tools) for (const tool of listing.tools.values()) this.#registerTool(server, tool, context);
    for (const name of need.calls) {
      const tool = listing.tools.get(name);
      // Not offered to this user (unknown, excluded): the SDK answers "not found", as for any unknown tool.
      if (tool !== undefined && !need.tools) this.#registerTool(server, tool, context);
    }
    if (need.resources) {
      for (const resource of listing.resources) {
        registerResource(server, remote, resource.uri, (uri) => this.#read(context, uri), resource);
      }
      for (const template of listing.templates) {
        registerTemplate(server, remote, template, (uri) => this.#read(context, uri));
      }
    }
    for (const uri of need.reads) {
      if (need.resources && listing.resources.some((resource) => resource.uri === uri)) continue;
      registerResource(server, remote, uri, (read) => this.#read(context, read));
    }
    const prompts = need.prompts ? [...listing.prompts.values()] : [...need.gets].map((name) => listing.prompts.get(name)).filter((prompt) => prompt !== undefined);
    for (const prompt of prompts) this.#registerPrompt(server, prompt, context);
  }

  #listing(remote: RemoteServer, caller: DownstreamCaller, userKey: string): Promise<Listing> {
    return this.#listings.get(
      remote,
      userKey,
      async (signal) => {
        const { converse, kept } = await this.#downstreamModule();
        try {
          return await withDeadline(
            Math.min(remote.timeoutMs, LIST_TIMEOUT_MS),
            () => new DownstreamFailure(remote.name, "timeout", `The remote server ${JSON.stringify(remote.name)} did not list what it offers in time; try again later.`),
            (deadline) =>
              converse(remote, caller, undefined, deadline, async (conversation) => {
                const raw = await listEverything(conversation);
                return cleanListing(remote, { ...raw, prior: conversation.verdict() }, (item, reason) => this.#reportSkipped(remote, item, reason));
              }, kept),
            signal,
          );
        } catch (error) {
          const reason = error instanceof DownstreamFailure ? error.kind : error instanceof Error ? error.name : "unknown";
          this.#log.warn("gateway.listing_failed", { server: remote.name, reason, message: error instanceof Error ? error.message : String(error) });
          throw error;
        }
      },
      // No caller's signal: a listing is shared by the user's concurrent requests and cached, so it runs to its own deadline.
    );
  }

  #registerTool(server: McpServer, tool: ListedTool, context: CallContext): void {
    server.registerTool(
      tool.name,
      {
        ...(tool.title === undefined ? {} : { title: tool.title }),
        ...(tool.description === undefined ? {} : { description: tool.description }),
        inputSchema: tool.input,
        ...(tool.output === undefined ? {} : { outputSchema: tool.output }),
        ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
      },
      (args: unknown, ctx: ServerContext) => this.#call(context, tool, args as Record<string, unknown>, ctx),
    );
  }

  #registerUnavailableTool(server: McpServer, name: string, failure: Error, request: GatewayRequest): void {
    server.registerTool(name, { description: "Unavailable right now." }, async () => request.failure(name, failure));
  }

  async #call(context: CallContext, tool: ListedTool, args: Record<string, unknown>, ctx: ServerContext): Promise<CallToolResult> {
    const { remote } = context;
    const seconds = Math.round(remote.timeoutMs / 1000);
    try {
      return await withDeadline(
        remote.timeoutMs,
        () => new DownstreamFailure(remote.name, "timeout", `${tool.name} did not finish within ${seconds} seconds and was stopped (the remote server ${JSON.stringify(remote.name)} was still working).`),
        (signal) =>
          this.#converse(context, signal, async (conversation) => {
            const progressToken = ctx.mcpReq._meta?.progressToken;
            const result = await conversation.client.callTool(
              { name: tool.original, arguments: args },
              {
                signal: conversation.signal,
                // The kit's deadline ends the call with its own message; the SDK's timeout must not come first.
                timeout: remote.timeoutMs + 1000,
                ...(progressToken === undefined
                  ? {}
                  : {
                      onprogress: (progress) => {
                        void ctx.mcpReq
                          .notify({
                            method: "notifications/progress",
                            params: {
                              progressToken,
                              progress: progress.progress,
                              ...(progress.total === undefined ? {} : { total: progress.total }),
                              ...(progress.message === undefined ? {} : { message: cleanMessage(String(progress.message)) }),
                            },
                          })
                          .catch(() => undefined);
                      },
                    }),
              },
            );
            return passedOn(remote, result);
          }),
        ctx.mcpReq.signal,
      );
    } catch (error) {
      return context.request.failure(tool.name, error);
    }
  }

  async #read(context: CallContext, uri: string): Promise<ReadResourceResult> {
    const original = originalUri(context.remote, uri)!;
    // Every read goes to the server (cacheMode "bypass"): a kept client must not answer one from the SDK's cache, unchecked.
    const result = await withDeadline(
      context.remote.timeoutMs,
      () => new DownstreamFailure(context.remote.name, "timeout", `The remote server ${JSON.stringify(context.remote.name)} did not return the resource in time.`),
      (signal) => this.#converse(context, signal, (conversation) => conversation.client.readResource({ uri: original }, { signal: conversation.signal, timeout: context.remote.timeoutMs + 1000, cacheMode: "bypass" })),
    );
    return { ...result, contents: result.contents.map((content) => ({ ...content, uri: namespacedUri(context.remote, String(content.uri)) })) };
  }

  #registerPrompt(server: McpServer, prompt: ListedPrompt, context: CallContext): void {
    server.registerPrompt(
      prompt.name,
      {
        ...(prompt.title === undefined ? {} : { title: prompt.title }),
        ...(prompt.description === undefined ? {} : { description: prompt.description }),
        ...(prompt.arguments === undefined ? {} : { argsSchema: prompt.arguments }),
      },
      (async (args: Record<string, string> | undefined) => {
        const result = await withDeadline(
          context.remote.timeoutMs,
          () => new DownstreamFailure(context.remote.name, "timeout", `The remote server ${JSON.stringify(context.remote.name)} did not return the prompt in time.`),
          (signal) =>
            this.#converse(context, signal, (conversation) =>
              conversation.client.getPrompt({ name: prompt.original, ...(args === undefined ? {} : { arguments: args }) }, { signal: conversation.signal, timeout: context.remote.timeoutMs + 1000 }),
            ),
        );
        return { ...result, messages: result.messages.map((message) => ({ ...message, content: withNamespacedUris(context.remote, message.content) })) } as GetPromptResult;
      }) as never,
    );
  }

  /** A conversation with the context's server, its era verdict kept for the next one. */
  async #converse<T>(context: CallContext, signal: AbortSignal, work: (conversation: Conversation) => Promise<T>): Promise<T> {
    const { converse, kept } = await this.#downstreamModule();
    return converse(
      context.remote,
      context.caller,
      context.prior,
      signal,
      async (conversation) => {
        const value = await work(conversation);
        const verdict = conversation.verdict();
        if (verdict?.kind !== context.prior?.kind) this.#listings.rememberPrior(context.remote, context.userKey, verdict);
        return value;
      },
      kept,
    ).catch((error: unknown) => {
      // A verdict that no longer holds (the server changed era) must not fail every call until the listing expires.
      if (context.prior !== undefined) this.#listings.rememberPrior(context.remote, context.userKey, undefined);
      throw error;
    });
  }

  #reportSkipped(remote: RemoteServer, item: string, reason: string): void {
    const key = `${remote.name}\u0000${item}\u0000${reason}`;
    if (this.#reported.has(key) || this.#reported.size >= 1000) return;
    this.#reported.add(key);
    this.#log.warn("gateway.item_left_out", { server: remote.name, item, reason });
  }

  #downstreamModule(): Promise<{ converse: Downstream["converse"]; kept: KeptConnections }> {
    return (this.#downstream ??= import("./downstream.js")).then((module) => ({ converse: module.converse, kept: (this.#kept ??= module.keptConnections()) }));
  }
}

/** Listing a server stops after this long, however long its calls may take: a slow server must not hold up tools/list. */
const LIST_TIMEOUT_MS = 10_000;


interface CallContext {
  readonly remote: RemoteServer;
  readonly caller: DownstreamCaller;
  readonly userKey: string;
  readonly request: GatewayRequest;
  readonly prior: Listing["prior"];
}

/** Everything a server offers, asked for at once (one conversation, requests in parallel). */
async function listEverything(conversation: Conversation): Promise<{ tools: unknown[]; resources: unknown[]; templates: unknown[]; prompts: unknown[] }> {
  const { client, signal } = conversation;
  const capabilities = client.getServerCapabilities() ?? {};
  const options = { signal, cacheMode: "bypass" as const };
  const [tools, resources, templates, prompts] = await Promise.all([
    capabilities.tools === undefined ? [] : client.listTools(undefined, options).then((result) => result.tools),
    capabilities.resources === undefined ? [] : client.listResources(undefined, options).then((result) => result.resources),
    capabilities.resources === undefined ? [] : client.listResourceTemplates(undefined, options).then((result) => result.resourceTemplates),
    capabilities.prompts === undefined ? [] : client.listPrompts(undefined, options).then((result) => result.prompts),
  ]);
  return { tools, resources, templates, prompts };
}

/** A downstream result as the caller gets it: content, structured content and `isError` intact, resource URIs in the server's namespace. */
function passedOn(remote: RemoteServer, result: Awaited<ReturnType<Conversation["client"]["callTool"]>>): CallToolResult {
  const passed: CallToolResult = { content: result.content.map((block) => withNamespacedUris(remote, block)) };
  if (result.structuredContent !== undefined) passed.structuredContent = result.structuredContent as CallToolResult["structuredContent"];
  if (result.isError === true) passed.isError = true;
  return passed;
}

/** A content block whose resource URIs (links, embedded resources) point into the server's namespace. */
function withNamespacedUris<B>(remote: RemoteServer, block: B): B {
  const value = block as { type?: unknown; uri?: unknown; resource?: { uri?: unknown } };
  if (value.type === "resource_link" && typeof value.uri === "string") return { ...block, uri: namespacedUri(remote, value.uri) };
  if (value.type === "resource" && typeof value.resource?.uri === "string") return { ...block, resource: { ...value.resource, uri: namespacedUri(remote, value.resource.uri) } };
  return block;
}

function registerResource(
  server: McpServer,
  remote: RemoteServer,
  uri: string,
  read: (uri: string) => Promise<ReadResourceResult>,
  metadata?: { name: string; title: string | undefined; description: string | undefined; mimeType: string | undefined },
): void {
  let key: string;
  try {
    // The SDK finds a resource by the URI as the URL parser writes it.
    key = new URL(uri).toString();
  } catch {
    return;
  }
  try {
    server.registerResource(
      `${remote.prefix}${metadata?.name ?? "resource"}`,
      key,
      {
        ...(metadata?.title === undefined ? {} : { title: metadata.title }),
        ...(metadata?.description === undefined ? {} : { description: metadata.description }),
        ...(metadata?.mimeType === undefined ? {} : { mimeType: metadata.mimeType }),
      },
      () => read(uri),
    );
  } catch {
    // Listed twice under one URI: the first stays.
  }
}

function registerTemplate(server: McpServer, remote: RemoteServer, template: Listing["templates"][number], read: (uri: string) => Promise<ReadResourceResult>): void {
  try {
    // A template the SDK cannot parse is left out, as the server wrote it wrong.
    const resourceTemplate = new ResourceTemplate(template.uriTemplate, { list: undefined });
    server.registerResource(
      `${remote.prefix}${template.name}`,
      resourceTemplate,
      {
        ...(template.title === undefined ? {} : { title: template.title }),
        ...(template.description === undefined ? {} : { description: template.description }),
        ...(template.mimeType === undefined ? {} : { mimeType: template.mimeType }),
      },
      (uri) => read(uri.toString()),
    );
  } catch {
    return;
  }
}
