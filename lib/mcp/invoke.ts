/**
 * Running a resource, prompt or completion handler the way tools run: needs
 * resolved first, a deadline and an abort signal, and every failure turned
 * into a JSON-RPC error a client can show.
 *
 * - A user-facing error (`ResourceError`, `PromptError`, `ToolError`, a need
 *   that cannot be met) keeps its message.
 * - Anything else is logged in full and answered with a reference id, never
 *   a stack trace or an internal message.
 * - A need that found the caller's token refused by Entra, or that wants
 *   more consent from the user, tells the endpoint (lib/mcp/challenges.ts),
 *   which answers 401 so the client refreshes, or 403 so it steps up.
 */
import { randomUUID } from "node:crypto";
import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, type ServerContext } from "@modelcontextprotocol/server";
import { withDeadline } from "../abort.js";
import { isAppOnly } from "../auth/caller.js";
import { validatedTokenOf } from "../auth/gate.js";
import type { Logger } from "../log.js";
import { reportAuthorizationFailure } from "./challenges.js";
import { NeedError, resolveNeeds, type Needs } from "./needs.js";
import { PromptError } from "./prompt.js";
import { missingRoleMessage, shortfallOf, type Requirements } from "./requirements.js";
import { ResourceError, ResourceNotFound } from "./resource.js";
import type { ServerAuth, ToolCallEnvironment } from "./server.js";
import { ToolError } from "./tool.js";

/** How long a resource read or a prompt may run unless it says otherwise (the tools' default). */
export const DEFAULT_HANDLER_TIMEOUT_MS = 60_000;

/** What is being run, for logs and messages. */
export interface Invocation {
  /** "Resource", "Resource template", "Prompt": the start of every message about it. */
  readonly kind: string;
  readonly name: string;
  readonly needs: Needs | undefined;
  readonly requires: Requirements | undefined;
  readonly timeoutMs: number;
  /** The URI of a resource read, for "resource not found". */
  readonly uri?: string;
}

/** The base context every handler gets. */
export interface HandlerBase {
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/**
 * Runs `handler` for one request: refuses a caller lacking an app role (a
 * missing scope never gets here: the SDK's scope challenge answers it with a
 * 403 first), runs `checkInput` (its ProtocolError goes to the client as
 * is; no need has been resolved yet), resolves the needs, and applies the
 * deadline. The handler gets what `checkInput` returned.
 *
 * @throws ProtocolError for every failure, ready for the wire.
 */
export async function invoke<T, I = undefined>(
  invocation: Invocation,
  ctx: ServerContext,
  auth: ServerAuth,
  environment: ToolCallEnvironment,
  handler: (context: HandlerBase & Record<string, unknown>, input: I) => Promise<T>,
  checkInput?: () => I,
): Promise<T> {
  const log = environment.log.child({ [invocation.kind === "Prompt" ? "prompt" : "resource"]: invocation.name });
  const token = validatedTokenOf(ctx.http?.authInfo);
  if (token !== undefined && auth.appCallers !== undefined && isAppOnly(token) && !auth.appCallers.mayCall(token, invocation.requires?.roles ?? [])) {
    // The app-only rule of the tools (lib/auth/app-callers.ts): an unlisted app is let in only for what requires its roles.
    log.info("mcp.refused", { reason: "app-only caller not listed" });
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `App-only tokens are not accepted from this application for ${invocation.kind.toLowerCase()} ${invocation.name}: sign in as a user, or ask the operator to list the application in APP_CALLERS.`);
  }
  const refusal = missingRoleMessage(`This ${invocation.kind.toLowerCase()}`, shortfallOf(invocation.requires, token));
  if (refusal !== undefined) {
    log.info("mcp.refused", { reason: "app role missing" });
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, refusal);
  }
  const input = checkInput?.() as I;
  try {
    return await withDeadline(
      invocation.timeoutMs,
      () => new ToolError(`${invocation.kind} ${invocation.name} did not finish within ${durationText(invocation.timeoutMs)} and was stopped.`),
      async (signal) => {
        const needs = await resolveNeeds(invocation.needs ?? {}, { token, authMode: auth.mode, log, signal, services: auth.services, ...(auth.secrets === undefined ? {} : { secrets: auth.secrets }) });
        return handler({ ...needs, log, signal }, input);
      },
      ctx.mcpReq.signal,
    );
  } catch (error) {
    throw wireError(invocation, log, environment, error);
  }
}

function durationText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} seconds`;
}

/** The JSON-RPC error for a handler's failure; logs it as the tools' failures are logged. */
export function wireError(invocation: Invocation, log: Logger, environment: ToolCallEnvironment, error: unknown): ProtocolError {
  reportToEndpoint(environment, invocation, error);
  if (error instanceof ProtocolError) return error;
  if (error instanceof ResourceNotFound && invocation.uri !== undefined) {
    log.info("mcp.not_found", { message: error.message });
    return new ResourceNotFoundError(invocation.uri, error.message);
  }
  if (isUserFacing(error)) {
    log.info("mcp.error", { message: error.message });
    return new ProtocolError(ProtocolErrorCode.InternalError, error.message);
  }
  const reference = randomUUID().slice(0, 8);
  log.error("mcp.failed", { reference, error });
  return new ProtocolError(ProtocolErrorCode.InternalError, `${invocation.kind} ${invocation.name} failed unexpectedly (reference ${reference}). The server log has the details.`);
}

/** Errors whose message is written for the user: the kit's own error classes and unmet needs. */
function isUserFacing(error: unknown): error is Error {
  return error instanceof ResourceError || error instanceof PromptError || error instanceof ToolError || error instanceof NeedError;
}

/**
 * Tells the endpoint about failures it answers itself rather than as a
 * JSON-RPC error: a token Entra refused (401, so the client refreshes) and
 * a need wanting more consent or a claims challenge (403 step-up, naming
 * the item's required and downstream scopes).
 */
function reportToEndpoint(environment: ToolCallEnvironment, invocation: Invocation, error: unknown): void {
  const downstreamScopes = [...new Set(Object.values(invocation.needs ?? {}).flatMap((need) => need.downstreamScopes ?? []))];
  reportAuthorizationFailure(environment, error, { requiredScopes: invocation.requires?.scopes ?? [], downstreamScopes });
}

/**
 * Refuses a result larger than `maxBytes` (measured as the JSON the client
 * receives), so one read cannot flood the client, the model's context or the
 * instance's memory.
 *
 * @throws ToolError naming the size and the limit.
 */
export function checkSize(invocation: Invocation, log: Logger, result: unknown, maxBytes: number): void {
  const bytes = Buffer.byteLength(JSON.stringify(result));
  if (bytes <= maxBytes) return;
  log.warn("mcp.result_too_large", { bytes, maxBytes });
  throw new ToolError(`${invocation.kind} ${invocation.name} produced ${bytes} bytes, more than its limit of ${maxBytes} bytes (maxBytes); nothing was sent.`);
}
