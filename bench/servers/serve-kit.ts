/**
 * A bench server's kit: the function app's route table on the local host,
 * exactly as `npm start` serves it, on a free loopback port, reported to the
 * benchmark once it listens. Telemetry starts as the settings say (off unless
 * the benchmark sets it up), and the server reports ready only once it
 * records, so that no measured call is served untraced.
 */
import { createEndpoints } from "../../functions/app.js";
import { loadConfig, type Environment } from "../../lib/config.js";
import { createLocalHost } from "../../lib/host/server.js";
import { consoleSink, createLogger } from "../../lib/log.js";
import { resolveRemoteServers } from "../../lib/gateway/index.js";
import type { AnyTool, McpServerDefinition } from "../../lib/mcp/index.js";
import { createSecretSource } from "../../lib/secrets/index.js";
import { startTelemetry, telemetryActive } from "../../lib/telemetry/index.js";
import { serveBenchChannel } from "../ipc.js";
import { freePort } from "./free-port.js";

/** What a bench server serves beside its tools: resources, prompts, remote servers (resolved here, as at startup). */
export type BenchItems = Pick<McpServerDefinition, "resources" | "prompts" | "remoteServers">;

/** Serves `tools` (and `items`) with the settings of `env` (LOG_LEVEL warn unless set) and tells the benchmark where. */
export async function serveKit(name: string, tools: readonly AnyTool[], env: Environment, items: BenchItems = {}): Promise<void> {
  // PORT makes PUBLIC_BASE_URL (and so the resource metadata URL) name the port the host listens on.
  const port = await freePort();
  const config = loadConfig({ LOG_LEVEL: "warn", ...env, PORT: String(port) });
  const log = createLogger(config.logLevel, consoleSink);
  await startTelemetry(config.telemetry, log);
  if (config.telemetry.exporter !== "off" && !telemetryActive()) throw new Error(`telemetry (${config.telemetry.exporter}) did not start; see the warning above`);
  const remoteServers = await resolveRemoteServers(items.remoteServers ?? [], { entra: config.entra, runningInAzure: config.runningInAzure });
  const host = createLocalHost({
    endpoints: createEndpoints({ config, server: { name, version: "1.0.0", tools, ...items, remoteServers }, log, secrets: createSecretSource({ settings: config.secrets, env, log }) }),
    // The local host's access line ("POST /mcp 200 1.2ms") is a development aid; the Functions host logs requests itself.
    log: () => undefined,
    invocationLog: (level, message) => {
      if (level === "error" || level === "warning") console.error(message);
    },
  });
  // As for the baseline: connections stay open while the benchmark drives the other cases.
  host.server.keepAliveTimeout = 60_000;
  await host.listen(port, "127.0.0.1");
  serveBenchChannel(`http://127.0.0.1:${port}/mcp`);
}
