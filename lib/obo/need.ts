/**
 * The needs that reach beyond this API: `obo(scopes)` (a downstream token as
 * the signed-in user), `appToken(scopes)` (a downstream token as this server
 * itself) and `msal()` (the shared MSAL client application).
 */
import type { ConfidentialClientApplication } from "@azure/msal-node";
import { NeedError, requireToken, requireUser, type Need, type NeedContext } from "../mcp/needs.js";
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
      const user = requireUser(context, `a token for ${scopes.join(" ")} on behalf of the signed-in user`);
      return downstreamToken(await services.onBehalfOf.exchange(user, scopes, context.signal), scopes, context.signal);
    },
  };
}

/**
 * A token for a downstream API as this server itself: the client
 * credentials grant with the kit's own app credential (the managed identity
 * federated credential in Azure; no secret). For tools that act as the
 * service, whoever calls them: app-only callers (daemons, agents; see
 * APP_CALLERS) have no user to act for. The app registration needs
 * application permissions (app roles) on that API, which an administrator
 * grants.
 *
 * `scopes` is one `<resource>/.default`, the only form client credentials take.
 *
 * @example
 * needs: { orders: appToken(["api://contoso-orders/.default"]) },
 * async run(_args, { orders }) { return (await orders.fetch(`${ordersUrl}/summary`)).json(); }
 */
export function appToken(scopes: readonly string[]): Need<DownstreamToken> {
  const describe = `appToken(${JSON.stringify(scopes)})`;
  if (scopes.length !== 1 || !/^(?:https?|api):\/\/[^\s]+\/\.default$/.test(scopes[0]!)) {
    throw new ToolDefinitionError(describe, 'appToken() takes one scope of the form "<resource>/.default", e.g. "api://contoso-orders/.default": client credentials carry the permissions granted to the app, not named scopes');
  }
  const scope = scopes[0]!;
  return {
    describe,
    async resolve(context) {
      const services = requireServices(context, `a token for ${scope}`);
      return downstreamToken(await services.appTokens.acquire(scope, requireToken(context, `a token for ${scope}`), context.signal), scopes, context.signal);
    },
  };
}

/** A token ready to use, its `fetch` bound to the call's signal. */
function downstreamToken(issued: { accessToken: string; expiresOn: Date }, scopes: readonly string[], callSignal: AbortSignal): DownstreamToken {
  return {
    token: issued.accessToken,
    expiresOn: issued.expiresOn,
    scopes,
    fetch(input, init = {}) {
      const headers = new Headers(init.headers);
      headers.set("Authorization", `Bearer ${issued.accessToken}`);
      // The tool's own signal never replaces the call's: a request must not outlive the call that made it.
      const signal = AbortSignal.any([callSignal, init.signal ?? AbortSignal.timeout(DOWNSTREAM_TIMEOUT_MS)]);
      return traceDownstreamFetch(input, { ...init, headers, signal });
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
