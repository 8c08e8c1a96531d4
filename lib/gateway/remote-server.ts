/**
 * Declaring a downstream MCP server, beside the tools: `remoteServer({...})`.
 *
 * A remote server is another team's MCP server protected by Entra with its
 * own app registration. The kit lists its tools (and resources and prompts)
 * as its own, under a prefix, and calls them On-Behalf-Of the signed-in user
 * with a token for that server's audience only. The declaration is checked
 * here, once, at startup; what needs the network (reading the server's
 * protected resource metadata when `scopes` are left out) happens in
 * discovery.ts.
 */

/** What a tool author writes. */
export interface RemoteServerSpec {
  /**
   * Short name, 1-32 of `a-z 0-9 -` starting with a letter. It names the
   * server in messages and logs, and namespaces what it offers: tools and
   * prompts get the prefix `<name>_`, resources the URI prefix `<name>+`.
   */
  readonly name: string;
  /** The server's MCP endpoint, e.g. `https://crm.contoso.com/mcp` (http only for loopback, outside Azure). */
  readonly url: string | URL;
  /**
   * Delegated scopes of the server's API in full form, all of one API:
   * `["api://contoso-crm/Crm.Read"]`. The kit exchanges the user's token for
   * these On-Behalf-Of. Leave out to read them from the server's RFC 9728
   * protected resource metadata (`scopes_supported`) at startup.
   */
  readonly scopes?: readonly string[];
  /** Put before the server's tool and prompt names; default `<name>_`. */
  readonly prefix?: string;
  /** Only the server's tools with these names are offered (`*` matches any run of characters). Default: all. */
  readonly include?: readonly string[];
  /** The server's tools with these names are never offered, nor called (`*` as in `include`). */
  readonly exclude?: readonly string[];
  /** How long one call to the server may take, in ms (default 60 s, at most 225 s). */
  readonly timeoutMs?: number;
}

/** A declaration, checked. */
export interface RemoteServer {
  readonly kind: "mcp-functions-kit/remote-server";
  readonly name: string;
  readonly url: URL;
  /** Absent until discovery read them from the server's metadata (discovery.ts). */
  readonly scopes: readonly string[] | undefined;
  readonly prefix: string;
  /** Whether the kit offers and calls the downstream tool of this name. */
  offers(toolName: string): boolean;
  readonly timeoutMs: number;
}

/** Thrown at startup for a declaration (or a server's metadata) the kit cannot work with. */
export class RemoteServerError extends Error {
  readonly code = "REMOTE_SERVER_INVALID";
  constructor(
    readonly server: string,
    problem: string,
  ) {
    super(`Remote server ${JSON.stringify(server)}: ${problem}`);
    this.name = "RemoteServerError";
  }
}

/** How long a call may take unless the declaration says otherwise. */
export const DEFAULT_REMOTE_TIMEOUT_MS = 60_000;
/** Azure's front end drops a request idle for 230 s; a call must end before. */
const MAX_REMOTE_TIMEOUT_MS = 225_000;

const SERVER_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const PREFIX = /^[A-Za-z0-9_.-]{1,64}$/;
const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.*-]{1,128}$/;
const FULL_FORM_SCOPE = /^((?:https?|api):\/\/[^\s]+)\/([^/\s]+)$/;

/**
 * Declares a downstream MCP server whose tools the kit offers as its own,
 * called On-Behalf-Of the signed-in user.
 *
 * @example
 * export const servers = [
 *   remoteServer({ name: "crm", url: "https://crm.contoso.com/mcp", scopes: ["api://contoso-crm/Crm.Read"] }),
 *   remoteServer({ name: "tickets", url: "https://tickets.contoso.com/mcp", exclude: ["delete_*"] }), // scopes from its metadata
 * ];
 * @throws RemoteServerError naming the server and what is wrong.
 */
export function remoteServer(spec: RemoteServerSpec): RemoteServer {
  const name = String(spec.name);
  const fail = (problem: string): never => {
    throw new RemoteServerError(name, problem);
  };
  if (!SERVER_NAME.test(name)) fail("name must be 1-32 characters of a-z 0-9 - and start with a letter");
  const url = parseServerUrl(spec.url, fail);
  const scopes = spec.scopes === undefined ? undefined : checkedScopes(spec.scopes, fail);
  const prefix = spec.prefix ?? `${name}_`;
  if (!PREFIX.test(prefix)) fail(`prefix ${JSON.stringify(prefix)} must be 1-64 characters of A-Z a-z 0-9 _ - .`);
  const include = spec.include === undefined ? undefined : namePatterns("include", spec.include, fail);
  const exclude = namePatterns("exclude", spec.exclude ?? [], fail);
  const timeoutMs = spec.timeoutMs ?? DEFAULT_REMOTE_TIMEOUT_MS;
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0 && timeoutMs <= MAX_REMOTE_TIMEOUT_MS)) fail(`timeoutMs must be a whole number of milliseconds between 1 and ${MAX_REMOTE_TIMEOUT_MS}`);
  return {
    kind: "mcp-functions-kit/remote-server",
    name,
    url,
    scopes,
    prefix,
    timeoutMs,
    offers: (toolName) => (include === undefined || include.some((pattern) => pattern.test(toolName))) && !exclude.some((pattern) => pattern.test(toolName)),
  };
}

/** The same declaration with the scopes discovery found. */
export function withScopes(server: RemoteServer, scopes: readonly string[]): RemoteServer {
  return { ...server, scopes: checkedScopes(scopes, (problem) => {
    throw new RemoteServerError(server.name, problem);
  }) };
}

/**
 * Checks the servers of one definition against each other and against the
 * kit's own tools (and, with `scopesKnown`, that every server's scopes are
 * known): unique names, and prefixes that cannot be confused, so
 * that a tool or prompt name says without a list which server (if any)
 * answers it, and two servers' tools can never collide.
 * @throws RemoteServerError
 */
export function checkRemoteServers(servers: readonly RemoteServer[], ownToolNames: readonly string[], options: { scopesKnown?: boolean } = {}): void {
  const names = new Set<string>();
  for (const server of servers) {
    if (server.kind !== "mcp-functions-kit/remote-server") throw new RemoteServerError(String((server as { name?: unknown }).name), "is not a remoteServer({...}) declaration");
    if (options.scopesKnown === true && server.scopes === undefined) {
      throw new RemoteServerError(server.name, "declares no scopes and they were not read from its metadata: run resolveRemoteServers(...) at startup (functions/index.ts does), or declare them");
    }
    if (names.has(server.name)) throw new RemoteServerError(server.name, "declared twice; remote server names must be unique");
    names.add(server.name);
    for (const other of servers) {
      if (other !== server && other.prefix.startsWith(server.prefix)) {
        throw new RemoteServerError(server.name, `its prefix ${JSON.stringify(server.prefix)} begins the prefix ${JSON.stringify(other.prefix)} of remote server ${JSON.stringify(other.name)}; choose prefixes that do not begin one another`);
      }
    }
    const clash = ownToolNames.find((toolName) => toolName.startsWith(server.prefix));
    if (clash !== undefined) {
      throw new RemoteServerError(server.name, `the tool ${JSON.stringify(clash)} begins with its prefix ${JSON.stringify(server.prefix)}; rename the tool or give the server another prefix`);
    }
  }
}

/** The API (resource) a set of full-form scopes belongs to: `api://contoso-crm` for `api://contoso-crm/Crm.Read`. */
export function resourceOfScopes(scopes: readonly string[]): string {
  return FULL_FORM_SCOPE.exec(scopes[0] ?? "")?.[1] ?? "";
}

function parseServerUrl(raw: string | URL, fail: (problem: string) => never): URL {
  let url: URL;
  try {
    url = new URL(String(raw));
  } catch {
    return fail(`url ${JSON.stringify(String(raw))} is not an absolute URL such as https://crm.contoso.com/mcp`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail(`url must be https (got ${url.protocol})`);
  if (url.username !== "" || url.password !== "") fail("url must not carry credentials: the kit authenticates with an On-Behalf-Of token");
  if (url.hash !== "") fail("url must not have a fragment");
  return url;
}

function checkedScopes(scopes: readonly string[], fail: (problem: string) => never): readonly [string, ...string[]] {
  if (!Array.isArray(scopes) || scopes.length === 0) return fail("scopes must list at least one scope (or be left out to read them from the server's metadata)");
  const resources = new Set<string>();
  for (const scope of scopes) {
    const match = typeof scope === "string" ? FULL_FORM_SCOPE.exec(scope) : null;
    if (match === null) fail(`scope ${JSON.stringify(scope)} must be in full form, e.g. api://contoso-crm/Crm.Read`);
    resources.add(match![1]!.toLowerCase());
  }
  if (resources.size > 1) fail(`scopes ${JSON.stringify(scopes)} belong to more than one API; Entra issues a token for one API at a time, and a server has one audience`);
  return [...new Set(scopes)] as unknown as readonly [string, ...string[]];
}

function namePatterns(field: "include" | "exclude", patterns: readonly string[], fail: (problem: string) => never): RegExp[] {
  if (!Array.isArray(patterns)) return fail(`${field} must be a list of tool names`);
  return patterns.map((pattern) => {
    if (typeof pattern !== "string" || !TOOL_NAME_PATTERN.test(pattern)) fail(`${field} entry ${JSON.stringify(pattern)} must be a tool name, optionally with * wildcards`);
    const source = pattern
      .split("*")
      .map((part) => part.replace(/[.]/g, "\\."))
      .join(".*");
    return new RegExp(`^${source}$`);
  });
}
