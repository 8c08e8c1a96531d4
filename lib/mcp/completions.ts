/**
 * `completion/complete` for prompt arguments and resource template
 * variables, with the item's needs: a completion can look values up as the
 * signed-in user (the user's own orders, through On-Behalf-Of).
 *
 * The SDK's own completion handler calls completers without the request's
 * context (no token, no signal), so the kit installs its own when any prompt
 * or template declares `complete`.
 */
import { ProtocolError, ProtocolErrorCode, type CompleteResult, type McpServer, type ServerContext } from "@modelcontextprotocol/server";
import { validatedTokenOf } from "../auth/gate.js";
import { invoke, type Invocation } from "./invoke.js";
import type { AnyPrompt } from "./prompt.js";
import type { Needs } from "./needs.js";
import { shortfallOf, type Requirements } from "./requirements.js";
import { isTemplate, type AnyResource, type Completers } from "./resource.js";
import type { ServerAuth, ToolCallEnvironment } from "./server.js";

/** The most values one completion answer may carry (the MCP spec's limit). */
const MAX_VALUES = 100;
/** Completions run while the user types: a slow one is useless, so they get at most this (or the item's shorter timeoutMs). */
const COMPLETION_TIMEOUT_MS = 10_000;

/** What can be completed: a prompt, or a template by its URI template. */
interface Completable {
  readonly kind: "Prompt" | "Resource template";
  readonly name: string;
  readonly needs: Needs | undefined;
  readonly requires: Requirements | undefined;
  readonly complete: Completers<Needs> | undefined;
  readonly timeoutMs: number | undefined;
}

interface CompleteParams {
  readonly ref: { readonly type: string; readonly name?: string; readonly uri?: string };
  readonly argument: { readonly name: string; readonly value: string };
  readonly context?: { readonly arguments?: Readonly<Record<string, string>> };
}

/** Whether any item declares completions, so the server must offer `completion/complete`. */
export function hasCompletions(prompts: readonly AnyPrompt[], resources: readonly AnyResource[]): boolean {
  return [...prompts, ...resources].some((item) => "complete" in item && item.complete !== undefined && Object.keys(item.complete).length > 0);
}

/** Installs the completion handler for `prompts` and the templates among `resources`. */
export function registerCompletions(server: McpServer, prompts: readonly AnyPrompt[], resources: readonly AnyResource[], auth: ServerAuth, environment: ToolCallEnvironment): void {
  const completable = (kind: Completable["kind"], item: AnyPrompt | AnyResource): Completable => ({ kind, name: item.name, needs: item.needs, requires: item.requires, complete: "complete" in item ? item.complete : undefined, timeoutMs: item.timeoutMs });
  const byPrompt = new Map(prompts.map((prompt) => [prompt.name, completable("Prompt", prompt)]));
  const byTemplate = new Map<string, Completable>();
  for (const resource of resources) if (isTemplate(resource)) byTemplate.set(resource.uriTemplate, completable("Resource template", resource));
  const fixedUris = new Set(resources.flatMap((resource) => (isTemplate(resource) ? [] : [resource.uri])));

  server.server.setRequestHandler("completion/complete", async (request, ctx) => {
    const params = request.params as CompleteParams;
    const target = params.ref.type === "ref/prompt" ? byPrompt.get(params.ref.name ?? "") : byTemplate.get(params.ref.uri ?? "");
    if (target === undefined) {
      // A fixed resource has nothing to complete (what the SDK answers too).
      if (params.ref.type === "ref/resource" && fixedUris.has(params.ref.uri ?? "")) return emptyCompletion();
      const what = params.ref.type === "ref/prompt" ? `Prompt ${params.ref.name}` : `Resource template ${params.ref.uri}`;
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${what} not found`);
    }
    return complete(target, params, ctx, auth, environment);
  });
}

async function complete(target: Completable, params: CompleteParams, ctx: ServerContext, auth: ServerAuth, environment: ToolCallEnvironment): Promise<CompleteResult> {
  const completer = target.complete?.[params.argument.name];
  if (completer === undefined) return emptyCompletion();
  const missingScopes = shortfallOf(target.requires, validatedTokenOf(ctx.http?.authInfo))?.scopes ?? [];
  if (missingScopes.length > 0) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `${target.kind} ${target.name} needs the scope${missingScopes.length > 1 ? "s" : ""} ${missingScopes.join(", ")}; using it asks you to sign in for it.`);
  }
  const invocation: Invocation = { kind: target.kind, name: target.name, needs: target.needs, requires: target.requires, timeoutMs: Math.min(target.timeoutMs ?? COMPLETION_TIMEOUT_MS, COMPLETION_TIMEOUT_MS) };
  const values = await invoke(invocation, ctx, auth, environment, (context) => completer(params.argument.value, { ...context, arguments: params.context?.arguments ?? {} }));
  const unique = [...new Set(values.filter((value) => typeof value === "string"))];
  return { completion: { values: unique.slice(0, MAX_VALUES), total: unique.length, hasMore: unique.length > MAX_VALUES } };
}

function emptyCompletion(): CompleteResult {
  return { completion: { values: [], total: 0, hasMore: false } };
}
