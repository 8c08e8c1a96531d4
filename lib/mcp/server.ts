/**
 * Builds the MCP server instance that serves one request.
 *
 * The MCP SDK calls the factory once per HTTP request (stateless serving, so
 * any Function instance can answer any request). The factory registers the
 * tools of a {@link McpServerDefinition}, each wrapped so that input and output
 * are validated and failures become readable `isError` results.
 */
import { randomUUID } from "node:crypto";
import { McpServer, type CallToolResult, type ServerCapabilities, type ServerContext } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { Logger } from "../log.js";
import { ToolDefinitionError, ToolError, type AnyTool, type ToolContext, type UnstructuredReturn } from "./tool.js";

/** Everything an MCP endpoint serves. */
export interface McpServerDefinition {
  /** Server name reported to clients. */
  readonly name: string;
  /** Server version reported to clients. */
  readonly version: string;
  /** Optional guidance for the model on how to use the server's tools. */
  readonly instructions?: string;
  /** The tools, in the order clients list them. */
  readonly tools: readonly AnyTool[];
  /**
   * Capabilities beyond tools (resources, prompts, completions, logging) for
   * what `extend` registers. Tool list changes are never advertised: see
   * `lib/mcp/README.md`.
   */
  readonly capabilities?: Omit<ServerCapabilities, "tools">;
  /** Registers resources, prompts or completions directly with the MCP SDK. Runs for every request. */
  readonly extend?: (server: McpServer) => void;
}

/** Per-request values the tool wrappers need. */
export interface ToolCallEnvironment {
  readonly log: Logger;
}

/**
 * Checks a definition once, at startup: unique tool names.
 * @throws ToolDefinitionError
 */
export function checkDefinition(definition: McpServerDefinition): void {
  const seen = new Set<string>();
  for (const tool of definition.tools) {
    if (seen.has(tool.name)) throw new ToolDefinitionError(tool.name, "defined twice; tool names must be unique");
    seen.add(tool.name);
  }
}

/** Creates the server instance for one request. */
export function buildServer(definition: McpServerDefinition, environment: ToolCallEnvironment): McpServer {
  const server = new McpServer(
    { name: definition.name, version: definition.version },
    {
      capabilities: { ...definition.capabilities, tools: { listChanged: false } },
      ...(definition.instructions === undefined ? {} : { instructions: definition.instructions }),
    },
  );
  for (const tool of definition.tools) registerTool(server, tool, environment);
  definition.extend?.(server);
  return server;
}

function registerTool(server: McpServer, tool: AnyTool, environment: ToolCallEnvironment): void {
  const outputSchema = tool.output === undefined ? undefined : z.object(tool.output);
  server.registerTool(
    tool.name,
    {
      ...(tool.title === undefined ? {} : { title: tool.title }),
      description: tool.description,
      inputSchema: z.object(tool.input),
      ...(outputSchema === undefined ? {} : { outputSchema }),
      ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
    },
    async (args: unknown, ctx: ServerContext): Promise<CallToolResult> => {
      const log = environment.log.child({ tool: tool.name });
      try {
        const value: unknown = await tool.run(args as Record<string, unknown>, toolContext(log, ctx));
        if (outputSchema === undefined) return unstructuredResult(value as UnstructuredReturn);
        const checked = outputSchema.safeParse(value);
        if (!checked.success) {
          return failure(log, tool.name, new Error(`output does not match the declared output schema: ${z.prettifyError(checked.error)}`));
        }
        return { content: [{ type: "text", text: JSON.stringify(checked.data) }], structuredContent: checked.data };
      } catch (error) {
        return failure(log, tool.name, error);
      }
    },
  );
}

function toolContext(log: Logger, ctx: ServerContext): ToolContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    log,
    signal: ctx.mcpReq.signal,
    async progress(progress, total, message) {
      if (progressToken === undefined) return;
      await ctx.mcpReq.notify({
        method: "notifications/progress",
        params: { progressToken, progress, ...(total === undefined ? {} : { total }), ...(message === undefined ? {} : { message }) },
      });
    },
  };
}

function unstructuredResult(value: UnstructuredReturn): CallToolResult {
  if (typeof value === "string") return { content: [{ type: "text", text: value }] };
  if (isCallToolResult(value)) return value;
  return { content: [{ type: "text", text: JSON.stringify(value ?? null) }] };
}

function isCallToolResult(value: unknown): value is CallToolResult {
  return typeof value === "object" && value !== null && Array.isArray((value as { content?: unknown }).content);
}

function failure(log: Logger, toolName: string, error: unknown): CallToolResult {
  if (error instanceof ToolError) {
    log.info("tool.error", { message: error.message });
    return { content: [{ type: "text", text: error.message }], isError: true };
  }
  const reference = randomUUID().slice(0, 8);
  log.error("tool.failed", { reference, error });
  return {
    content: [{ type: "text", text: `Tool ${toolName} failed unexpectedly (reference ${reference}). The server log has the details.` }],
    isError: true,
  };
}
