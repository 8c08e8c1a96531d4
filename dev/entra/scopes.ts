/**
 * Scope strings the way Entra's v2 endpoint reads them: OIDC scopes
 * (`openid profile email offline_access`), resource-qualified scopes
 * (`api://<id>/mcp.access`, `<clientId>/.default`,
 * `https://graph.microsoft.com/User.Read`) and bare names, which mean Graph.
 */
import { aadsts } from "./errors.js";
import { GRAPH_APP_ID, GRAPH_RESOURCE, type Application, type Directory } from "./directory.js";

export const OIDC_SCOPES: ReadonlySet<string> = new Set(["openid", "profile", "email", "offline_access"]);

/** Scopes asked of one resource. */
export interface ResourceScopes {
  readonly app: Application;
  /** The identifier the client used for the resource (identifier URI or client id). */
  readonly requestedAs: string;
  /** Scope names without the resource prefix, in the resource's own spelling; `.default` stays. */
  readonly names: readonly string[];
}

export interface ParsedScopes {
  /** Every scope as sent. */
  readonly raw: readonly string[];
  /** The OIDC scopes among them. */
  readonly oidc: ReadonlySet<string>;
  /** One entry per resource, in order of first appearance. */
  readonly resources: readonly ResourceScopes[];
}

/**
 * Parses and checks a `scope` parameter for `tenantId`.
 *
 * Throws an {@link EntraError}: AADSTS900144 (missing), AADSTS500011 (unknown
 * resource), AADSTS650053 (scope the resource does not expose), AADSTS70011
 * (`.default` mixed with named scopes of the same resource).
 */
export function parseScopes(scope: string | undefined, directory: Directory, tenantId: string, client: Application): ParsedScopes {
  const raw = (scope ?? "").split(/\s+/).filter((item) => item !== "");
  if (raw.length === 0) throw aadsts.scopeMissing();
  const oidc = new Set<string>();
  const grouped = new Map<string, { app: Application; requestedAs: string; names: string[] }>();

  for (const item of raw) {
    if (OIDC_SCOPES.has(item.toLowerCase())) {
      oidc.add(item.toLowerCase());
      continue;
    }
    const slash = item.lastIndexOf("/");
    const requestedAs = slash === -1 ? GRAPH_RESOURCE : item.slice(0, slash);
    const name = slash === -1 ? item : item.slice(slash + 1);
    if (name === "" || requestedAs === "") throw aadsts.scopeInvalid(item);
    const app = directory.resource(requestedAs);
    if (app === undefined || !directory.visibleIn(app, tenantId)) throw aadsts.resourceNotFound(requestedAs, tenantId);

    let canonical: string;
    if (name === ".default") canonical = ".default";
    else {
      const match = [...app.scopes].find((exposed) => exposed.toLowerCase() === name.toLowerCase());
      if (match === undefined) throw aadsts.scopeNotOnResource(client.displayName, name, app.clientId);
      canonical = match;
    }
    const entry = grouped.get(app.clientId) ?? { app, requestedAs, names: [] };
    if (!entry.names.includes(canonical)) entry.names.push(canonical);
    grouped.set(app.clientId, entry);
  }

  for (const entry of grouped.values()) {
    if (entry.names.includes(".default") && entry.names.length > 1) throw aadsts.scopeInvalid(raw.join(" "));
  }
  return { raw, oidc, resources: [...grouped.values()] };
}

/**
 * The one resource a token request is for. Entra issues a token for a single
 * resource: more than one is AADSTS28000; OIDC scopes alone mean Graph.
 */
export function singleResource(parsed: ParsedScopes, directory: Directory): ResourceScopes {
  if (parsed.resources.length > 1) throw aadsts.scopeMultipleResources(parsed.raw.join(" "));
  const only = parsed.resources[0];
  if (only !== undefined) return only;
  return { app: directory.application(GRAPH_APP_ID)!, requestedAs: GRAPH_RESOURCE, names: [] };
}

/** `resource` qualified scope strings, as Entra reports them in a token response's `scope`. */
export function qualifiedScopes(resource: ResourceScopes, names: readonly string[]): string[] {
  const prefix = resource.requestedAs.replace(/\/+$/, "");
  return names.map((name) => `${prefix}/${name}`);
}
