/**
 * OAuth error answers (RFC 6749 sections 4.1.2.1 and 5.2, RFC 8707): JSON at
 * the token and registration endpoints, a redirect to the client once its
 * redirect URI is validated, our own error page before that.
 */
import { CORS_HEADERS, jsonResponse } from "../http.js";

export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "unsupported_response_type"
  | "invalid_scope"
  | "invalid_target"
  | "access_denied"
  | "interaction_required"
  | "server_error"
  | "temporarily_unavailable"
  | "invalid_redirect_uri"
  | "invalid_client_metadata"
  | "unsupported_token_type";

/** An OAuth error to answer with. `description` is shown to clients: never Entra's text. */
export class OAuthFailure extends Error {
  readonly code = "OAUTH_FAILURE";
  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(`${error}: ${description}`);
    this.name = "OAuthFailure";
  }
}

const STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  server_error: 500,
  temporarily_unavailable: 503,
};

/** The JSON error of the token and registration endpoints, uncacheable, with CORS for browser clients. */
export function oauthErrorResponse(failure: OAuthFailure): Response {
  return jsonResponse(
    STATUS[failure.error] ?? 400,
    { error: failure.error, error_description: failure.description },
    {
      ...CORS_HEADERS,
      Pragma: "no-cache",
      ...(failure.retryAfterSeconds === undefined ? {} : { "Retry-After": String(failure.retryAfterSeconds) }),
      ...(failure.error === "invalid_client" ? { "WWW-Authenticate": 'Basic realm="token"' } : {}),
    },
  );
}

/** Redirects the browser to a validated client redirect URI with `params` (plus `iss`, RFC 9207). */
export function redirectToClient(redirectUri: string, params: Record<string, string | undefined>, issuer: string, headers?: Headers): Response {
  const target = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) target.searchParams.set(name, value);
  target.searchParams.set("iss", issuer);
  const responseHeaders = headers ?? new Headers();
  responseHeaders.set("Location", target.href);
  responseHeaders.set("Cache-Control", "no-store");
  responseHeaders.set("Referrer-Policy", "no-referrer");
  return new Response(null, { status: 303, headers: responseHeaders });
}
