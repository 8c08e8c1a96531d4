/**
 * `/{tenant}/v2.0/.well-known/openid-configuration` and
 * `/{tenant}/discovery/v2.0/keys`, shaped like Entra's.
 *
 * For `common` and `organizations` the issuer is the template
 * `https://<host>/{tenantid}/v2.0`, which a validator must fill with the
 * token's own `tid`, exactly as with Entra. Like Entra, the document does
 * not list `code_challenge_methods_supported` even though S256 works: MCP
 * clients that insist on it need the kit's facade (proxy mode).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "../http.js";
import type { RequestRecord } from "./activity.js";
import type { StandInContext, TenantScope } from "./context.js";
import { applyTransportFaults } from "./respond.js";

/** The openid-configuration document for a tenant path segment. */
export function openIdConfiguration(context: StandInContext, scope: TenantScope): Record<string, unknown> {
  const origin = context.origin();
  const base = `${origin}/${scope.segment}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: scope.kind === "tenant" ? context.tokens.v2Issuer(scope.tenant.id) : `${origin}/{tenantid}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub",
      "iss",
      "cloud_instance_name",
      "cloud_instance_host_name",
      "cloud_graph_host_name",
      "msgraph_host",
      "aud",
      "exp",
      "iat",
      "auth_time",
      "acr",
      "nonce",
      "preferred_username",
      "name",
      "tid",
      "ver",
      "at_hash",
      "c_hash",
      "email",
    ],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: scope.kind === "tenant" ? "EU" : null,
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

/** Serves the openid-configuration document (after transport faults). */
export async function handleDiscovery(context: StandInContext, scope: TenantScope, request: IncomingMessage, response: ServerResponse, record: RequestRecord): Promise<void> {
  if (await applyTransportFaults(context, { endpoint: "discovery", tenant: scope.segment }, request, response, record)) return;
  record.status = 200;
  sendJson(response, 200, openIdConfiguration(context, scope), { "Cache-Control": "max-age=86400, private", Pragma: "" });
}

/** Serves the JWKS (after transport faults). */
export async function handleJwks(context: StandInContext, scope: TenantScope, request: IncomingMessage, response: ServerResponse, record: RequestRecord): Promise<void> {
  if (await applyTransportFaults(context, { endpoint: "jwks", tenant: scope.segment }, request, response, record)) return;
  const issuer = scope.kind === "tenant" ? context.tokens.v2Issuer(scope.tenant.id) : `${context.origin()}/{tenantid}/v2.0`;
  record.status = 200;
  sendJson(response, 200, await context.keyring.jwks(issuer), { "Cache-Control": "max-age=86400, private", Pragma: "" });
}
