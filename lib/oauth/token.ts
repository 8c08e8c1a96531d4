/**
 * POST /token: the authorization_code and refresh_token grants for public
 * clients (PKCE, no client secret).
 *
 * The access token the client gets is Entra's own v2 token for this API, so
 * `/mcp` validates it like any other. The refresh token the client gets wraps
 * Entra's, bound to the client it was issued to. Entra refresh tokens are not
 * single-use, so two concurrent refreshes with the same token both succeed.
 */
import { CORS_HEADERS, corsPreflight, jsonResponse, type RequestContext, type WebHandler } from "../http.js";
import { EntraError } from "../entra/errors.js";
import { sameResource } from "./authorize.js";
import type { AuthorizationCode } from "./callback.js";
import { OAuthFailure, oauthErrorResponse } from "./errors.js";
import type { Facade } from "./facade.js";
import { LIFETIMES } from "./facade.js";
import { ParameterError, readForm, type Parameters } from "./forms.js";
import { verifierMatches } from "./pkce.js";
import { InvalidScopeError, redemptionScopes, refreshedApiScopes, refreshScopes, reportedScope } from "./scopes.js";

/** Our refresh token: Entra's, plus the client and scopes it belongs to. Sealed as `refresh`. */
interface RefreshGrant {
  readonly c: string;
  readonly s: string[];
  /** Entra's refresh token. */
  readonly rt: string;
}

export function tokenHandler(facade: Facade): WebHandler {
  return async (request, context) => {
    if (request.method === "OPTIONS") return corsPreflight();
    try {
      if (request.headers.has("authorization")) {
        throw new OAuthFailure("invalid_client", "This server registers public clients only; authenticate with PKCE, not client credentials.");
      }
      let form: Parameters;
      try {
        form = await readForm(request);
      } catch (error) {
        throw new OAuthFailure("invalid_request", error instanceof ParameterError ? error.message : "The request is malformed.");
      }
      const clientId = required(form, "client_id");
      const resource = form.get("resource");
      if (resource !== undefined && !sameResource(resource, facade.resource)) {
        throw new OAuthFailure("invalid_target", `This server issues tokens only for ${facade.resource}.`);
      }
      switch (form.get("grant_type")) {
        case "authorization_code":
          return await redeemCode(facade, form, clientId, request, context);
        case "refresh_token":
          return await refresh(facade, form, clientId, request, context);
        case undefined:
          throw new OAuthFailure("invalid_request", "grant_type is required.");
        default:
          throw new OAuthFailure("unsupported_grant_type", "Only authorization_code and refresh_token are supported.");
      }
    } catch (error) {
      if (error instanceof OAuthFailure) {
        context.log.info("oauth.token_refused", { error: error.error, description: error.description });
        return oauthErrorResponse(error);
      }
      throw error;
    }
  };
}

async function redeemCode(facade: Facade, form: Parameters, clientId: string, request: Request, context: RequestContext): Promise<Response> {
  const verifier = required(form, "code_verifier");
  const redirectUri = form.get("redirect_uri");
  let code: AuthorizationCode;
  try {
    code = await (await facade.sealer()).unseal<AuthorizationCode>("code", required(form, "code"));
  } catch (error) {
    if (error instanceof OAuthFailure) throw error;
    throw new OAuthFailure("invalid_grant", "The authorization code is invalid or expired.");
  }
  if (code.c !== clientId) throw new OAuthFailure("invalid_grant", "The authorization code was issued to another client.");
  // RFC 6749 section 4.1.3: redirect_uri is required here, and must match, if the authorization request carried it.
  if (redirectUri === undefined && code.ro !== 1) throw new OAuthFailure("invalid_request", "redirect_uri is required.");
  if (redirectUri !== undefined && code.r !== redirectUri) throw new OAuthFailure("invalid_grant", "redirect_uri does not match the authorization request.");
  if (!verifierMatches(verifier, code.cc)) throw new OAuthFailure("invalid_grant", "code_verifier does not match the code_challenge.");

  const tokens = await callEntra(
    facade,
    {
      grant_type: "authorization_code",
      code: code.ec,
      redirect_uri: facade.callbackUrl,
      code_verifier: code.ev,
      scope: redemptionScopes(code.s, facade.api).join(" "),
    },
    request.signal,
  );
  context.log.info("oauth.code_redeemed", { scopes: code.s });
  return tokenResponse(facade, clientId, code.s, tokens);
}

async function refresh(facade: Facade, form: Parameters, clientId: string, request: Request, context: RequestContext): Promise<Response> {
  let grant: RefreshGrant;
  try {
    grant = await (await facade.sealer()).unseal<RefreshGrant>("refresh", required(form, "refresh_token"));
  } catch (error) {
    if (error instanceof OAuthFailure) throw error;
    throw new OAuthFailure("invalid_grant", "The refresh token is invalid or expired.");
  }
  if (grant.c !== clientId) throw new OAuthFailure("invalid_grant", "The refresh token was issued to another client.");
  let scopes: string[];
  try {
    scopes = refreshedApiScopes(form.get("scope"), grant.s, facade.api, facade.downstreamNames);
  } catch (error) {
    if (error instanceof InvalidScopeError) throw new OAuthFailure("invalid_scope", error.message);
    throw error;
  }
  const tokens = await callEntra(facade, { grant_type: "refresh_token", refresh_token: grant.rt, scope: refreshScopes(scopes, facade.api).join(" ") }, request.signal);
  context.log.info("oauth.refreshed", { scopes });
  // Entra usually returns a new refresh token; when it does not, the old one stays valid.
  return tokenResponse(facade, clientId, grant.s, { ...tokens, refreshToken: tokens.refreshToken ?? grant.rt }, scopes);
}

async function tokenResponse(
  facade: Facade,
  clientId: string,
  grantedScopes: string[],
  tokens: { accessToken: string; refreshToken: string | undefined; expiresIn: number },
  reported: string[] = grantedScopes,
): Promise<Response> {
  const refreshToken =
    tokens.refreshToken === undefined
      ? undefined
      : await (await facade.sealer()).seal("refresh", { c: clientId, s: grantedScopes, rt: tokens.refreshToken }, LIFETIMES.refresh);
  return jsonResponse(
    200,
    {
      access_token: tokens.accessToken,
      token_type: "Bearer",
      expires_in: tokens.expiresIn,
      scope: reportedScope(reported),
      ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
    },
    { ...CORS_HEADERS, Pragma: "no-cache" },
  );
}

async function callEntra(facade: Facade, grant: Record<string, string>, signal: AbortSignal): Promise<{ accessToken: string; refreshToken: string | undefined; expiresIn: number }> {
  try {
    return await facade.entra.tokens.request(grant, signal);
  } catch (error) {
    if (!(error instanceof EntraError)) throw error;
    switch (error.failure) {
      case "throttled":
      case "unavailable":
        throw new OAuthFailure("temporarily_unavailable", "The identity provider is unavailable; retry shortly.", error.details.retryAfterSeconds ?? 5);
      case "invalid_client":
        // The app registration or its credential is wrong: the operator must fix it; the log says what Entra said.
        throw new OAuthFailure("server_error", "The server cannot sign users in right now because of its own configuration.");
      case "consent_required":
        throw new OAuthFailure("invalid_grant", "Consent is missing; sign in again (an administrator may need to grant consent).");
      case "interaction_required":
        throw new OAuthFailure("invalid_grant", "The sign-in must be repeated (for example for multi-factor authentication).");
      default:
        throw new OAuthFailure("invalid_grant", "The grant is invalid, expired or already used.");
    }
  }
}

function required(form: Parameters, name: string): string {
  const value = form.get(name);
  if (value === undefined || value === "") throw new OAuthFailure("invalid_request", `${name} is required.`);
  return value;
}
