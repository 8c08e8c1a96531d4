/**
 * Scope handling of the facade, one rule per function (the lessons of
 * fastmcp#3013, #4467 and #2447, where scope handling spread over many places
 * went wrong in many ways).
 *
 * Clients speak short scope names (`mcp.access`), as the protected resource
 * metadata advertises; Entra needs full ones (`api://<client id>/mcp.access`).
 *
 * - At /authorize the user consents once to everything: the API scopes, the
 *   OpenID scopes that give a refresh token, and the downstream scopes the
 *   tools declare for On-Behalf-Of.
 * - At code redemption and refresh only the API scopes and OpenID scopes are
 *   asked for: a token request may name only one resource, and the access
 *   token the client gets must be for this API.
 * - A client that asks for nothing gets the base scope.
 * - Scopes are reported back in the short form the client asked for.
 */

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

/**
 * The API scopes a client asked for, in short form, in the order given.
 * Accepts short names and full names of this API; OpenID scopes are allowed
 * and dropped (the facade asks Entra for them itself).
 * @throws InvalidScopeError for any other scope
 */
export function requestedApiScopes(scopeParameter: string | undefined, api: ApiScopeSet): string[] {
  const requested = (scopeParameter ?? "").split(" ").filter((scope) => scope !== "");
  const names: string[] = [];
  for (const scope of requested) {
    if (CLIENT_OIDC_SCOPES.has(scope)) continue;
    const short = scope.startsWith(`${api.identifierUri}/`) ? scope.slice(api.identifierUri.length + 1) : scope;
    if (!api.names.includes(short)) throw new InvalidScopeError(`Unknown scope ${JSON.stringify(scope)}; this server offers ${api.names.join(", ")}.`);
    if (!names.includes(short)) names.push(short);
  }
  return names.length === 0 ? [api.names[0]] : names;
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
export function refreshedApiScopes(scopeParameter: string | undefined, granted: readonly string[], api: ApiScopeSet): string[] {
  if (scopeParameter === undefined || scopeParameter.trim() === "") return [...granted];
  const asked = requestedApiScopes(scopeParameter, api);
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
