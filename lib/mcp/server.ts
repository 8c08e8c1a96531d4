/**
 * Builds the MCP server instance that serves one request.
 *
 * The MCP SDK calls the factory once per HTTP request (stateless serving, so
 * any Function instance can answer any request). The factory registers the
 * tools of a {@link McpServerDefinition}, each wrapped so that input and output
 * are validated and failures become readable `isError` results.
 */
import { randomUUID } from "node:crypto";
import {
  McpServer,
  type CallToolResult,
  type ScopeChallengeHandler,
  type ServerCapabilities,
  type ServerContext,
  type ServerOptions,
} from "@modelcontextprotocol/server";
import { withDeadline } from "../abort.js";
import type { AuthMode } from "../config.js";
import { validatedTokenOf } from "../auth/gate.js";
import type { ProtectedResource } from "../auth/protected-resource.js";
import type { Logger } from "../log.js";
import type { SecretSource } from "../secrets/source.js";
import { NeedError, resolveNeeds, SignInRequiredError, type NeedServices } from "./needs.js";
import { schemasOf } from "./schemas.js";
import { ToolDefinitionError, ToolError, type AnyTool, type ToolContext, type ToolRequirements, type UnstructuredReturn } from "./tool.js";

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
   * the comment on `REFUSED_METHODS` in endpoint.ts.
   */
  readonly capabilities?: Omit<ServerCapabilities, "tools">;
  /** Registers resources, prompts or completions directly with the MCP SDK. Runs for every request. */
  readonly extend?: (server: McpServer) => void;
  /**
   * Integrity check for the `requestState` that multi-round-trip
   * (`inputRequired`, 2026-07-28) results send through the client and get
   * back: usually `createRequestStateCodec({ key }).verify`. It runs before
   * the handler; a refusal is answered with -32602. Without it, handlers see
   * the raw string, which the client can forge.
   */
  readonly requestState?: NonNullable<ServerOptions["requestState"]>;
}

/** Per-request values the tool wrappers need. */
export interface ToolCallEnvironment {
  readonly log: Logger;
  /** Told when a tool's need found the caller's token refused by Entra (see SignInRequiredError). */
  readonly onSignInRequired?: (description: string) => void;
}

/** How the server authenticates callers; fixed for the life of the endpoint. */
export interface ServerAuth {
  readonly mode: AuthMode;
  /** Present unless the mode is none: scope naming for per-tool challenges. */
  readonly resource?: ProtectedResource;
  /** Present unless the mode is none: On-Behalf-Of and MSAL for tools' needs. */
  readonly services?: NeedServices;
  /** What `secret(name)` needs read (Key Vault or the environment), whatever the mode. */
  readonly secrets?: SecretSource;
}

/** How long a tool may run unless it says otherwise. */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

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

/** The union of the downstream scopes the tools' needs will ask for, so users consent to all of them at sign-in. */
export function downstreamScopesOf(tools: readonly AnyTool[]): string[] {
  const scopes = new Set<string>();
  for (const tool of tools) {
    for (const need of Object.values(tool.needs ?? {}) as Array<{ downstreamScopes?: readonly string[] }>) {
      for (const scope of need.downstreamScopes ?? []) scopes.add(scope);
    }
  }
  return [...scopes];
}

/** Creates the server instance for one request. */
export function buildServer(definition: McpServerDefinition, auth: ServerAuth, environment: ToolCallEnvironment): McpServer {
  const server = new McpServer(
    { name: definition.name, version: definition.version },
    {
      capabilities: staticCapabilities(definition),
      ...(definition.instructions === undefined ? {} : { instructions: definition.instructions }),
      ...(definition.requestState === undefined ? {} : { requestState: definition.requestState }),
    },
  );
  for (const tool of definition.tools) registerTool(server, tool, auth, environment);
  definition.extend?.(server);
  return server;
}

/**
 * The definition's capabilities with every list declared as never changing.
 * `subscriptions/listen` is refused (see endpoint.ts), so a list that claimed
 * to change could never tell anyone; and the SDK would otherwise advertise
 * `listChanged: true` for resources and prompts registered in `extend`.
 */
function staticCapabilities(definition: McpServerDefinition): ServerCapabilities {
  const declared = definition.capabilities ?? {};
  const mayRegisterMore = definition.extend !== undefined;
  return {
    ...declared,
    tools: { listChanged: false },
    ...(declared.resources !== undefined || mayRegisterMore ? { resources: { ...declared.resources, listChanged: false } } : {}),
    ...(declared.prompts !== undefined || mayRegisterMore ? { prompts: { ...declared.prompts, listChanged: false } } : {}),
  };
}

function registerTool(server: McpServer, tool: AnyTool, auth: ServerAuth, environment: ToolCallEnvironment): void {
  const schemas = schemasOf(tool);
  const checkOutput = schemas.checkOutput;
  const scopeChallenge = tool.requires === undefined || auth.resource === undefined ? undefined : requirementsChallenge(tool.requires, auth.resource);
  server.registerTool(
    tool.name,
    {
      ...(tool.title === undefined ? {} : { title: tool.title }),
      description: tool.description,
      inputSchema: schemas.input,
      ...(schemas.output === undefined ? {} : { outputSchema: schemas.output }),
      ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
      ...(scopeChallenge === undefined ? {} : { scopeChallenge }),
    },
    async (args: unknown, ctx: ServerContext): Promise<CallToolResult> => {
      const log = environment.log.child({ tool: tool.name });
      const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
      try {
        // The tool's signal aborts when the client cancels or the deadline passes; at the deadline the
        // call ends even if the tool ignores its signal (lib/abort.ts).
        const value: unknown = await withDeadline(
          timeoutMs,
          () => new ToolError(`${tool.name} did not finish within ${Math.round(timeoutMs / 1000)} seconds and was stopped.`),
          async (signal) => {
            const base = toolContext(log, ctx, signal);
            const needs = await resolveNeeds(tool.needs ?? {}, { token: validatedTokenOf(ctx.http?.authInfo), authMode: auth.mode, log, signal, services: auth.services, ...(auth.secrets === undefined ? {} : { secrets: auth.secrets }) });
            return tool.run(args as Record<string, unknown>, { ...needs, ...base });
          },
          ctx.mcpReq.signal,
        );
        if (checkOutput === undefined) return unstructuredResult(value as UnstructuredReturn);
        const checked = checkOutput(value);
        if (!checked.ok) return failure(log, tool.name, new Error(`output does not match the declared output schema: ${checked.problem}`));
        return { content: [{ type: "text", text: JSON.stringify(checked.value) }], structuredContent: checked.value };
      } catch (error) {
        if (error instanceof SignInRequiredError) environment.onSignInRequired?.(error.message);
        return failure(log, tool.name, error);
      }
    },
  );
}

function toolContext(log: Logger, ctx: ServerContext, signal: AbortSignal): ToolContext {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  return {
    log,
    signal,
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

/**
 * The SDK's per-tool scope challenge for `requires`: a caller lacking a scope
 * or role gets 403 `insufficient_scope` naming every scope the tool needs.
 */
function requirementsChallenge(requires: ToolRequirements, resource: ProtectedResource): ScopeChallengeHandler {
  const requiredScopes = requires.scopes ?? [];
  const requiredRoles = requires.roles ?? [];
  const allScopes = [...new Set([...resource.baseScopes, ...requiredScopes.map((name) => resource.clientScope(name))])] as [string, ...string[]];
  return ({ authInfo }) => {
    const token = validatedTokenOf(authInfo);
    if (token === undefined) return undefined;
    const missingScopes = requiredScopes.filter((name) => !token.scopes.includes(name));
    const missingRoles = requiredRoles.filter((role) => !token.roles.includes(role));
    if (missingScopes.length === 0 && missingRoles.length === 0) return undefined;
    const lacking = [
      ...(missingScopes.length === 0 ? [] : [`the scope${missingScopes.length > 1 ? "s" : ""} ${missingScopes.join(", ")}`]),
      ...(missingRoles.length === 0 ? [] : [`the app role${missingRoles.length > 1 ? "s" : ""} ${missingRoles.join(", ")} (an administrator assigns roles)`]),
    ];
    return { scopes: allScopes, errorDescription: `This tool needs ${lacking.join(" and ")}.` };
  };
}

function failure(log: Logger, toolName: string, error: unknown): CallToolResult {
  if (error instanceof ToolError || error instanceof NeedError) {
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
