/**
 * `npm start`: the function app on the local host at http://localhost:7071
 * (PORT overrides; it listens on the loopback addresses only unless
 * BIND_ADDRESS says otherwise), signed in through the local Entra stand-in. No Azure
 * account and no Core Tools needed.
 *
 * Unless Entra settings are given (ENTRA_TENANT_ID / ENTRA_CLIENT_ID), the
 * local stand-ins start too (Entra on https://localhost:7443, a fake Graph on
 * :7444, a fake managed identity endpoint on :7445, the demo downstream MCP
 * server on :7446; DEV_ENTRA_PORT, DEV_GRAPH_PORT, DEV_IDENTITY_PORT and
 * DEV_DEMO_PORT override) and the app is pointed at them in proxy mode,
 * with the demo server behind its gateway. `AUTH_MODE=none npm start` serves without sign-in.
 *
 * Run through scripts/with-dev-tls (npm start does), so that this process
 * trusts the stand-ins' development certificate.
 */
import { createEndpoints } from "../functions/app.js";
import { ConfigError, loadConfig, type Environment, type KitConfig } from "../lib/config.js";
import { createLocalHost } from "../lib/host/server.js";
import { consoleSink, createLogger } from "../lib/log.js";
import { RemoteServerError, resolveRemoteServers } from "../lib/gateway/index.js";
import { createSecretSource } from "../lib/secrets/index.js";
import { startTelemetry, stopTelemetry } from "../lib/telemetry/index.js";
import { DEV_PORTS, DEV_TENANT_ID, DEV_USERS, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET } from "../dev/defaults.js";
import { startDevServices, type DevServices } from "../dev/services.js";

function devPort(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(name, `got ${JSON.stringify(raw)}, expected a port number`);
  return port;
}

/** Starts the stand-ins when the environment names no Entra tenant, and returns the settings that point the app at them. */
async function localEntra(env: Environment): Promise<{ services: DevServices | undefined; settings: Environment }> {
  if (env["AUTH_MODE"] === "none" || env["ENTRA_TENANT_ID"] !== undefined || env["WEBSITE_INSTANCE_ID"] !== undefined) return { services: undefined, settings: {} };
  const services = await startDevServices({
    ports: {
      entra: devPort(env, "DEV_ENTRA_PORT", DEV_PORTS.entra),
      graph: devPort(env, "DEV_GRAPH_PORT", DEV_PORTS.graph),
      managedIdentity: devPort(env, "DEV_IDENTITY_PORT", DEV_PORTS.managedIdentity),
      demoMcp: devPort(env, "DEV_DEMO_PORT", DEV_PORTS.demoMcp),
    },
  });
  return {
    services,
    settings: {
      AUTH_MODE: "proxy",
      ENTRA_TENANT_ID: DEV_TENANT_ID,
      ENTRA_CLIENT_ID: KIT_CLIENT_ID,
      ENTRA_AUTHORITY_HOST: services.entra.origin,
      ENTRA_CLIENT_SECRET: KIT_DEV_CLIENT_SECRET,
      ...(services.graph === undefined ? {} : { GRAPH_BASE_URL: services.graph.graphBaseUrl, ORDERS_API_URL: services.graph.ordersUrl }),
      ...(services.demoMcp === undefined ? {} : { DEMO_MCP_URL: services.demoMcp.url.href }),
    },
  };
}

/** What the banner says about telemetry: where it goes, or how to turn it on. */
function telemetryLine(settings: KitConfig["telemetry"]): string {
  switch (settings.exporter) {
    case "off":
      return "off (OTEL_TRACES_EXPORTER=console or OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 to see traces)";
    case "console":
      return "spans and metrics printed here";
    case "otlp":
      return `OTLP to ${settings.endpoint.origin}`;
    case "azure-monitor":
      return "Application Insights (APPLICATIONINSIGHTS_CONNECTION_STRING)";
  }
}

async function main(): Promise<void> {
  const local = await localEntra(process.env);
  // The stand-ins' settings become environment variables, as app settings are in Azure: the config,
  // the secret source and the tools (which read their downstream URLs when they run) all see them.
  // What the environment already sets wins.
  for (const [name, value] of Object.entries(local.settings)) if (process.env[name] === undefined) process.env[name] = value;
  // Imported only now: tools/index.ts reads those settings as it loads (the orders API's tools are generated from its document).
  const { serverInfo, tools } = await import("../tools/index.js");
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel, consoleSink);
  void startTelemetry(config.telemetry, log);
  // Imported only now: tools/index.ts decides from the environment which examples and remote servers to offer (ORDERS_API_URL, DEMO_MCP_URL).
  const { serverDefinition, servers } = await import("../tools/index.js");
  const remoteServers = await resolveRemoteServers(servers, { entra: config.entra, runningInAzure: config.runningInAzure });
  const host = createLocalHost({
    endpoints: createEndpoints({ config, server: { ...serverDefinition, remoteServers }, log, secrets: createSecretSource({ settings: config.secrets, log }) }),
  });
  await host.listen(config.port, config.bindAddress);

  const mcpUrl = config.mcpUrl.href;
  const signIn =
    config.authMode === "none"
      ? "none (AUTH_MODE=none): anyone who can reach this port can call the tools"
      : `${config.authMode} mode${local.services === undefined ? "" : `, through the local Entra stand-in at ${local.services.entra.origin}`}`;
  // The stand-in's own commands must reach it on the port it really listens on.
  const entraPortPrefix = local.services === undefined || !process.env["DEV_ENTRA_PORT"] ? "" : `DEV_ENTRA_PORT=${local.services.entra.port} `;
  const loopbackOnly = config.bindAddress === "localhost" || isLoopbackAddress(config.bindAddress);
  const listening =
    config.bindAddress === "localhost"
      ? "127.0.0.1 and ::1 (this machine only; BIND_ADDRESS=0.0.0.0 to serve other machines, e.g. from a container)"
      : `${config.bindAddress}${loopbackOnly ? " (this machine only)" : isUnspecifiedAddress(config.bindAddress) ? " (every interface)" : ""}`;
  const users = local.services === undefined ? [] : ["  Dev users      " + Object.values(DEV_USERS).filter((u) => u.upn.endsWith("contoso.example")).map((u) => u.alias).join(", ") + " (pick one on the stand-in's sign-in page)"];
  console.log(
    [
      "",
      "MCP Functions Kit is running locally.",
      "",
      `  MCP endpoint   ${mcpUrl}`,
      `  Listening on   ${listening}`,
      `  Sign-in        ${signIn}`,
      ...(config.authMode === "none" && !loopbackOnly ? ["  WARNING        AUTH_MODE=none on an address other machines can reach: anyone who reaches it can call the tools"] : []),
      ...users,
      `  Tools          ${serverDefinition.tools.map((tool) => tool.name).join(", ")}`,
      `  Resources      ${(serverDefinition.resources ?? []).map((resource) => ("uriTemplate" in resource ? resource.uriTemplate : resource.uri)).join(", ")}`,
      `  Prompts        ${(serverDefinition.prompts ?? []).map((prompt) => prompt.name).join(", ")}`,
      `  Telemetry      ${telemetryLine(config.telemetry)}`,
      ...remoteServers.map((server) => `  Remote server  ${server.name} at ${server.url.href}: its tools are listed as ${server.prefix}<tool>${server.name === "demo" ? " (demo_whoami)" : ""}`),
      "",
      "  VS Code        add to .vscode/mcp.json:",
      `                 { "servers": { "local-kit": { "type": "http", "url": "${mcpUrl}" } } }`,
      `  MCP Inspector  npx @modelcontextprotocol/inspector@latest --server-url ${mcpUrl}   (Node 22.19+; switch the server on` +
        (config.authMode === "none" ? ")" : ", then Allow and sign in in the browser)"),
      ...(local.services === undefined
        ? []
        : [
            `  A token        ${entraPortPrefix}npm run token -- alice   (prints an access token for curl as its last line)`,
            `  Step-up        ${entraPortPrefix}npm run stand-in -- consent withdraw alice User.Read   (then call graph_me: the client re-authorizes)`,
          ]),
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
    Promise.all([host.close().then(stopTelemetry), local.services?.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

function isLoopbackAddress(address: string): boolean {
  return address === "::1" || /^127\./.test(address);
}

function isUnspecifiedAddress(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    const port = (error as { port?: number }).port;
    console.error(`Port ${port ?? "?"} is already in use (another npm start?). Choose other ports with PORT (the app, 7071) and DEV_ENTRA_PORT, DEV_GRAPH_PORT, DEV_IDENTITY_PORT, DEV_DEMO_PORT (the stand-ins, 7443-7446).`);
  } else {
    // A setting, a remote server or an OpenAPI document the tools are generated from: the message names it; a stack would only hide it.
    const named = error instanceof ConfigError || error instanceof RemoteServerError || (error as { code?: unknown } | undefined)?.code === "OPENAPI_DOCUMENT_REFUSED";
    console.error(named ? `Configuration error: ${(error as Error).message}` : error);
  }
  process.exit(1);
});
