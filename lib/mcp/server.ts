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
  type AuthInfo,
  type CallToolResult,
  type ScopeChallengeHandler,
  type ServerCapabilities,
  type ServerContext,
  type ServerOptions,
} from "@modelcontextprotocol/server";
import { withDeadline } from "../abort.js";
import type { AuthMode } from "../config.js";
import type { AppCallerPolicy } from "../auth/app-callers.js";
import { callerOf, isAppOnly } from "../auth/caller.js";
import { validatedTokenOf } from "../auth/gate.js";
import type { ProtectedResource } from "../auth/protected-resource.js";
import type { Logger } from "../log.js";
import type { Gateway } from "../gateway/gateway.js";
import { checkRemoteServers, type RemoteServer } from "../gateway/remote-server.js";
import { appToolMeta } from "./apps.js";
import { cacheHintsOf, catalogCapabilities, checkCatalog, registerCatalog } from "./catalog.js";
import { reportAuthorizationFailure, type AuthorizationReports, type CallDeclaration } from "./challenges.js";
import { NeedError, resolveNeeds, SignInRequiredError, StepUpRequiredError, type NeedServices } from "./needs.js";
import type { AnyPrompt } from "./prompt.js";
import { listedFor } from "./requirements.js";
import type { AnyResource } from "./resource.js";
import type { SecretSource } from "../secrets/source.js";
import { schemasOf } from "./schemas.js";
import { ToolDefinitionError, ToolError, type AnyTool, type ToolContext, type ToolRequirements, type UnstructuredReturn } from "./tool.js";

export { downstreamScopesOf, itemsOf } from "./catalog.js";

/** Everything an MCP endpoint serves. */
export interface McpServerDefinition {
  /** Server name reported to clients. */
  readonly name: string;
  /** Human-readable name for clients' UIs and the consent page (MCP `serverInfo.title`); SERVER_DISPLAY_NAME overrides it on the consent page. */
  readonly title?: string;
  /** Server version reported to clients. */
  readonly version: string;
  /** Optional guidance for the model on how to use the server's tools. */
  readonly instructions?: string;
  /** The tools, in the order clients list them. */
  readonly tools: readonly AnyTool[];
  /** Resources and resource templates (`defineResource`, `defineResourceTemplate`, `defineAppResource`), in list order; tools' MCP Apps views are served too. */
  readonly resources?: readonly AnyResource[];
  /** Prompts (`definePrompt`), in list order. */
  readonly prompts?: readonly AnyPrompt[];
  /**
   * Downstream MCP servers whose tools, resources and prompts are offered
   * beside the tools, called On-Behalf-Of the caller (lib/gateway). Their
   * scopes must be known before the endpoint is created: declared, or read
   * by `resolveRemoteServers` at startup.
   */
  readonly remoteServers?: readonly RemoteServer[];
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

/** Per-request values the tool wrappers need; handlers report authorization failures through it (lib/mcp/challenges.ts). */
export interface ToolCallEnvironment extends AuthorizationReports {
  readonly log: Logger;
  /** The request's parsed JSON-RPC body: what it asks for decides what the gateway registers. */
  readonly message?: unknown;
  /** The caller, as the gate validated it (absent without sign-in). */
  readonly authInfo?: AuthInfo;
  /**
   * The request only lists (tools/list, resources/list, …): items needing an
   * app role the caller lacks are then not registered, so no list shows them.
   */
  readonly lists?: boolean;
  /**
   * False when no method of the request is a resources/, prompts/ or
   * completion/ one: the resources and prompts are then not registered, so
   * that a tool call pays nothing for them (default true).
   */
  readonly usesCatalog?: boolean;
}

/** How the server authenticates callers; fixed for the life of the endpoint. */
export interface ServerAuth {
  readonly mode: AuthMode;
  /** Present unless the mode is none: scope naming for per-tool challenges. */
  readonly resource?: ProtectedResource;
  /** Present unless the mode is none: On-Behalf-Of, app tokens and MSAL for tools' needs. */
  readonly services?: NeedServices;
  /** Present unless the mode is none: which app-only callers may call which tools. */
  readonly appCallers?: AppCallerPolicy;
  /** What `secret(name)` needs read (Key Vault or the environment), whatever the mode. */
  readonly secrets?: SecretSource;
}

/** How long a tool may run unless it says otherwise. */
export const DEFAULT_TOOL_TIMEOUT_MS = 60_000;

/**
 * Checks a definition once, at startup: unique tool names, the remote
 * servers' prefixes, then the resources and prompts (catalog.ts).
 * @throws ToolDefinitionError, DefinitionError
 */
export function checkDefinition(definition: McpServerDefinition): void {
  const seen = new Set<string>();
  for (const tool of definition.tools) {
    if (seen.has(tool.name)) throw new ToolDefinitionError(tool.name, "defined twice; tool names must be unique");
    seen.add(tool.name);
  }
  checkRemoteServers(definition.remoteServers ?? [], [...seen], { scopesKnown: true });
  checkCatalog(definition);
}

/** Every role the items' `requires.roles` name (tools, resources, prompts): an app-only token holding one of them is let in for those items. */
export function requiredRolesOf(items: readonly { readonly requires?: ToolRequirements }[]): string[] {
  return [...new Set(items.flatMap((item) => item.requires?.roles ?? []))];
}

const declarations = new WeakMap<AnyTool, Required<CallDeclaration>>();

/** What a tool requires and its needs declare, computed once per tool (the factory runs per request). */
function declarationOf(tool: AnyTool): Required<CallDeclaration> {
  let declared = declarations.get(tool);
  if (declared === undefined) {
    const needs = Object.values(tool.needs ?? {}) as Array<{ downstreamScopes?: readonly string[] }>;
    declared = { requiredScopes: tool.requires?.scopes ?? [], downstreamScopes: [...new Set(needs.flatMap((need) => need.downstreamScopes ?? []))] };
    declarations.set(tool, declared);
  }
  return declared;
}

/**
 * Creates the server instance for one request. With a gateway, what the
 * request needs from remote servers is registered too (then the server
 * comes once the caller's downstream lists are there).
 */
export function buildServer(definition: McpServerDefinition, auth: ServerAuth, environment: ToolCallEnvironment, gateway?: Gateway): McpServer | Promise<McpServer> {
  const server = new McpServer(
    { name: definition.name, version: definition.version, ...(definition.title === undefined ? {} : { title: definition.title }) },
    {
      capabilities: staticCapabilities(definition),
      ...(definition.instructions === undefined ? {} : { instructions: definition.instructions }),
      ...(definition.requestState === undefined ? {} : { requestState: definition.requestState }),
      cacheHints: cacheHintsOf(definition, auth),
    },
  );
  const token = validatedTokenOf(environment.authInfo);
  const called = environment.lists === true ? undefined : calledToolsOf(environment.message, toolsByName(definition));
  for (const tool of called ?? definition.tools) {
    if (environment.lists === true && !listedFor(tool.requires, token)) continue;
    registerTool(server, tool, auth, environment);
  }
  if (environment.usesCatalog !== false) registerCatalog(server, definition, auth, environment, environment.authInfo);
  definition.extend?.(server);
  if (gateway === undefined) return server;
  return gateway.extend(server, {
    token: validatedTokenOf(environment.authInfo),
    message: environment.message,
    log: environment.log,
    failure: (toolName, error) => toolFailure(environment, environment.log.child({ tool: toolName }), toolName, error),
  });
}

/**
 * The names a message calls, when calling tools is all it does (one
 * `tools/call`, or a 2025-03-26 batch of them and notifications): then only
 * those tools are registered, so that a call costs the same whether the
 * server has five tools or a thousand. Anything else (a list, a read,
 * initialize), and a call naming something that is not one of `tools` (a
 * gateway's tool, or none at all, which the SDK answers "not found" only
 * while some tool is registered), gets every tool: `undefined`.
 */
function calledToolsOf(message: unknown, tools: ReadonlyMap<string, AnyTool>): readonly AnyTool[] | undefined {
  if (message === undefined) return undefined;
  const called = new Set<AnyTool>();
  for (const item of Array.isArray(message) ? message : [message]) {
    if (typeof item !== "object" || item === null) return undefined;
    const { method, id, params } = item as { method?: unknown; id?: unknown; params?: { name?: unknown } };
    // Notifications (no id) and responses ask nothing of the tools.
    if (id === undefined || method === undefined) continue;
    if (method !== "tools/call" || typeof params?.name !== "string") return undefined;
    const tool = tools.get(params.name);
    if (tool === undefined) return undefined;
    called.add(tool);
  }
  return called.size === 0 ? undefined : [...called];
}

const toolMaps = new WeakMap<McpServerDefinition, ReadonlyMap<string, AnyTool>>();

/** The definition's tools by name, built once (names are unique: checkDefinition). */
function toolsByName(definition: McpServerDefinition): ReadonlyMap<string, AnyTool> {
  let map = toolMaps.get(definition);
  if (map === undefined) toolMaps.set(definition, (map = new Map(definition.tools.map((tool) => [tool.name, tool]))));
  return map;
}

/**
 * The definition's capabilities with every list declared as never changing.
 * `subscriptions/listen` is refused (see endpoint.ts), so a list that claimed
 * to change could never tell anyone; and the SDK would otherwise advertise
 * `listChanged: true` for resources and prompts registered in `extend`.
 */
function staticCapabilities(definition: McpServerDefinition): ServerCapabilities {
  const declared = definition.capabilities ?? {};
  const mayRegisterMore = definition.extend !== undefined || (definition.remoteServers?.length ?? 0) > 0;
  const served = catalogCapabilities(definition);
  return {
    ...declared,
    tools: { listChanged: false },
    ...(declared.resources !== undefined || served.resources || mayRegisterMore ? { resources: { ...declared.resources, listChanged: false } } : {}),
    ...(declared.prompts !== undefined || served.prompts || mayRegisterMore ? { prompts: { ...declared.prompts, listChanged: false } } : {}),
    ...(served.completions ? { completions: {} } : {}),
  };
}

function toolConfig(tool: AnyTool, schemas: ReturnType<typeof schemasOf>, scopeChallenge: ScopeChallengeHandler | undefined) {
  return {
    ...(tool.title === undefined ? {} : { title: tool.title }),
    description: tool.description,
    inputSchema: schemas.input,
    ...(schemas.output === undefined ? {} : { outputSchema: schemas.output }),
    ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
    ...(scopeChallenge === undefined ? {} : { scopeChallenge }),
    ...(tool.ui === undefined ? {} : { _meta: appToolMeta(tool.ui) }),
  };
}

/** What the SDK's `registerTool` is given for a tool. */
type ToolConfig = Readonly<ReturnType<typeof toolConfig>>;

/** A tool's registration as the SDK takes it, for one endpoint's auth; nothing in it depends on the request. */
interface ToolRegistration {
  readonly config: ToolConfig;
  readonly checkOutput: ReturnType<typeof schemasOf>["checkOutput"];
  readonly declared: Required<CallDeclaration>;
  readonly requiredRoles: readonly string[];
}

const registrations = new WeakMap<ServerAuth, WeakMap<AnyTool, ToolRegistration>>();

/** Built once per (endpoint auth, tool): the factory runs per request, and the SDK only reads the config. */
function registrationOf(tool: AnyTool, auth: ServerAuth): ToolRegistration {
  let byTool = registrations.get(auth);
  if (byTool === undefined) registrations.set(auth, (byTool = new WeakMap()));
  let registration = byTool.get(tool);
  if (registration === undefined) {
    const schemas = schemasOf(tool);
    const declared = declarationOf(tool);
    const scopeChallenge = auth.resource === undefined ? undefined : toolChallenge(tool, auth.resource, auth.appCallers, declared);
    registration = {
      config: Object.freeze(toolConfig(tool, schemas, scopeChallenge)),
      checkOutput: schemas.checkOutput,
      declared,
      requiredRoles: auth.resource === undefined ? [] : (tool.requires?.roles ?? []),
    };
    byTool.set(tool, registration);
  }
  return registration;
}

function registerTool(server: McpServer, tool: AnyTool, auth: ServerAuth, environment: ToolCallEnvironment): void {
  const { config, checkOutput, declared, requiredRoles } = registrationOf(tool, auth);
  server.registerTool(
    tool.name,
    config,
    async (args: unknown, ctx: ServerContext): Promise<CallToolResult> => {
      const token = validatedTokenOf(ctx.http?.authInfo);
      // Every line of the call names the caller: the user's object id, or the app's client id.
      const log = environment.log.child({ tool: tool.name, ...(token === undefined ? {} : { caller: callerOf(token) }) });
      const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
      try {
        // The tool's signal aborts when the client cancels or the deadline passes; at the deadline the
        // call ends even if the tool ignores its signal (lib/abort.ts).
        const value: unknown = await withDeadline(
          timeoutMs,
          () => new ToolError(`${tool.name} did not finish within ${Math.round(timeoutMs / 1000)} seconds and was stopped.`),
          async (signal) => {
            const missingRoles = missingRolesError(requiredRoles, validatedTokenOf(ctx.http?.authInfo));
            if (missingRoles !== undefined) throw missingRoles;
            const base = toolContext(log, ctx, signal);
            const needs = await resolveNeeds(tool.needs ?? {}, { token, authMode: auth.mode, log, signal, services: auth.services, ...(auth.secrets === undefined ? {} : { secrets: auth.secrets }) });
            return tool.run(args as Record<string, unknown>, { ...needs, ...base });
          },
          ctx.mcpReq.signal,
        );
        const checked = checkOutput?.(value);
        if (checked?.ok === false) return failure(log, tool.name, new Error(`output does not match the declared output schema: ${checked.problem}`));
        log.info("tool.called", { outcome: "ok" });
        if (checked === undefined) return unstructuredResult(value as UnstructuredReturn);
        return { content: [{ type: "text", text: JSON.stringify(checked.value) }], structuredContent: checked.value };
      } catch (error) {
        return toolFailure(environment, log, tool.name, error, declared);
      }
    },
  );
}

/** A failed call as its result, for the kit's tools and the gateway's alike: what the endpoint must learn is passed on first. */
export function toolFailure(environment: ToolCallEnvironment, log: Logger, toolName: string, error: unknown, declared: CallDeclaration = {}): CallToolResult {
  reportAuthorizationFailure(environment, error, declared);
  return failure(log, toolName, error);
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
 * The tool's checks before it runs, as the SDK's scope challenge (403
 * `insufficient_scope`, the gate's answer too): an app-only caller not
 * listed in APP_CALLERS may call only tools requiring app roles, then the
 * tool's own `requires.scopes`. App roles are not part of it (see
 * {@link missingRolesError}).
 */
function toolChallenge(tool: AnyTool, resource: ProtectedResource, appCallers: AppCallerPolicy | undefined, declared: Required<CallDeclaration>): ScopeChallengeHandler | undefined {
  const requirements = (tool.requires?.scopes ?? []).length === 0 ? undefined : requirementsChallenge(tool.requires!, resource, declared);
  if (appCallers === undefined) return requirements;
  const roles = tool.requires?.roles ?? [];
  return (context) => {
    const token = validatedTokenOf(context.authInfo);
    if (token !== undefined && isAppOnly(token) && !appCallers.mayCall(token, roles)) {
      return {
        scopes: resource.baseScopes as [string, ...string[]],
        errorDescription: `App-only tokens are not accepted from this application for ${tool.name}: sign in as a user, or ask the operator to list the application in APP_CALLERS.`,
      };
    }
    return requirements?.(context);
  };
}

/**
 * The SDK's per-tool scope challenge for `requires.scopes`: a caller lacking
 * a scope gets 403 `insufficient_scope` naming every scope the tool's call
 * needs, its downstream ones included (the same challenge as a step-up).
 */
function requirementsChallenge(requires: ToolRequirements, resource: ProtectedResource, declared: Required<CallDeclaration>): ScopeChallengeHandler {
  const requiredScopes = requires.scopes ?? [];
  const allScopes = resource.challengeScopes(requiredScopes, declared.downstreamScopes);
  return ({ authInfo }) => {
    const token = validatedTokenOf(authInfo);
    if (token === undefined) return undefined;
    const missingScopes = requiredScopes.filter((name) => !token.scopes.includes(name));
    if (missingScopes.length === 0) return undefined;
    return { scopes: allScopes, errorDescription: `This tool needs the scope${missingScopes.length > 1 ? "s" : ""} ${missingScopes.join(", ")}.` };
  };
}

/**
 * A tool error naming the app roles of `requires.roles` the caller lacks, or
 * `undefined`. A missing role is not a scope: no client can get it by asking
 * for more at sign-in (a 403 `insufficient_scope` would only send it round
 * asking again for the scopes it has); an administrator assigns it, so the
 * user is told so.
 */
function missingRolesError(requiredRoles: readonly string[], token: ReturnType<typeof validatedTokenOf>): ToolError | undefined {
  if (token === undefined) return undefined;
  const missing = requiredRoles.filter((role) => !token.roles.includes(role));
  if (missing.length === 0) return undefined;
  const roles = `the app role${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`;
  return new ToolError(
    `This tool needs ${roles}, which your account does not have. An administrator assigns app roles to users in Entra ID (Enterprise applications, this app, Users and groups); sign in again afterwards.`,
  );
}

function failure(log: Logger, toolName: string, error: unknown): CallToolResult {
  if (error instanceof ToolError || error instanceof NeedError) {
    log.info("tool.error", { message: error.message });
    const outcome = error instanceof SignInRequiredError ? "sign_in_required" : error instanceof StepUpRequiredError ? "step_up_required" : "error";
    log.info("tool.called", { outcome });
    return { content: [{ type: "text", text: error.message }], isError: true };
  }
  const reference = randomUUID().slice(0, 8);
  log.error("tool.failed", { reference, error });
  log.info("tool.called", { outcome: "failed" });
  return {
    content: [{ type: "text", text: `Tool ${toolName} failed unexpectedly (reference ${reference}). The server log has the details.` }],
    isError: true,
  };
}
