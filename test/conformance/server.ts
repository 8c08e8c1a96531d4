/**
 * Starts the conformance fixture server: the function app's own route table
 * (`createEndpoints`) on the local host, serving the fixture pack without
 * sign-in (AUTH_MODE=none).
 *
 * That configuration is for tests only, so it goes through `loadConfig` with
 * the platform's own variables: when WEBSITE_INSTANCE_ID is set (the process
 * runs in Azure App Service / Functions) `loadConfig` throws a ConfigError
 * naming AUTH_MODE and nothing starts listening.
 */
import { createServer } from "node:net";
import { createEndpoints } from "../../functions/app.js";
import { loadConfig, type Environment } from "../../lib/config.js";
import { createLocalHost } from "../../lib/host/server.js";
import { createLogger, type LogSink } from "../../lib/log.js";
import { createFixturePack } from "./fixtures.js";

/** Options of {@link startConformanceServer}. */
export interface ConformanceServerOptions {
  /**
   * Where the Azure platform variables (WEBSITE_INSTANCE_ID, WEBSITE_HOSTNAME)
   * are read from; default `process.env`. Nothing else is taken from it: the
   * rest of the configuration is fixed.
   */
  readonly env?: Environment;
  /** Receives the host's request lines and everything the app logs. Default: dropped. */
  readonly log?: (line: string) => void;
}

/** A running fixture server. */
export interface ConformanceServer {
  /** The MCP endpoint, on 127.0.0.1 and a free port. */
  readonly mcpUrl: URL;
  /** Stops listening; in-flight requests get half a second to finish. */
  close(): Promise<void>;
}

/**
 * Starts the fixture server.
 *
 * @example
 * const server = await startConformanceServer({ log: (line) => logFile.write(`${line}\n`) });
 * // … run the suite against server.mcpUrl …
 * await server.close();
 * @throws ConfigError (setting AUTH_MODE) when WEBSITE_INSTANCE_ID is set.
 */
export async function startConformanceServer(options: ConformanceServerOptions = {}): Promise<ConformanceServer> {
  const env = options.env ?? process.env;
  const write = options.log ?? (() => undefined);
  const port = await freePort();
  const config = loadConfig({
    AUTH_MODE: "none",
    PORT: String(port),
    LOG_LEVEL: "info",
    // Passed through so that loadConfig sees an Azure host for what it is and refuses AUTH_MODE=none there.
    WEBSITE_INSTANCE_ID: env["WEBSITE_INSTANCE_ID"],
    WEBSITE_HOSTNAME: env["WEBSITE_HOSTNAME"],
  });
  const sink: LogSink = (level, event, fields) => write(`${level} ${JSON.stringify({ event, ...fields })}`);
  const host = createLocalHost({
    endpoints: createEndpoints({ config, server: createFixturePack(), log: createLogger(config.logLevel, sink) }),
    log: write,
    invocationLog: (level, message) => write(`${level} ${message}`),
  });
  await host.listen(port, "127.0.0.1");
  // 127.0.0.1 rather than localhost: no IPv6-first lookup can miss the listener, and it is a loopback name the Host check accepts.
  return { mcpUrl: new URL(`http://127.0.0.1:${port}/mcp`), close: () => host.close(500) };
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer();
    probe.once("error", fail);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address !== null ? done(address.port) : fail(new Error("no free port"))));
    });
  });
}
