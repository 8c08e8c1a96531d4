/** GET /.well-known/oauth-authorization-server (RFC 8414), also served as /.well-known/openid-configuration. */
import { CORS_HEADERS, corsPreflight, jsonResponse, type WebHandler } from "../http.js";
import type { Facade } from "./facade.js";

/** The facade's authorization server metadata. */
export function authorizationServerMetadata(facade: Facade): Record<string, unknown> {
  return {
    issuer: facade.issuer,
    authorization_endpoint: `${facade.issuer}/authorize`,
    token_endpoint: `${facade.issuer}/token`,
    registration_endpoint: `${facade.issuer}/register`,
    revocation_endpoint: `${facade.issuer}/revoke`,
    revocation_endpoint_auth_methods_supported: ["none"],
    response_types_supported: ["code"],
    response_modes_supported: ["query"],
    grant_types_supported: ["authorization_code", "refresh_token"],
    code_challenge_methods_supported: ["S256"],
    token_endpoint_auth_methods_supported: ["none"],
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
    scopes_supported: [...facade.api.names, "offline_access"],
  };
}

export function metadataHandler(facade: Facade): WebHandler {
  return async (request) => {
    if (request.method === "OPTIONS") return corsPreflight();
    return jsonResponse(200, authorizationServerMetadata(facade), { ...CORS_HEADERS, "Cache-Control": "public, max-age=3600" });
  };
}
