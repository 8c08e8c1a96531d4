/**
 * Scope handling of the facade, one rule per function (the lessons of
 * fastmcp#3013, #4467 and #2447, where scope handling spread over many places
 * went wrong in many ways).
 *
 * Clients speak short scope names (`mcp.access`), as the protected resource
 * metadata advertises; Entra needs full ones (`api://<client id>/mcp.access`).
 *
 * - At /authorize: the API scopes, the OpenID scopes that give a refresh
 *   token, and downstream scopes for On-Behalf-Of: every one the tools
 *   declare (CONSENT=upfront, so the user consents once), or only those the
 *   client asked for, as named in a step-up challenge (CONSENT=incremental).
 *   A claims challenge the client carried goes to Entra as `claims`.
 * - At code redemption and refresh only the API scopes and OpenID scopes are
 *   asked for: a token request may name only one resource, and the access
 *   token the client gets must be for this API.
 * - A client that asks for nothing gets the base scope.
 * - Scopes are reported back in the short form the client asked for.
 */

import type { ConsentTiming } from "../config.js";
import { CLAIMS_SCOPE_PREFIX, claimsOfScope, DownstreamScopeNames } from "../auth/downstream-scopes.js";

/** OpenID scopes requested from Entra: sign-in plus a refresh token. */
export const OIDC_SCOPES = ["openid", "profile", "offline_access"] as const;

/** Scopes a client may add that the facade itself handles (never API scopes). */
const CLIENT_OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

export class InvalidScopeError extends Error {
  readonly code = "INVALID_SCOPE";
  constructor(message: string) {
    super(message);
    this.name = "InvalidScopeError";
  }
}

/** The API as the scope rules see it. */
export interface ApiScopeSet {
  /** Application ID URI, e.g. api://<client id>. */
  readonly identifierUri: string;
  /** Short names, the first being the base scope. */
  readonly names: readonly [string, ...string[]];
}

/** What a client asked for. */
export interface RequestedScopes {
  /** API scope names, short form, in the order given; the base scope when none was named. */
  readonly api: string[];
  /** Declared downstream scopes the client named (full form), as a step-up challenge names them. */
  readonly downstream: string[];
  /** The claims challenge the client carried from a step-up challenge (JSON), if any. */
  readonly claims?: string;
}

const NO_DOWNSTREAM = new DownstreamScopeNames([]);

/**
 * What a `scope` parameter asks for: API scopes (short or full names of this
 * API), declared downstream scopes (either form, see lib/auth/downstream-scopes.ts),
 * and at most one `claims:` token. OpenID scopes are allowed and dropped (the
 * facade asks Entra for them itself).
 * @throws InvalidScopeError for any other scope, or a malformed claims token
 */
export function requestedScopes(scopeParameter: string | undefined, api: ApiScopeSet, downstream: DownstreamScopeNames = NO_DOWNSTREAM): RequestedScopes {
  const requested = (scopeParameter ?? "").split(" ").filter((scope) => scope !== "");
  const names: string[] = [];
  const downstreamAsked: string[] = [];
  let claims: string | undefined;
  for (const scope of requested) {
    if (CLIENT_OIDC_SCOPES.has(scope)) continue;
    if (scope.startsWith(CLAIMS_SCOPE_PREFIX)) {
      claims = claimsOf(scope, claims);
      continue;
    }
    const short = scope.startsWith(`${api.identifierUri}/`) ? scope.slice(api.identifierUri.length + 1) : scope;
    const full = api.names.includes(short) ? undefined : downstream.fullForm(scope);
    if (full !== undefined) {
      if (!downstreamAsked.includes(full)) downstreamAsked.push(full);
      continue;
    }
    if (!api.names.includes(short)) throw new InvalidScopeError(`Unknown scope ${JSON.stringify(scope)}; this server offers ${[...api.names, ...downstream.declared.map((name) => downstream.clientForm(name))].join(", ")}.`);
    if (!names.includes(short)) names.push(short);
  }
  return { api: names.length === 0 ? [api.names[0]] : names, downstream: downstreamAsked, ...(claims === undefined ? {} : { claims }) };
}

function claimsOf(scope: string, already: string | undefined): string {
  if (already !== undefined) throw new InvalidScopeError("At most one claims challenge may be asked for.");
  try {
    return claimsOfScope(scope);
  } catch {
    throw new InvalidScopeError("The claims challenge in the scope is malformed; ask again with the scope of the server's challenge.");
  }
}

/**
 * The API scopes a client asked for, in short form, in the order given.
 * Accepts short names and full names of this API; OpenID scopes are allowed
 * and dropped (the facade asks Entra for them itself).
 * @throws InvalidScopeError for any other scope
 */
export function requestedApiScopes(scopeParameter: string | undefined, api: ApiScopeSet): string[] {
  return requestedScopes(scopeParameter, api).api;
}

/**
 * The downstream scopes to ask Entra for at /authorize: every declared one
 * (upfront), or those the client asked for (incremental). Either way the
 * client's request is honoured, since it asked for nothing undeclared.
 */
export function downstreamScopesToAsk(consent: ConsentTiming, declared: readonly string[], asked: readonly string[]): string[] {
  return consent === "upfront" ? unique([...declared, ...asked]) : unique([...asked]);
}

/** Full Entra form of API scope names. */
function entraApiScopes(names: readonly string[], api: ApiScopeSet): string[] {
  return names.map((name) => `${api.identifierUri}/${name}`);
}

/** Scopes sent to Entra's /authorize: API + OpenID + every downstream scope the tools declare. */
export function authorizeScopes(names: readonly string[], api: ApiScopeSet, downstream: readonly string[]): string[] {
  return unique([...entraApiScopes(names, api), ...OIDC_SCOPES, ...downstream]);
}

/** Scopes sent to Entra when redeeming a code: API + OpenID only. */
export function redemptionScopes(names: readonly string[], api: ApiScopeSet): string[] {
  return unique([...entraApiScopes(names, api), ...OIDC_SCOPES]);
}

/** Scopes sent to Entra on refresh: the same as on redemption. */
export function refreshScopes(names: readonly string[], api: ApiScopeSet): string[] {
  return redemptionScopes(names, api);
}

/**
 * The scope a refresh may ask for: a subset of what was granted, or all of it.
 * @throws InvalidScopeError when it asks for more
 */
export function refreshedApiScopes(scopeParameter: string | undefined, granted: readonly string[], api: ApiScopeSet, downstream: DownstreamScopeNames = NO_DOWNSTREAM): string[] {
  if (scopeParameter === undefined || scopeParameter.trim() === "") return [...granted];
  // Downstream scopes and claims a client repeats are not this token's to narrow or widen: consent to them was given at sign-in.
  const asked = requestedScopes(scopeParameter, api, downstream).api;
  const extra = asked.filter((name) => !granted.includes(name));
  if (extra.length > 0) throw new InvalidScopeError(`A refresh cannot add scopes that were not granted: ${extra.join(", ")}.`);
  return asked;
}

/** The `scope` value returned to the client: short names, space-separated. */
export function reportedScope(names: readonly string[]): string {
  return names.join(" ");
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
