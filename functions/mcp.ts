import { toHttpHandler } from "../lib/adapter/azure-functions.js";
import type { Auth } from "../lib/auth/index.js";
import type { HostedEndpoint } from "../lib/host/server.js";
import { createMcpEndpoint } from "../lib/mcp/endpoint.js";
import type { AppContext } from "./app.js";

/** POST /mcp: MCP Streamable HTTP, stateless. GET and DELETE are declared so that they get a 405 rather than the host's 404. */
export function mcpEndpoint(app: AppContext, auth: Auth): HostedEndpoint {
  return {
    name: "mcp",
    route: "mcp",
    methods: ["POST", "GET", "DELETE"],
    handler: toHttpHandler(createMcpEndpoint({ definition: app.server, settings: app.config.mcp, log: app.log, auth }), app.config.logLevel),
  };
}
