/**
 * The authentication gate in front of `/mcp`: every request must carry one
 * valid Entra v2 access token for this app.
 *
 * - No token: 401 with a challenge naming the metadata document and the scope
 *   to request, and no error code (RFC 6750 section 3.1: the client simply
 *   did not authenticate yet).
 * - Malformed header or bad token: 401 `error="invalid_token"`.
 * - A valid user token without the API's base scope (the first of
 *   ENTRA_API_SCOPES) in `scp`: 403 `error="insufficient_scope"`. Any app in
 *   an allowed tenant can get a token for this API, an app-only one
 *   (client credentials, no `scp`) included; only the base scope shows that a
 *   user delegated access to this server. An app-only token passes only as
 *   the app caller policy says (APP_CALLERS, app roles the tools require:
 *   app-callers.ts). Per-tool requirements come after.
 * - Signing keys unreachable with none cached: 503 with `Retry-After`; the
 *   token may well be fine, so 401 would send the client into a useless
 *   sign-in loop.
 */
import type { AuthInfo } from "@modelcontextprotocol/server";
import { jsonResponse, type RequestContext } from "../http.js";
import { InvalidTokenError, type AccessTokenValidator, type ValidatedToken } from "../entra/access-token.js";
import { SigningKeysUnavailableError } from "../entra/signing-keys.js";
import type { AppCallerPolicy } from "./app-callers.js";
import { traceTokenValidation } from "../telemetry/index.js";
import { readBearer } from "./bearer.js";
import { callerOf, isAppOnly } from "./caller.js";
import type { ProtectedResource } from "./protected-resource.js";

/** Where the validated token travels inside the SDK's AuthInfo. */
export const VALIDATED_TOKEN = "mcpFunctionsKit.validatedToken";

/** Seconds a client should wait after a 503 before retrying. */
const RETRY_AFTER_SECONDS = 5;

export type Gate = (request: Request, context: RequestContext) => Promise<AuthInfo | Response>;

/** The validated token a request carried, from the SDK's AuthInfo. */
export function validatedTokenOf(authInfo: AuthInfo | undefined): ValidatedToken | undefined {
  return authInfo?.extra?.[VALIDATED_TOKEN] as ValidatedToken | undefined;
}

/**
 * Creates the gate.
 *
 * @example
 * const outcome = await gate(request, context);
 * if (outcome instanceof Response) return outcome; // 401 / 503
 * handler.fetch(request, { authInfo: outcome });
 */
export function createGate(resource: ProtectedResource, validator: AccessTokenValidator, appCallers?: AppCallerPolicy): Gate {
  return async (request, context) => {
    const credential = readBearer(request.headers);
    if (credential.kind === "missing") return challenge(resource);
    if (credential.kind === "malformed") {
      context.log.info("auth.refused", { reason: credential.reason });
      return challenge(resource, credential.reason);
    }
    let token: ValidatedToken;
    try {
      token = await traceTokenValidation(() => validator.validate(credential.token));
    } catch (error) {
      if (error instanceof InvalidTokenError) {
        context.log.info("auth.refused", { reason: error.description });
        return challenge(resource, error.description);
      }
      if (error instanceof SigningKeysUnavailableError) {
        context.log.warn("auth.keys_unavailable", { error: error.cause });
        return jsonResponse(
          503,
          { error: "temporarily_unavailable", error_description: "Entra's signing keys cannot be fetched right now; retry shortly." },
          { "Retry-After": String(RETRY_AFTER_SECONDS) },
        );
      }
      throw error;
    }
    const baseScope = resource.settings.apiScopes[0];
    if (isAppOnly(token)) {
      if (appCallers?.admits(token) !== true) {
        context.log.info("auth.refused", { reason: "app-only caller not allowed (APP_CALLERS, or an app role a tool requires)", caller: callerOf(token), roles: token.roles });
        return insufficientScopeResponse(resource, resource.baseScopes, `App-only tokens are not accepted from this application: sign in as a user and request ${baseScope}.`);
      }
    } else if (!token.scopes.includes(baseScope)) {
      context.log.info("auth.refused", { reason: "base scope missing", caller: callerOf(token), scopes: token.scopes });
      return insufficientScopeResponse(resource, resource.baseScopes, `The token lacks the ${baseScope} scope.`);
    }
    return {
      token: token.token,
      clientId: token.clientId ?? "",
      scopes: token.scopes.map((name) => resource.clientScope(name)),
      expiresAt: token.expiresAt,
      resource: new URL(resource.resource),
      resourceMetadataUrl: resource.metadataUrl,
      extra: { [VALIDATED_TOKEN]: token },
    };
  };
}

/**
 * 401 `invalid_token` for a token that passed the gate but that Entra then
 * refused (expired or revoked meanwhile): the client refreshes and retries.
 */
export function invalidTokenResponse(resource: ProtectedResource, description: string): Response {
  return challenge(resource, description);
}

function challenge(resource: ProtectedResource, invalidTokenDescription?: string): Response {
  const parameters =
    invalidTokenDescription === undefined
      ? [`resource_metadata="${quoted(resource.metadataUrl)}"`, `scope="${quoted(resource.baseScopes.join(" "))}"`]
      : [
          `error="invalid_token"`,
          `error_description="${quoted(invalidTokenDescription)}"`,
          `resource_metadata="${quoted(resource.metadataUrl)}"`,
          `scope="${quoted(resource.baseScopes.join(" "))}"`,
        ];
  return jsonResponse(
    401,
    invalidTokenDescription === undefined
      ? { error: "unauthorized", error_description: "Sign in: this server needs an Entra access token." }
      : { error: "invalid_token", error_description: invalidTokenDescription },
    { "WWW-Authenticate": `Bearer ${parameters.join(", ")}` },
  );
}

/**
 * 403 `insufficient_scope` naming every scope the request needs, in client
 * form (the MCP step-up challenge): the client asks for them all and retries.
 */
export function insufficientScopeResponse(resource: ProtectedResource, scopes: readonly string[], description: string): Response {
  const parameters = [
    `error="insufficient_scope"`,
    `error_description="${quoted(description)}"`,
    `resource_metadata="${quoted(resource.metadataUrl)}"`,
    `scope="${quoted(scopes.join(" "))}"`,
  ];
  return jsonResponse(403, { error: "insufficient_scope", error_description: description }, { "WWW-Authenticate": `Bearer ${parameters.join(", ")}` });
}

function quoted(value: string): string {
  return value.replaceAll(/[\\"]/g, "\\$&").replaceAll(/[^\u0020-\u007E]/g, " ");
}
