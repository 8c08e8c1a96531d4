/**
 * `npm start`: the function app on the local host at http://localhost:7071
 * (PORT overrides), signed in through the local Entra stand-in. No Azure
 * account and no Core Tools needed.
 *
 * Unless Entra settings are given (ENTRA_TENANT_ID / ENTRA_CLIENT_ID), the
 * local stand-ins start too (Entra on https://localhost:7443, a fake Graph on
 * :7444, a fake managed identity endpoint on :7445; DEV_ENTRA_PORT,
 * DEV_GRAPH_PORT and DEV_IDENTITY_PORT override) and the app is pointed at
 * them in proxy mode. `AUTH_MODE=none npm start` serves without sign-in.
 *
 * Run through scripts/with-dev-tls (npm start does), so that this process
 * trusts the stand-ins' development certificate.
 */
import { createEndpoints } from "../functions/app.js";
import { ConfigError, loadConfig, type Environment } from "../lib/config.js";
import { createLocalHost } from "../lib/host/server.js";
import { consoleSink, createLogger } from "../lib/log.js";
import { createSecretSource } from "../lib/secrets/index.js";
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
    },
  };
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
  const host = createLocalHost({
    endpoints: createEndpoints({ config, server: { ...serverInfo, tools }, log, secrets: createSecretSource({ settings: config.secrets, log }) }),
  });
  await host.listen(config.port);

  const mcpUrl = config.mcpUrl.href;
  const signIn =
    config.authMode === "none"
      ? "none (AUTH_MODE=none): anyone who can reach this port can call the tools"
      : `${config.authMode} mode${local.services === undefined ? "" : `, through the local Entra stand-in at ${local.services.entra.origin}`}`;
  const users = local.services === undefined ? [] : ["  Dev users      " + Object.values(DEV_USERS).filter((u) => u.upn.endsWith("contoso.example")).map((u) => u.alias).join(", ") + " (pick one on the stand-in's sign-in page)"];
  console.log(
    [
      "",
      "MCP Functions Kit is running locally.",
      "",
      `  MCP endpoint   ${mcpUrl}`,
      `  Sign-in        ${signIn}`,
      ...users,
      `  Tools          ${tools.map((tool) => tool.name).join(", ")}`,
      "",
      "  VS Code        add to .vscode/mcp.json:",
      `                 { "servers": { "local-kit": { "type": "http", "url": "${mcpUrl}" } } }`,
      "  MCP Inspector  npx @modelcontextprotocol/inspector, transport Streamable HTTP, URL above" + (config.authMode === "none" ? "" : ", then Open Auth Settings → Quick OAuth Flow"),
      ...(local.services === undefined
        ? []
        : [`  A token        ${process.env["DEV_ENTRA_PORT"] ? `DEV_ENTRA_PORT=${process.env["DEV_ENTRA_PORT"]} ` : ""}npm run token -- alice   (prints an access token for curl as its last line)`]),
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
    Promise.all([host.close(), local.services?.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "EADDRINUSE") {
    const port = (error as { port?: number }).port;
    console.error(`Port ${port ?? "?"} is already in use (another npm start?). Choose other ports with PORT (the app, 7071) and DEV_ENTRA_PORT, DEV_GRAPH_PORT, DEV_IDENTITY_PORT (the stand-ins, 7443-7445).`);
  } else {
    // A setting or an OpenAPI document the tools are generated from: the message names it; a stack would only hide it.
    const named = error instanceof ConfigError || (error as { code?: unknown } | undefined)?.code === "OPENAPI_DOCUMENT_REFUSED";
    console.error(named ? `Configuration error: ${(error as Error).message}` : error);
  }
  process.exit(1);
});
