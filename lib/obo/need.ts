/**
 * The needs that reach beyond this API: `obo(scopes)` (a downstream token as
 * the signed-in user) and `msal()` (the shared MSAL client application).
 */
import type { ConfidentialClientApplication } from "@azure/msal-node";
import { NeedError, type Need, type NeedContext } from "../mcp/needs.js";
import { ToolDefinitionError } from "../mcp/tool.js";
import { traceDownstreamFetch } from "../telemetry/index.js";

/** A downstream token, ready to use. */
export interface DownstreamToken {
  /** The access token for the downstream API. Never log it, never return it to the client. */
  readonly token: string;
  readonly expiresOn: Date;
  readonly scopes: readonly string[];
  /**
   * `fetch` with `Authorization: Bearer <token>` added and the tool call's
   * abort signal applied (the call's deadline, the client going away), plus
   * `init.signal` when given, else a 30-second timeout.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

const DOWNSTREAM_TIMEOUT_MS = 30_000;

function requireServices(context: NeedContext, what: string): NonNullable<NeedContext["services"]> {
  if (context.token === undefined || context.services === undefined) {
    throw new NeedError(`This tool needs ${what}, but the server runs without sign-in (AUTH_MODE=none).`);
  }
  return context.services;
}

/**
 * A token for a downstream API, On-Behalf-Of the signed-in user.
 *
 * All scopes must belong to one resource, in full form:
 * `obo(["https://graph.microsoft.com/User.Read"])`, `obo(["api://contoso-orders/Orders.Read"])`.
 *
 * @example
 * needs: { graph: obo(["https://graph.microsoft.com/User.Read"]) },
 * async run(_args, { graph }) { return (await graph.fetch("https://graph.microsoft.com/v1.0/me")).json(); }
 */
export function obo(scopes: readonly string[]): Need<DownstreamToken> {
  const describe = `obo(${JSON.stringify(scopes)})`;
  checkScopes(scopes, describe);
  return {
    describe,
    downstreamScopes: [...scopes],
    async resolve(context) {
      const services = requireServices(context, `a token for ${scopes.join(" ")}`);
      const exchanged = await services.onBehalfOf.exchange(context.token!, scopes, context.signal);
      return {
        token: exchanged.accessToken,
        expiresOn: exchanged.expiresOn,
        scopes,
        fetch(input, init = {}) {
          const headers = new Headers(init.headers);
          headers.set("Authorization", `Bearer ${exchanged.accessToken}`);
          // The tool's own signal never replaces the call's: a request must not outlive the call that made it.
          const signal = AbortSignal.any([context.signal, init.signal ?? AbortSignal.timeout(DOWNSTREAM_TIMEOUT_MS)]);
          return traceDownstreamFetch(input, { ...init, headers, signal });
        },
      };
    },
  };
}

/**
 * The process's shared MSAL `ConfidentialClientApplication`, configured with
 * this app's credential and authority, for flows the kit does not wrap. Its
 * token cache is bounded by the kit.
 */
export function msal(): Need<ConfidentialClientApplication> {
  return {
    describe: "msal()",
    async resolve(context) {
      return (await requireServices(context, "the MSAL client application").msalClient()) as ConfidentialClientApplication;
    },
  };
}

function checkScopes(scopes: readonly string[], describe: string): void {
  if (scopes.length === 0) throw new ToolDefinitionError(describe, "obo() needs at least one scope");
  const resources = new Set<string>();
  for (const scope of scopes) {
    const match = /^((?:https?|api):\/\/[^\s]+)\/([^/\s]+)$/.exec(scope);
    if (match === null) {
      throw new ToolDefinitionError(describe, `scope ${JSON.stringify(scope)} must be in full form, e.g. https://graph.microsoft.com/User.Read`);
    }
    resources.add(match[1]!.toLowerCase());
  }
  if (resources.size > 1) {
    throw new ToolDefinitionError(describe, `all scopes of one obo() must belong to one API (Entra issues a token for one resource at a time); declare one obo() per API`);
  }
}
