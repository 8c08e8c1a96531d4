/**
 * Starts the function app on the local host, in this process, on a free port:
 * the same route table and handlers `npm start` and Azure serve.
 */
import { createEndpoints } from "../../functions/app.js";
import { loadConfig, type Environment, type KitConfig } from "../../lib/config.js";
import { resolveRemoteServers } from "../../lib/gateway/index.js";
import { createLocalHost, type LocalHost } from "../../lib/host/server.js";
import { createLogger } from "../../lib/log.js";
import { environmentSecrets, type SecretSource } from "../../lib/secrets/source.js";
import type { McpServerDefinition } from "../../lib/mcp/index.js";
import listOrders from "../../tools/list-orders.js";
import orderResource from "../../tools/order-resource.js";
import { serverDefinition } from "../../tools/index.js";
import { LogCapture } from "./log-capture.js";

/**
 * Every shipped example, `list_orders` and `orders://{orderId}` included: tools/index.ts offers them only
 * where ORDERS_API_URL is set when the list loads, and a test process points
 * the tools at its fake APIs ({@link pointToolsAt}) after that.
 */
export const EVERY_EXAMPLE: McpServerDefinition = {
  ...serverDefinition,
  tools: [...serverDefinition.tools.filter((tool) => tool !== listOrders), listOrders],
  resources: [...(serverDefinition.resources ?? []).filter((resource) => resource !== orderResource), orderResource],
};

export interface RunningKit {
  readonly baseUrl: URL;
  readonly mcpUrl: URL;
  readonly config: KitConfig;
  readonly host: LocalHost;
  /** Every line the app and the host logged. */
  readonly logs: LogCapture;
  close(): Promise<void>;
}

export interface StartKitOptions {
  /** Settings on top of the defaults (AUTH_MODE=none, the chosen port). */
  readonly env?: Environment;
  /** What /mcp serves; default: the shipped tools, resources and prompts (tools/index.ts). */
  readonly server?: McpServerDefinition;
  /** Where secrets come from; default: the environment of `env`. */
  readonly secrets?: SecretSource;
}

/** Picks a free port, then starts the kit there, so PUBLIC_BASE_URL matches the port. */
export async function startKit(options: StartKitOptions = {}): Promise<RunningKit> {
  const port = await freePort();
  const env = { AUTH_MODE: "none", LOG_LEVEL: "debug", PORT: String(port), ...options.env };
  const config = loadConfig(env);
  const logs = new LogCapture();
  const log = createLogger(config.logLevel, logs.sink);
  const definition = options.server ?? serverDefinition;
  // As at startup in Azure: remote servers without declared scopes are read from their metadata first.
  const server = definition.remoteServers === undefined ? definition : { ...definition, remoteServers: await resolveRemoteServers(definition.remoteServers, { entra: config.entra, runningInAzure: config.runningInAzure }) };
  const host = createLocalHost({
    endpoints: createEndpoints({ config, server, log, secrets: options.secrets ?? environmentSecrets(env) }),
    log: (line) => logs.add("host", line),
    invocationLog: (level, message) => logs.add(level, message),
  });
  const baseUrl = await host.listen(port, "127.0.0.1");
  return { baseUrl, mcpUrl: new URL("/mcp", baseUrl), config, host, logs, close: () => host.close(100) };
}

/** The example tools read their downstream URLs from the environment when they run: points them at a fake Graph / orders API. */
export function pointToolsAt(downstream: { readonly graphBaseUrl: string; readonly ordersUrl: string }): void {
  process.env["GRAPH_BASE_URL"] = downstream.graphBaseUrl;
  process.env["ORDERS_API_URL"] = downstream.ordersUrl;
}

/** Undoes {@link pointToolsAt}. */
export function unpointTools(): void {
  delete process.env["GRAPH_BASE_URL"];
  delete process.env["ORDERS_API_URL"];
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
