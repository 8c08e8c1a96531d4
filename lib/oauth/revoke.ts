/**
 * POST /revoke: token revocation (RFC 7009) for the facade's refresh tokens.
 *
 * The facade keeps no table of tokens, so revoking one puts its family (the
 * sign-in it descends from, every refresh token of it) on the deny-list of
 * the refresh-token ledger, which every instance checks at /token, until
 * the longest a token of that family could still live. The Entra refresh
 * token sealed inside stays valid at Entra until its own expiry, but nobody
 * can use it: only the facade can read it, and the facade refuses the family.
 *
 * Access tokens are Entra's own JWTs, checked at /mcp by signature and expiry
 * alone; the facade cannot recall them, so it says so (`unsupported_token_type`,
 * RFC 7009 section 2.2.1) rather than answering as if it had. They lapse by
 * themselves (Entra's default lifetime: 60 to 90 minutes).
 *
 * Clients authenticate as at /token: public clients by client_id; a token
 * issued to another client is refused and stays valid. Anything that is not
 * one of our refresh tokens (garbage, expired, tampered, a code) is answered
 * 200 with nothing done, as RFC 7009 section 2.2 asks.
 */
import { decodeProtectedHeader } from "jose";
import { CORS_HEADERS, corsPreflight, jsonResponse, type WebHandler } from "../http.js";
import { readPublicClientForm, requiredParameter } from "./client-request.js";
import { OAuthFailure, oauthErrorResponse } from "./errors.js";
import type { Facade } from "./facade.js";
import { LedgerUnavailableError, derivedFamilyId } from "./refresh-ledger.js";
import type { RefreshGrant } from "./token.js";

export function revokeHandler(facade: Facade): WebHandler {
  return async (request, context) => {
    if (request.method === "OPTIONS") return corsPreflight();
    try {
      const form = await readPublicClientForm(request);
      const token = requiredParameter(form, "token");
      const clientId = requiredParameter(form, "client_id");
      // token_type_hint is only a hint (RFC 7009 section 2.1): every token is looked at as what it is.
      let grant: RefreshGrant;
      try {
        grant = await (await facade.sealer()).unseal<RefreshGrant>("refresh", token);
      } catch {
        if (isJws(token)) throw new OAuthFailure("unsupported_token_type", "Access tokens are Entra's and cannot be revoked here; they expire by themselves. Revoke the refresh token.");
        context.log.info("oauth.revoke_ignored", { reason: "not_a_refresh_token" });
        return revoked();
      }
      if (grant.c !== clientId) throw new OAuthFailure("unauthorized_client", "The token was issued to another client.");
      try {
        await facade.refresh.ledger.revokeFamily(grant.f ?? derivedFamilyId(token));
      } catch (error) {
        if (error instanceof LedgerUnavailableError) throw new OAuthFailure("temporarily_unavailable", "The revocation cannot be recorded right now; retry shortly.", 5);
        throw error;
      }
      context.log.info("oauth.refresh_family_revoked", { store: facade.refresh.ledger.storeKind });
      return revoked();
    } catch (error) {
      if (error instanceof OAuthFailure) {
        context.log.info("oauth.revoke_refused", { error: error.error, description: error.description });
        return oauthErrorResponse(error);
      }
      throw error;
    }
  };
}

function revoked(): Response {
  return jsonResponse(200, {}, { ...CORS_HEADERS, Pragma: "no-cache" });
}

/** Whether `token` is a signed JWT (an access or ID token) rather than anything the facade sealed (which is encrypted). */
function isJws(token: string): boolean {
  if (token.split(".").length !== 3) return false;
  try {
    const header = decodeProtectedHeader(token);
    return typeof header.alg === "string" && header.alg !== "none" && header.alg !== "dir";
  } catch {
    return false;
  }
}
