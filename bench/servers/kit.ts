/**
 * The kit as the benchmark runs it: the function app's route table on the
 * local host, exactly as `npm start` serves it (local host → Functions
 * handler → adapter → `/mcp` endpoint → MCP SDK).
 *
 * `node kit.js none`: AUTH_MODE=none (the test-only configuration), serving
 * the shipped echo tool.
 * `node kit.js full`: the settings come from the environment (the benchmark
 * points them at the local Entra stand-in); every call carries an Entra
 * token that the gate validates, and the echo tool declares an `obo()` need,
 * served from the OBO cache once warm.
 */
import { createEndpoints } from "../../functions/app.js";
import { loadConfig } from "../../lib/config.js";
import { createLocalHost } from "../../lib/host/server.js";
import { consoleSink, createLogger } from "../../lib/log.js";
import { defineTool, obo, type AnyTool } from "../../lib/mcp/index.js";
import { createSecretSource } from "../../lib/secrets/index.js";
import echo from "../../tools/echo.js";
import { reportStartFailure, serveBenchChannel } from "../ipc.js";
import { freePort } from "./free-port.js";
import { BENCH_DOWNSTREAM_SCOPE } from "../protocol.js";

/** The shipped echo tool with an On-Behalf-Of need: what an authenticated tool call costs the kit. */
const echoWithObo = defineTool({
  name: echo.name,
  ...(echo.title === undefined ? {} : { title: echo.title }),
  description: echo.description,
  input: echo.input,
  ...(echo.annotations === undefined ? {} : { annotations: echo.annotations }),
  needs: { graph: obo([BENCH_DOWNSTREAM_SCOPE]) },
  async run({ message, times }: { message: string; times: number }) {
    return Array.from({ length: times }, () => message).join("\n");
  },
});

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== "none" && mode !== "full") throw new Error("usage: kit.js none|full");
  const env = mode === "none" ? { ...process.env, AUTH_MODE: "none" } : process.env;
  // PORT makes PUBLIC_BASE_URL (and so the resource metadata URL) name the port the host listens on.
  const port = await freePort();
  const config = loadConfig({ LOG_LEVEL: "warn", ...env, PORT: String(port) });
  const log = createLogger(config.logLevel, consoleSink);
  const tools: AnyTool[] = [mode === "none" ? echo : echoWithObo];
  const host = createLocalHost({
    endpoints: createEndpoints({ config, server: { name: "bench-kit", version: "1.0.0", tools }, log, secrets: createSecretSource({ settings: config.secrets, env, log }) }),
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

main().catch(reportStartFailure);
