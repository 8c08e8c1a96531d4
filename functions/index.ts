/**
 * Entry point of the function app (`main` in package.json): registers every
 * endpoint of the route table with the Azure Functions host.
 *
 * Settings are validated here, at startup: a bad setting (or a remote server
 * the kit cannot call) stops the app with a message naming it instead of
 * failing the first request.
 */
import { createRequire } from "node:module";
import { loadConfig } from "../lib/config.js";
import { resolveRemoteServers } from "../lib/gateway/index.js";
import { consoleSink, createLogger } from "../lib/log.js";
import { startTelemetry, stopTelemetry } from "../lib/telemetry/index.js";
import { serverDefinition, servers } from "../tools/index.js";
import { createEndpoints } from "./app.js";

// @azure/functions is one large CommonJS file. Imported from ESM, Node first scans its source for
// named exports (cjs-module-lexer), which made loading it cost three times what `require` costs
// (bench/README.md, cold start); the module object is the same either way.
const { app } = createRequire(import.meta.url)("@azure/functions") as typeof import("@azure/functions");
const config = loadConfig(process.env);
const log = createLogger(config.logLevel, consoleSink);
// In the background: nothing of OpenTelemetry loads at import; invocations before it is loaded go untraced.
void startTelemetry(config.telemetry, log);
app.hook.appTerminate(() => stopTelemetry());

// Streaming lets SSE responses (progress notifications) reach the client as they are written.
app.setup({ enableHttpStream: true });

// Remote servers without declared scopes are read from their metadata here, so a server the kit
// cannot call On-Behalf-Of the user stops the app at startup, naming it.
const remoteServers = await resolveRemoteServers(servers, { entra: config.entra, runningInAzure: config.runningInAzure });

for (const endpoint of createEndpoints({ config, server: { ...serverDefinition, remoteServers }, log })) {
  app.http(endpoint.name, {
    route: endpoint.route,
    methods: [...endpoint.methods],
    authLevel: "anonymous",
    handler: endpoint.handler,
  });
}
