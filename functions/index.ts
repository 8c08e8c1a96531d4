/**
 * Entry point of the function app (`main` in package.json): registers every
 * endpoint of the route table with the Azure Functions host.
 *
 * Settings are validated here, at startup: a bad setting stops the app with a
 * message naming it instead of failing the first request.
 */
import { createRequire } from "node:module";
import { loadConfig } from "../lib/config.js";
import { consoleSink, createLogger } from "../lib/log.js";
import { serverDefinition } from "../tools/index.js";
import { createEndpoints } from "./app.js";

// @azure/functions is one large CommonJS file. Imported from ESM, Node first scans its source for
// named exports (cjs-module-lexer), which made loading it cost three times what `require` costs
// (bench/README.md, cold start); the module object is the same either way.
const { app } = createRequire(import.meta.url)("@azure/functions") as typeof import("@azure/functions");
const config = loadConfig(process.env);
const log = createLogger(config.logLevel, consoleSink);

// Streaming lets SSE responses (progress notifications) reach the client as they are written.
app.setup({ enableHttpStream: true });

for (const endpoint of createEndpoints({ config, server: serverDefinition, log })) {
  app.http(endpoint.name, {
    route: endpoint.route,
    methods: [...endpoint.methods],
    authLevel: "anonymous",
    handler: endpoint.handler,
  });
}
