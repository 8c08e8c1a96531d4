/**
 * An operation's security requirement as the kit meets it:
 *
 * - OAuth2 or OpenID Connect: an `obo()` need for the requirement's scopes,
 *   in full form (`api://contoso-orders/Orders.Read`). A short scope name is
 *   qualified with the API's identifier URI: `scopes.resource`, or else the
 *   resource of the scheme's own scopes when they are written in full form,
 *   as Entra-protected APIs usually publish them. A requirement naming no
 *   scopes (and an `http` `bearer` scheme, which cannot name any) takes
 *   `scopes.default`.
 * - `apiKey` (header, query or cookie): a `secret(name)` need; the secret is
 *   named by `apiKeySecrets[scheme]`, else after the scheme.
 * - No requirement (or an empty alternative `{}`): no credential at all.
 *
 * Of several alternatives, one with the user's identity (OAuth2 / OpenID)
 * wins, then an API key, then anonymous, each in document order. The
 * caller's own token is never one of the choices.
 */
import { OpenApiError } from "./document.js";

/** An API key to send, from a secret. */
export interface ApiKeyPlan {
  readonly scheme: string;
  readonly in: "header" | "query" | "cookie";
  /** Header, query parameter or cookie name. */
  readonly name: string;
  readonly secretName: string;
}

/** What an operation sends to prove who calls. */
export interface AuthPlan {
  /** Full-form scopes of one API for the On-Behalf-Of token; absent: no bearer token. */
  readonly scopes: readonly string[] | undefined;
  readonly apiKeys: readonly ApiKeyPlan[];
}

/** How the document's scopes map to Entra (the `scopes` option of openApiTools). */
export interface ScopeOptions {
  /** The API's identifier URI (Application ID URI) that short scope names are qualified with: `api://contoso-orders`. */
  readonly resource?: string;
  /** Scopes (short or full form) for operations whose requirement names none, or whose scheme is `http` `bearer`. */
  readonly default?: readonly string[];
}

/** Context for {@link authPlanOf}. */
export interface AuthContext {
  readonly label: string;
  readonly document: Record<string, unknown>;
  readonly scopes: ScopeOptions | undefined;
  readonly apiKeySecrets: Readonly<Record<string, string>> | undefined;
}

const FULL_SCOPE = /^((?:https?|api):\/\/[^\s]+)\/([^/\s]+)$/;

/**
 * The credentials an operation needs.
 * @throws OpenApiError when no alternative can be met, naming the document and the operation
 */
export function authPlanOf(operation: Record<string, unknown>, context: AuthContext, operationLabel: string): AuthPlan {
  const requirements = operation["security"] ?? context.document["security"] ?? [];
  if (!Array.isArray(requirements)) throw new OpenApiError(context.label, "security must be a list of requirements", operationLabel);
  if (requirements.length === 0) return { scopes: undefined, apiKeys: [] };
  const problems: string[] = [];
  const candidates: Array<{ rank: number; plan: AuthPlan }> = [];
  for (const requirement of requirements) {
    try {
      candidates.push(planOf(requirement, context));
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
      problems.push(error.message);
    }
  }
  const best = candidates.sort((a, b) => a.rank - b.rank)[0];
  if (best === undefined) throw new OpenApiError(context.label, `no security requirement can be met: ${problems.join("; ")}`, operationLabel);
  return best.plan;
}

class Unsupported extends Error {}

function planOf(requirement: unknown, context: AuthContext): { rank: number; plan: AuthPlan } {
  if (typeof requirement !== "object" || requirement === null) throw new Unsupported("a security requirement must be an object");
  const entries = Object.entries(requirement as Record<string, unknown>);
  if (entries.length === 0) return { rank: 2, plan: { scopes: undefined, apiKeys: [] } };
  const schemes = ((context.document["components"] as Record<string, unknown> | undefined)?.["securitySchemes"] ?? {}) as Record<string, unknown>;
  let scopes: string[] | undefined;
  const apiKeys: ApiKeyPlan[] = [];
  for (const [name, wanted] of entries) {
    const scheme = schemes[name] as Record<string, unknown> | undefined;
    if (scheme === undefined) throw new Unsupported(`the security scheme ${JSON.stringify(name)} is not defined`);
    const type = scheme["type"];
    if (type === "oauth2" || type === "openIdConnect" || (type === "http" && String(scheme["scheme"]).toLowerCase() === "bearer")) {
      if (scopes !== undefined) throw new Unsupported(`the requirement combines two bearer schemes (${name} and another); a request carries one token`);
      const listed = Array.isArray(wanted) ? wanted.filter((scope): scope is string => typeof scope === "string") : [];
      scopes = fullScopes(listed.length > 0 ? listed : [...(context.scopes?.default ?? [])], scheme, name, context);
    } else if (type === "apiKey") {
      const where = scheme["in"];
      if (where !== "header" && where !== "query" && where !== "cookie") throw new Unsupported(`the apiKey scheme ${JSON.stringify(name)} is sent "in" ${JSON.stringify(where)}`);
      if (typeof scheme["name"] !== "string" || scheme["name"] === "") throw new Unsupported(`the apiKey scheme ${JSON.stringify(name)} has no name`);
      apiKeys.push({ scheme: name, in: where, name: scheme["name"], secretName: context.apiKeySecrets?.[name] ?? secretNameFor(name) });
    } else {
      const what = type === "http" ? `http ${String(scheme["scheme"])}` : String(type);
      throw new Unsupported(`the scheme ${JSON.stringify(name)} is ${what}, which the kit does not send (it sends On-Behalf-Of tokens for oauth2, openIdConnect and http bearer, and API keys from secrets)`);
    }
  }
  return { rank: scopes !== undefined ? 0 : 1, plan: { scopes, apiKeys } };
}

/** Scopes in full form, of one API. */
function fullScopes(scopes: readonly string[], scheme: Record<string, unknown>, name: string, context: AuthContext): string[] {
  if (scopes.length === 0) {
    throw new Unsupported(`the scheme ${JSON.stringify(name)} names no scopes for this operation; give scopes.default (the scopes of the API to ask Entra for)`);
  }
  const resource = context.scopes?.resource?.replace(/\/+$/, "") ?? resourceOfScheme(scheme);
  return scopes.map((scope) => {
    if (FULL_SCOPE.test(scope)) return scope;
    if (resource === undefined) {
      throw new Unsupported(`the scope ${JSON.stringify(scope)} is a short name and the API's identifier URI is unknown; give scopes.resource (e.g. "api://contoso-orders")`);
    }
    return `${resource}/${scope}`;
  });
}

/** The one resource the scheme's own scopes are written under, when they are in full form. */
function resourceOfScheme(scheme: Record<string, unknown>): string | undefined {
  const resources = new Set<string>();
  const flows = (scheme["flows"] ?? {}) as Record<string, { scopes?: Record<string, unknown> } | undefined>;
  for (const flow of Object.values(flows)) {
    for (const scope of Object.keys(flow?.scopes ?? {})) {
      const match = FULL_SCOPE.exec(scope);
      if (match !== null) resources.add(match[1]!);
    }
  }
  return resources.size === 1 ? [...resources][0] : undefined;
}

/** A Key Vault secret name for a scheme: letters, digits and dashes. */
function secretNameFor(scheme: string): string {
  return (
    scheme
      .replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 127) || "api-key"
  );
}
