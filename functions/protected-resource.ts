import { toHttpHandler } from "../lib/adapter/azure-functions.js";
import type { ProtectedResource } from "../lib/auth/protected-resource.js";
import type { HostedEndpoint } from "../lib/host/server.js";
import { CORS_HEADERS, corsPreflight, jsonResponse } from "../lib/http.js";
import type { AppContext } from "./app.js";

/**
 * GET /.well-known/oauth-protected-resource and /.well-known/oauth-protected-resource/mcp:
 * RFC 9728 metadata, at the root and in the path-insertion form for /mcp.
 */
export function protectedResourceEndpoints(app: AppContext, resource: ProtectedResource): HostedEndpoint[] {
  const handler = toHttpHandler(async (request) => {
    if (request.method === "OPTIONS") return corsPreflight();
    return jsonResponse(200, resource.metadata(), { ...CORS_HEADERS, "Cache-Control": "public, max-age=3600" });
  }, app.config.logLevel);
  return [
    { name: "protectedResourceMetadata", route: ".well-known/oauth-protected-resource", methods: ["GET", "OPTIONS"], handler },
    { name: "protectedResourceMetadataMcp", route: ".well-known/oauth-protected-resource/mcp", methods: ["GET", "OPTIONS"], handler },
  ];
}
