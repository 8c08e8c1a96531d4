/**
 * POST /token: the authorization_code and refresh_token grants for public
 * clients (PKCE, no client secret).
 *
 * The access token the client gets is Entra's own v2 token for this API, so
 * `/mcp` validates it like any other. The refresh token the client gets wraps
 * Entra's, bound to the client it was issued to and to its family (the
 * sign-in it descends from). Ours are single use (refresh-ledger.ts): each
 * refresh returns a new one, a repeat within the grace window gets the same
 * answer again, and a replay after it revokes the family. Entra's own refresh
 * tokens, inside, are not single use; the facade simply never uses one twice
 * except for such a repeat.
 */
import { CORS_HEADERS, corsPreflight, jsonResponse, type RequestContext, type WebHandler } from "../http.js";
import { EntraError } from "../entra/errors.js";
import { sameResource } from "./authorize.js";
import type { AuthorizationCode } from "./callback.js";
import { OAuthFailure, oauthErrorResponse } from "./errors.js";
import type { Facade } from "./facade.js";
import { readPublicClientForm, requiredParameter as required } from "./client-request.js";
import type { Parameters } from "./forms.js";
import { verifierMatches } from "./pkce.js";
import { derivedFamilyId, LedgerUnavailableError, type PresentedRefreshToken, type RotateOptions, type Rotation, type TokenResponseBody } from "./refresh-ledger.js";
import { InvalidScopeError, redemptionScopes, refreshedApiScopes, refreshScopes, reportedScope } from "./scopes.js";

/** Our refresh token: Entra's, plus the client, scopes and family it belongs to. Sealed as `refresh`. */
export interface RefreshGrant {
  readonly c: string;
  readonly s: string[];
  /** Entra's refresh token. */
  readonly rt: string;
  /** The family: one id for a sign-in and every refresh token descending from it. Absent in tokens sealed before rotation existed. */
  readonly f?: string;
}

export function tokenHandler(facade: Facade): WebHandler {
  return async (request, context) => {
    if (request.method === "OPTIONS") return corsPreflight();
    try {
      const form = await readPublicClientForm(request);
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
  const presented = required(form, "code");
  let code: AuthorizationCode & { exp: number };
  try {
    code = await (await facade.sealer()).unseal<AuthorizationCode>("code", presented);
  } catch (error) {
    if (error instanceof OAuthFailure) throw error;
    throw new OAuthFailure("invalid_grant", "The authorization code is invalid or expired.");
  }
  if (code.c !== clientId) throw new OAuthFailure("invalid_grant", "The authorization code was issued to another client.");
  // RFC 6749 section 4.1.3: redirect_uri is required here, and must match, if the authorization request carried it.
  if (redirectUri === undefined && code.ro !== 1) throw new OAuthFailure("invalid_request", "redirect_uri is required.");
  if (redirectUri !== undefined && code.r !== redirectUri) throw new OAuthFailure("invalid_grant", "redirect_uri does not match the authorization request.");
  if (!verifierMatches(verifier, code.cc)) throw new OAuthFailure("invalid_grant", "code_verifier does not match the code_challenge.");

  // The sign-in's family comes from its code, so a second redemption finds the tokens the first one issued.
  const family = derivedFamilyId(presented);
  const rotation = await useOnce(
    facade,
    { value: presented, expiresOn: code.exp * 1000, family },
    async (signal) => {
      const tokens = await callEntra(
        facade,
        {
          grant_type: "authorization_code",
          code: code.ec,
          redirect_uri: facade.callbackUrl,
          code_verifier: code.ev,
          scope: redemptionScopes(code.s, facade.api).join(" "),
        },
        signal,
      );
      context.log.info("oauth.code_redeemed", { scopes: code.s });
      return tokenBody(facade, { clientId, grantedScopes: code.s, family }, tokens);
    },
    request.signal,
    { repeats: false },
  );
  if (rotation.outcome === "replayed") throw new OAuthFailure("invalid_grant", "The authorization code was already used, so the tokens issued for it are revoked; sign in again.");
  if (rotation.outcome === "revoked") throw new OAuthFailure("invalid_grant", "The authorization code is invalid or expired.");
  return tokenJson(rotation.body);
}

/** One use of a code or refresh token through the ledger; an unreachable ledger is a temporary failure, never a pass. */
async function useOnce(
  facade: Facade,
  token: PresentedRefreshToken,
  issue: (signal: AbortSignal) => Promise<TokenResponseBody>,
  signal: AbortSignal,
  options?: RotateOptions,
): Promise<Rotation> {
  try {
    return await facade.refresh.ledger.rotate(token, issue, signal, options);
  } catch (error) {
    if (error instanceof LedgerUnavailableError) throw new OAuthFailure("temporarily_unavailable", "The server cannot check codes and refresh tokens right now; retry shortly.", 5);
    throw error;
  }
}

async function refresh(facade: Facade, form: Parameters, clientId: string, request: Request, context: RequestContext): Promise<Response> {
  const presented = required(form, "refresh_token");
  let grant: RefreshGrant & { exp: number };
  try {
    grant = await (await facade.sealer()).unseal<RefreshGrant>("refresh", presented);
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
  const family = grant.f ?? derivedFamilyId(presented);
  const rotation = await useOnce(
    facade,
    { value: presented, expiresOn: grant.exp * 1000, family },
    async (signal) => {
      const tokens = await callEntra(facade, { grant_type: "refresh_token", refresh_token: grant.rt, scope: refreshScopes(scopes, facade.api).join(" ") }, signal);
      context.log.info("oauth.refreshed", { scopes });
      // Entra usually returns a new refresh token; when it does not, its old one goes into ours again.
      return tokenBody(facade, { clientId, grantedScopes: grant.s, family }, { ...tokens, refreshToken: tokens.refreshToken ?? grant.rt }, scopes);
    },
    request.signal,
  );
  switch (rotation.outcome) {
    case "revoked":
      throw new OAuthFailure("invalid_grant", "The refresh token has been revoked; sign in again.");
    case "replayed":
      throw new OAuthFailure("invalid_grant", "The refresh token was already used, so every refresh token of this sign-in is now revoked; sign in again.");
    case "rotated":
      if (rotation.repeated) context.log.info("oauth.refresh_repeated", { scopes });
      return tokenJson(rotation.repeated ? withAge(rotation.body, Date.now() - rotation.issuedAt) : rotation.body);
  }
}

/** Whom a new refresh token is for: the client, the scopes granted at sign-in, the family. */
interface RefreshBinding {
  readonly clientId: string;
  readonly grantedScopes: string[];
  readonly family: string;
}

async function tokenBody(
  facade: Facade,
  binding: RefreshBinding,
  tokens: { accessToken: string; refreshToken: string | undefined; expiresIn: number },
  reported: string[] = binding.grantedScopes,
): Promise<TokenResponseBody> {
  const sealed: RefreshGrant | undefined =
    tokens.refreshToken === undefined ? undefined : { c: binding.clientId, s: binding.grantedScopes, rt: tokens.refreshToken, f: binding.family };
  const refreshToken = sealed === undefined ? undefined : await (await facade.sealer()).seal("refresh", { ...sealed }, facade.refresh.idleSeconds);
  return {
    access_token: tokens.accessToken,
    token_type: "Bearer",
    expires_in: tokens.expiresIn,
    scope: reportedScope(reported),
    ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
  };
}

/** An answer handed out again `ageMs` after it was issued: the access token has that much less to live. */
function withAge(body: TokenResponseBody, ageMs: number): TokenResponseBody {
  const expiresIn = body["expires_in"];
  return typeof expiresIn === "number" ? { ...body, expires_in: Math.max(1, expiresIn - Math.floor(ageMs / 1000)) } : body;
}

function tokenJson(body: TokenResponseBody): Response {
  return jsonResponse(200, body, { ...CORS_HEADERS, Pragma: "no-cache" });
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

