/**
 * Startup checks of the declared remote servers, and RFC 9728 discovery of
 * the scopes of those that declare none.
 *
 * A server's protected resource metadata says which authorization server
 * its tokens come from and which scopes it knows. The kit can only call a
 * server On-Behalf-Of the user when that authorization server is this
 * tenant's Entra (the user's token can be exchanged for nothing else), so a
 * server naming another one stops the app at startup, naming the server.
 *
 * The metadata is read with the facade's SSRF-safe GET (lib/oauth/safe-fetch.ts):
 * a bounded size, one deadline for the whole exchange, no redirect
 * followed, TLS verified against the host name, the connection pinned to the
 * addresses checked. Only the declared server's own origin is ever fetched
 * (the well-known paths RFC 9728 derives from its URL); because the operator
 * named that host, it may resolve to a private address (a server inside the
 * virtual network), which a stranger's URL never may.
 */
import type { EntraSettings } from "../config.js";
import { isLoopbackHostname } from "../config.js";
import { PrivateHostAllowList, SafeFetchError, safeGet, systemLookup, type HostLookup } from "../oauth/safe-fetch.js";
import { RemoteServerError, withScopes, type RemoteServer } from "./remote-server.js";

/** What the checks need to know about the deployment. */
export interface RemoteServerEnvironment {
  /** The kit's Entra settings (tenant, allowed tenants, authority host); absent without sign-in. */
  readonly entra: EntraSettings | undefined;
  readonly runningInAzure: boolean;
  /** Resolves host names (default: the system resolver). */
  readonly lookup?: HostLookup;
  /** Deadline for reading one metadata document, ms (default 5,000). */
  readonly timeoutMs?: number;
}

/** Largest protected resource metadata document read. */
const METADATA_MAX_BYTES = 64 * 1024;
const DEFAULT_DISCOVERY_TIMEOUT_MS = 5000;
/** OpenID Connect scopes, which say nothing about the server's own API. */
const OIDC_SCOPES = new Set(["openid", "profile", "email", "offline_access"]);

/**
 * Checks every declared server against the deployment and fills in the
 * scopes of those that declare none from their protected resource metadata.
 * Run once at startup, before the endpoints are created (functions/index.ts
 * and scripts/start.ts do).
 *
 * @example
 * const remoteServers = await resolveRemoteServers(servers, { entra: config.entra, runningInAzure: config.runningInAzure });
 * @throws RemoteServerError naming the server: a URL the deployment refuses, metadata that cannot be read,
 *   an authorization server other than this tenant's Entra, scopes the kit cannot exchange for.
 */
export async function resolveRemoteServers(servers: readonly RemoteServer[], environment: RemoteServerEnvironment): Promise<RemoteServer[]> {
  return Promise.all(
    servers.map(async (server) => {
      checkUrl(server, environment.runningInAzure);
      if (environment.entra === undefined) {
        throw new RemoteServerError(server.name, "is called On-Behalf-Of the signed-in user, which needs sign-in: set AUTH_MODE to proxy or direct");
      }
      if (server.scopes !== undefined) return server;
      return withScopes(server, await discoverScopes(server, environment.entra, environment));
    }),
  );
}

/** Whether every server's scopes are known (declared or discovered). */
export function isResolved(server: RemoteServer): boolean {
  return server.scopes !== undefined;
}

function checkUrl(server: RemoteServer, runningInAzure: boolean): void {
  if (server.url.protocol === "https:") return;
  if (runningInAzure || !isLoopbackHostname(server.url.hostname)) {
    throw new RemoteServerError(server.name, `url ${server.url.href} must be https (http is accepted for loopback addresses outside Azure only)`);
  }
}

async function discoverScopes(server: RemoteServer, entra: EntraSettings, environment: RemoteServerEnvironment): Promise<string[]> {
  const metadata = await readMetadata(server, environment);
  const fail = (problem: string): never => {
    throw new RemoteServerError(server.name, `${problem} (its protected resource metadata at ${metadata.url.href})`);
  };
  const document = metadata.document;
  const resource = typeof document["resource"] === "string" ? document["resource"] : undefined;
  if (resource === undefined || !metadata.resources.includes(withoutTrailingSlash(resource))) {
    fail(`names the resource ${JSON.stringify(resource)}, not ${server.url.href}, so it describes another server (RFC 9728 section 3.3)`);
  }
  const authorizationServers = Array.isArray(document["authorization_servers"]) ? document["authorization_servers"].filter((item): item is string => typeof item === "string") : [];
  if (!authorizationServers.some((issuer) => isThisTenantsEntra(issuer, entra))) {
    fail(
      `its authorization servers are ${JSON.stringify(authorizationServers)}, not this tenant's Microsoft Entra (${entra.authorityHost.origin}/${entra.tenant}/v2.0); ` +
        "the kit can call a server On-Behalf-Of the user only with tokens of its own Entra tenant",
    );
  }
  const supported = Array.isArray(document["scopes_supported"]) ? document["scopes_supported"].filter((item): item is string => typeof item === "string") : [];
  const scopes = supported.filter((scope) => !OIDC_SCOPES.has(scope));
  if (scopes.length === 0) fail("lists no scopes_supported; declare the server's scopes in full form (scopes: [...])");
  return scopes;
}

interface ReadMetadata {
  readonly url: URL;
  readonly document: Record<string, unknown>;
  /** The `resource` values this document may name for the server (RFC 9728 section 3.3), without trailing slashes. */
  readonly resources: readonly string[];
}

/** The path-insertion form first (`/.well-known/oauth-protected-resource/mcp`), then the root, as MCP clients look. */
async function readMetadata(server: RemoteServer, environment: RemoteServerEnvironment): Promise<ReadMetadata> {
  const origin = server.url.origin;
  const path = server.url.pathname === "/" ? "" : withoutTrailingSlash(server.url.pathname);
  const serverUrl = withoutTrailingSlash(`${origin}${server.url.pathname}${server.url.search}`);
  const candidates = [
    ...(path === "" ? [] : [{ url: new URL(`/.well-known/oauth-protected-resource${path}`, origin), resources: [serverUrl] }]),
    { url: new URL("/.well-known/oauth-protected-resource", origin), resources: [serverUrl, origin] },
  ];
  const allowList = new PrivateHostAllowList([server.url.host]);
  for (const candidate of candidates) {
    let status: number;
    let body: Buffer;
    try {
      ({ status, body } = await safeGet(candidate.url, {
        lookup: environment.lookup ?? systemLookup,
        allowList,
        timeoutMs: environment.timeoutMs ?? DEFAULT_DISCOVERY_TIMEOUT_MS,
        maxBytes: METADATA_MAX_BYTES,
        headers: { accept: "application/json" },
        allowPlainHttp: server.url.protocol === "http:",
      }));
    } catch (error) {
      const reason = error instanceof SafeFetchError ? error.message : String(error);
      throw new RemoteServerError(
        server.name,
        `declares no scopes and its protected resource metadata at ${candidate.url.href} could not be read: ${reason} Make it reachable from this app, or declare the scopes (scopes: [...]), which also spares every cold start the fetch`,
      );
    }
    if (status === 404) continue;
    if (status !== 200) {
      throw new RemoteServerError(server.name, `declares no scopes and its protected resource metadata at ${candidate.url.href} answered HTTP ${status}; declare the scopes (scopes: [...])`);
    }
    let document: unknown;
    try {
      document = JSON.parse(body.toString("utf8"));
    } catch {
      document = undefined;
    }
    if (typeof document !== "object" || document === null || Array.isArray(document)) {
      throw new RemoteServerError(server.name, `its protected resource metadata at ${candidate.url.href} is not a JSON object`);
    }
    return { url: candidate.url, document: document as Record<string, unknown>, resources: candidate.resources };
  }
  throw new RemoteServerError(
    server.name,
    `declares no scopes and publishes no protected resource metadata (${candidates.map((candidate) => candidate.url.href).join(", ")} answered 404); declare the scopes (scopes: [...])`,
  );
}

/** Whether `issuer` is the v2 (or v1) authority of a tenant this app accepts, on this app's Entra host. */
function isThisTenantsEntra(issuer: string, entra: EntraSettings): boolean {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return false;
  }
  if (url.origin !== entra.authorityHost.origin) return false;
  const tenant = /^\/([^/]+)(?:\/v2\.0)?\/?$/.exec(url.pathname)?.[1]?.toLowerCase();
  if (tenant === undefined) return false;
  return tenant === entra.tenant || entra.allowedTenants.includes(tenant) || (entra.multiTenant && (tenant === "organizations" || tenant === "common"));
}

function withoutTrailingSlash(text: string): string {
  return text.endsWith("/") ? text.slice(0, -1) : text;
}
