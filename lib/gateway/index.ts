/**
 * The gateway (downstream MCP servers behind the kit): what `tools/` and the
 * startup code import. Declaring a server costs nothing at import; reading
 * metadata and talking to servers load on first use.
 */
import type { RemoteServerEnvironment } from "./discovery.js";
import type { RemoteServer } from "./remote-server.js";

export { remoteServer, RemoteServerError } from "./remote-server.js";
export type { RemoteServer, RemoteServerSpec } from "./remote-server.js";
export type { RemoteServerEnvironment } from "./discovery.js";

/**
 * Checks the declared servers against the deployment and reads the scopes
 * of those that declare none from their protected resource metadata. Run it
 * once at startup, before creating the endpoints.
 *
 * @example
 * const remoteServers = await resolveRemoteServers(servers, { entra: config.entra, runningInAzure: config.runningInAzure });
 * createEndpoints({ config, server: { ...serverInfo, tools, remoteServers }, log });
 * @throws RemoteServerError naming the server and what is wrong.
 */
export async function resolveRemoteServers(servers: readonly RemoteServer[], environment: RemoteServerEnvironment): Promise<RemoteServer[]> {
  if (servers.length === 0) return [];
  const discovery = await import("./discovery.js");
  return discovery.resolveRemoteServers(servers, environment);
}
