import { toHttpHandler } from "../lib/adapter/azure-functions.js";
import type { HostedEndpoint } from "../lib/host/server.js";
import { jsonResponse } from "../lib/http.js";
import type { AppContext } from "./app.js";

/** GET /health: liveness only. It says nothing about configuration, versions or dependencies. */
export function healthEndpoint(app: AppContext): HostedEndpoint {
  return {
    name: "health",
    route: "health",
    methods: ["GET"],
    handler: toHttpHandler(async () => jsonResponse(200, { status: "ok" }), app.config.logLevel),
  };
}
