/**
 * The route table: every HTTP endpoint of the function app, described once.
 *
 * `functions/index.ts` registers these with `app.http` for the Functions host;
 * the local host (`lib/host/`) serves the very same objects. Outside the
 * Functions host `@azure/functions` drops `app.http` registrations (test mode),
 * so this table, not the library, is what the local host reads.
 */
import { createAuth, type Auth } from "../lib/auth/index.js";
import type { WebHandler } from "../lib/http.js";
import type { FacadeHandlers, FacadeOptions } from "../lib/oauth/index.js";
import { createSecretSource } from "../lib/secrets/index.js";
import type { SecretSource } from "../lib/secrets/source.js";
import { downstreamScopesOf, itemsOf, requiredRolesOf } from "../lib/mcp/server.js";
import type { KitConfig } from "../lib/config.js";
import type { HostedEndpoint } from "../lib/host/server.js";
import type { Logger } from "../lib/log.js";
import type { McpServerDefinition } from "../lib/mcp/index.js";
import { traceFacadeStep } from "../lib/telemetry/index.js";
import { healthEndpoint } from "./health.js";
import { mcpEndpoint } from "./mcp.js";
import { oauthEndpoints } from "./oauth.js";
import { protectedResourceEndpoints } from "./protected-resource.js";

/** What the endpoints are built from. */
export interface AppContext {
  readonly config: KitConfig;
  /** What `/mcp` serves: the tools of `tools/index.ts`, or a test pack. */
  readonly server: McpServerDefinition;
  /** Logger for events outside any one request. */
  readonly log: Logger;
  /** Where secrets come from; default: Key Vault when KEY_VAULT_URL is set, else the environment. */
  readonly secrets?: SecretSource;
}

/** Builds every endpoint of the app. */
export function createEndpoints(app: AppContext): HostedEndpoint[] {
  const secrets = app.secrets ?? createSecretSource({ settings: app.config.secrets, log: app.log });
  // Remote servers' scopes join the tools' ones: users consent to all of them at sign-in, and a step-up may name them.
  const downstreamScopes = [...new Set([...downstreamScopesOf(itemsOf(app.server)), ...(app.server.remoteServers ?? []).flatMap((server) => server.scopes ?? [])])];
  const auth: Auth = createAuth(app.config, app.log, secrets, { downstreamScopes, roles: requiredRolesOf(itemsOf(app.server)) });
  const facade =
    auth.mode === "proxy" && auth.authority !== undefined && auth.tokens !== undefined
      ? facadeOnFirstUse({
          config: app.config,
          authority: auth.authority,
          tokens: auth.tokens,
          secrets,
          log: app.log,
          serverName: app.config.serverDisplayName ?? app.server.title ?? app.server.name,
          downstreamScopes,
        })
      : undefined;
  return [
    mcpEndpoint(app, auth),
    ...(auth.resource === undefined ? [] : protectedResourceEndpoints(app, auth.resource)),
    ...(facade === undefined ? [] : oauthEndpoints(facade, app.config.logLevel)),
    healthEndpoint(app),
  ];
}

/**
 * The facade's handlers, its modules loaded by the first request that needs
 * one. Most requests an instance serves go to /mcp; the facade (lib/oauth and
 * the modules only it uses) was a quarter of the app's import time, paid by
 * every cold start (bench/README.md). Building it checks nothing that
 * loadConfig has not checked already, so nothing is lost by waiting.
 */
function facadeOnFirstUse(options: FacadeOptions): FacadeHandlers {
  let built: Promise<FacadeHandlers> | undefined;
  const handlers = (): Promise<FacadeHandlers> => (built ??= import("../lib/oauth/index.js").then((oauth) => oauth.createFacade(options).handlers));
  const lazy =
    (name: keyof FacadeHandlers): WebHandler =>
    (request, context) =>
      traceFacadeStep(name, async () => (await handlers())[name](request, context));
  return {
    metadata: lazy("metadata"),
    register: lazy("register"),
    authorize: lazy("authorize"),
    consent: lazy("consent"),
    callback: lazy("callback"),
    token: lazy("token"),
    revoke: lazy("revoke"),
  };
}
