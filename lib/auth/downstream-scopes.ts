/**
 * How MCP clients name the downstream scopes the tools declare, and how a
 * pending Conditional Access claims challenge travels with them.
 *
 * An MCP client knows one resource: this server. When a tool needs the
 * user's consent to a downstream API (`https://graph.microsoft.com/User.Read`
 * for an `obo()` need), the step-up challenge names that scope in a form the
 * client asks this server's authorization server (the facade, proxy mode)
 * for, and the facade maps it back to Entra's full form:
 *
 * - the short form is the scope's own name (`User.Read`) when it is
 *   unambiguous: no other declared scope has the same name, and it is not
 *   one of this API's scope names or an OpenID scope; otherwise the full form;
 * - the facade accepts both forms of a declared scope and nothing else, so a
 *   client cannot have users consent to a scope no tool uses.
 *
 * A claims challenge (AADSTS50076/50079: MFA, a compliant device) rides along
 * as one more scope token, `claims:<base64url of the claims JSON>`. The
 * client copies the challenge's scopes into its next authorization request,
 * so whichever instance serves that request can pass the claims to Entra,
 * whichever instance met the challenge; and because the token is one the
 * client's current grant lacks, spec-following clients re-authorize instead
 * of refreshing (a refresh cannot answer a claims challenge).
 */

/** OpenID scopes the facade handles itself; a downstream scope of that name keeps its full form. */
const OIDC_NAMES = new Set(["openid", "profile", "email", "offline_access"]);

/** Scope tokens carrying a claims challenge start with this. */
export const CLAIMS_SCOPE_PREFIX = "claims:";

/** The largest claims challenge carried (JSON characters); Entra's are a few hundred. */
const MAX_CLAIMS_LENGTH = 2048;

/** Top-level members of a claims request (OpenID Connect Core 5.5). */
const CLAIMS_MEMBERS = new Set(["access_token", "id_token", "userinfo"]);

/** The declared downstream scopes and their client forms. */
export class DownstreamScopeNames {
  /** Every declared scope, full form, in declaration order. */
  readonly declared: readonly string[];
  private readonly toClient = new Map<string, string>();
  private readonly toFull = new Map<string, string>();

  /**
   * @param declared downstream scopes in full form (`https://graph.microsoft.com/User.Read`), as the tools declare them
   * @param apiNames this API's own scope names, which a short form must not shadow
   */
  constructor(declared: readonly string[], apiNames: readonly string[] = []) {
    this.declared = [...new Set(declared)];
    const nameCounts = new Map<string, number>();
    for (const scope of this.declared) nameCounts.set(ownName(scope).toLowerCase(), (nameCounts.get(ownName(scope).toLowerCase()) ?? 0) + 1);
    const reserved = new Set([...apiNames.map((name) => name.toLowerCase()), ...OIDC_NAMES]);
    for (const scope of this.declared) {
      const name = ownName(scope);
      const unambiguous = nameCounts.get(name.toLowerCase()) === 1 && !reserved.has(name.toLowerCase());
      const clientForm = unambiguous ? name : scope;
      this.toClient.set(scope.toLowerCase(), clientForm);
      this.toFull.set(scope.toLowerCase(), scope);
      this.toFull.set(clientForm.toLowerCase(), scope);
    }
  }

  /** The form clients see for a declared scope; undefined for a scope no tool declares. */
  clientForm(fullScope: string): string | undefined {
    return this.toClient.get(fullScope.toLowerCase());
  }

  /** The full form of a declared scope named in either form (case-insensitive, as Entra reads scopes); undefined for anything else. */
  fullForm(name: string): string | undefined {
    return this.toFull.get(name.toLowerCase());
  }
}

/** The part after the resource: `User.Read` of `https://graph.microsoft.com/User.Read`. */
function ownName(scope: string): string {
  return scope.slice(scope.lastIndexOf("/") + 1);
}

/** Whether `claims` is a claims request Entra could have sent: a JSON object of access_token / id_token / userinfo members, of bounded size. */
export function isClaimsRequest(claims: string): boolean {
  if (claims.length > MAX_CLAIMS_LENGTH) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(claims);
  } catch {
    return false;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return false;
  const members = Object.keys(parsed);
  return members.length > 0 && members.every((member) => CLAIMS_MEMBERS.has(member));
}

/** The scope token that carries `claims`; undefined when the challenge is not one that can travel (malformed or too large). */
export function claimsScope(claims: string): string | undefined {
  return isClaimsRequest(claims) ? `${CLAIMS_SCOPE_PREFIX}${Buffer.from(claims, "utf8").toString("base64url")}` : undefined;
}

/**
 * The claims JSON a `claims:` scope token carries.
 * @throws Error when the token is not a well-formed claims scope (the caller refuses the request)
 */
export function claimsOfScope(token: string): string {
  const encoded = token.slice(CLAIMS_SCOPE_PREFIX.length);
  const claims = /^[A-Za-z0-9_-]+$/.test(encoded) ? Buffer.from(encoded, "base64url").toString("utf8") : "";
  if (!token.startsWith(CLAIMS_SCOPE_PREFIX) || !isClaimsRequest(claims)) throw new Error("not a claims scope");
  return claims;
}
