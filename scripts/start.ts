/**
 * `npm start`: the function app on the local host, at http://localhost:7071
 * (PORT overrides). No Azure account and no Core Tools needed.
 */
import { createEndpoints } from "../functions/app.js";
import { ConfigError, loadConfig } from "../lib/config.js";
import { createLocalHost } from "../lib/host/server.js";
import { consoleSink, createLogger } from "../lib/log.js";
import { serverInfo, tools } from "../tools/index.js";

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel, consoleSink);
  const host = createLocalHost({ endpoints: createEndpoints({ config, server: { ...serverInfo, tools }, log }) });
  await host.listen(config.port);

  const mcpUrl = config.mcpUrl.href;
  console.log(
    [
      "",
      "MCP Functions Kit is running locally.",
      "",
      `  MCP endpoint   ${mcpUrl}`,
      `  Sign-in        ${config.authMode === "none" ? "none (AUTH_MODE=none): anyone who can reach this port can call the tools" : config.authMode}`,
      `  Tools          ${tools.map((tool) => tool.name).join(", ")}`,
      "",
      "  VS Code        add to .vscode/mcp.json:",
      `                 { "servers": { "local-kit": { "type": "http", "url": "${mcpUrl}" } } }`,
      "  MCP Inspector  npx @modelcontextprotocol/inspector, transport Streamable HTTP, URL above",
      "",
      "Press Ctrl+C to stop.",
      "",
    ].join("\n"),
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal} received, stopping.`);
    host.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});
