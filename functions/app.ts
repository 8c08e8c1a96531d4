/**
 * The route table: every HTTP endpoint of the function app, described once.
 *
 * `functions/index.ts` registers these with `app.http` for the Functions host;
 * the local host (`lib/host/`) serves the very same objects. Outside the
 * Functions host `@azure/functions` drops `app.http` registrations (test mode),
 * so this table, not the library, is what the local host reads.
 */
import { createAuth, type Auth } from "../lib/auth/index.js";
import type { KitConfig } from "../lib/config.js";
import type { HostedEndpoint } from "../lib/host/server.js";
import type { Logger } from "../lib/log.js";
import type { McpServerDefinition } from "../lib/mcp/index.js";
import { healthEndpoint } from "./health.js";
import { mcpEndpoint } from "./mcp.js";
import { protectedResourceEndpoints } from "./protected-resource.js";

/** What the endpoints are built from. */
export interface AppContext {
  readonly config: KitConfig;
  /** What `/mcp` serves: the tools of `tools/index.ts`, or a test pack. */
  readonly server: McpServerDefinition;
  /** Logger for events outside any one request. */
  readonly log: Logger;
}

/** Builds every endpoint of the app. */
export function createEndpoints(app: AppContext): HostedEndpoint[] {
  const auth: Auth = createAuth(app.config, app.log);
  return [
    mcpEndpoint(app, auth),
    ...(auth.resource === undefined ? [] : protectedResourceEndpoints(app, auth.resource)),
    healthEndpoint(app),
  ];
}
