/**
 * The three real MCP clients the kit must serve, connected over HTTP:
 * the SDK v2 client negotiating 2026-07-28, the v2 client pinned to the
 * 2025 handshake, and the v1 client (`@modelcontextprotocol/sdk`).
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** The part of a connected client the tests use, the same for all three. */
export interface ConnectedClient extends ResourceAndPromptCalls {
  readonly label: string;
  readonly protocolVersion: string | undefined;
  listToolNames(): Promise<string[]>;
  callTool(name: string, args: Record<string, unknown>, onProgress?: (progress: number) => void): Promise<ToolResult>;
  close(): Promise<void>;
}

/** A listed resource, template, prompt or tool, as far as the tests look at it. */
export interface Listed {
  readonly name: string;
  readonly uri?: string;
  readonly uriTemplate?: string;
  readonly mimeType?: string;
  readonly arguments?: ReadonlyArray<{ name: string; required?: boolean }>;
  readonly _meta?: Record<string, unknown>;
}

export interface ReadContent {
  readonly uri: string;
  readonly mimeType?: string;
  readonly text?: string;
  readonly blob?: string;
  readonly _meta?: Record<string, unknown>;
}

export interface PromptMessageResult {
  readonly role: string;
  readonly content: { readonly type: string; readonly text?: string };
}

/** Resources, prompts and completions through the SDK client's own methods (the same names in v1 and v2). */
export interface ResourceAndPromptCalls {
  listTools(): Promise<Listed[]>;
  listResources(): Promise<Listed[]>;
  listResourceTemplates(): Promise<Listed[]>;
  readResource(uri: string): Promise<ReadContent[]>;
  listPrompts(): Promise<Listed[]>;
  getPrompt(name: string, args: Record<string, string>): Promise<{ description?: string; messages: PromptMessageResult[] }>;
  complete(ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string }, argument: { name: string; value: string }): Promise<{ values: string[]; total?: number; hasMore?: boolean }>;
}

/** The methods of both SDK clients that {@link ResourceAndPromptCalls} uses; their results are typed by each SDK's own schemas. */
interface SdkClientCalls {
  listTools(): Promise<{ tools: unknown[] }>;
  listResources(): Promise<{ resources: unknown[] }>;
  listResourceTemplates(): Promise<{ resourceTemplates: unknown[] }>;
  readResource(params: { uri: string }): Promise<{ contents: unknown[] }>;
  listPrompts(): Promise<{ prompts: unknown[] }>;
  getPrompt(params: { name: string; arguments: Record<string, string> }): Promise<{ description?: string; messages: unknown[] }>;
  complete(params: { ref: { type: "ref/prompt"; name: string } | { type: "ref/resource"; uri: string }; argument: { name: string; value: string } }): Promise<{ completion: unknown }>;
}

/** The resource and prompt calls of a connected v1 or v2 SDK client. */
export function resourceAndPromptCalls(client: SdkClientCalls): ResourceAndPromptCalls {
  return {
    listTools: async () => (await client.listTools()).tools as Listed[],
    listResources: async () => (await client.listResources()).resources as Listed[],
    listResourceTemplates: async () => (await client.listResourceTemplates()).resourceTemplates as Listed[],
    readResource: async (uri) => (await client.readResource({ uri })).contents as ReadContent[],
    listPrompts: async () => (await client.listPrompts()).prompts as Listed[],
    getPrompt: async (name, args) => (await client.getPrompt({ name, arguments: args })) as { description?: string; messages: PromptMessageResult[] },
    complete: async (ref, argument) => (await client.complete({ ref, argument })).completion as { values: string[]; total?: number; hasMore?: boolean },
  };
}

export interface ToolResult {
  readonly content: ReadonlyArray<{ type: string; text?: string }>;
  readonly structuredContent?: Record<string, unknown>;
  readonly isError?: boolean;
}

export type ClientKind = "v2-auto" | "v2-legacy" | "v1";
export const CLIENT_KINDS: readonly ClientKind[] = ["v2-auto", "v2-legacy", "v1"];

export interface ConnectOptions {
  /** Extra headers on every request (e.g. Authorization). */
  readonly headers?: Record<string, string>;
}

/** Connects one of the three clients to `mcpUrl`. */
export async function connectClient(kind: ClientKind, mcpUrl: URL, options: ConnectOptions = {}): Promise<ConnectedClient> {
  const requestInit = options.headers === undefined ? {} : { requestInit: { headers: options.headers } };
  if (kind === "v1") {
    const client = new V1Client({ name: "test-v1", version: "1.0.0" });
    const transport = new V1Transport(mcpUrl, requestInit);
    await client.connect(transport);
    return {
      ...resourceAndPromptCalls(client),
      label: kind,
      protocolVersion: transport.protocolVersion,
      listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
      callTool: async (name, args, onProgress) =>
        (await client.callTool({ name, arguments: args }, undefined, onProgress === undefined ? {} : { onprogress: (p) => onProgress(p.progress) })) as ToolResult,
      close: () => client.close(),
    };
  }
  const client = new Client({ name: `test-${kind}`, version: "1.0.0" }, { versionNegotiation: { mode: kind === "v2-auto" ? "auto" : "legacy" } });
  await client.connect(new StreamableHTTPClientTransport(mcpUrl, requestInit));
  return {
    ...resourceAndPromptCalls(client),
    label: kind,
    protocolVersion: client.getNegotiatedProtocolVersion(),
    listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
    callTool: async (name, args, onProgress) =>
      (await client.callTool({ name, arguments: args }, onProgress === undefined ? {} : { onprogress: (p) => onProgress(p.progress) })) as ToolResult,
    close: () => client.close(),
  };
}
