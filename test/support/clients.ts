/**
 * The three real MCP clients the kit must serve, connected over HTTP:
 * the SDK v2 client negotiating 2026-07-28, the v2 client pinned to the
 * 2025 handshake, and the v1 client (`@modelcontextprotocol/sdk`).
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as V1Transport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

/** The part of a connected client the tests use, the same for all three. */
export interface ConnectedClient {
  readonly label: string;
  readonly protocolVersion: string | undefined;
  listToolNames(): Promise<string[]>;
  callTool(name: string, args: Record<string, unknown>, onProgress?: (progress: number) => void): Promise<ToolResult>;
  close(): Promise<void>;
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
    label: kind,
    protocolVersion: client.getNegotiatedProtocolVersion(),
    listToolNames: async () => (await client.listTools()).tools.map((tool) => tool.name),
    callTool: async (name, args, onProgress) =>
      (await client.callTool({ name, arguments: args }, onProgress === undefined ? {} : { onprogress: (p) => onProgress(p.progress) })) as ToolResult,
    close: () => client.close(),
  };
}
