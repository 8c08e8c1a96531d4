/**
 * GET /authorize: validates an authorization request and shows the consent
 * page (or, when this browser already approved this exact client and
 * redirect URI, goes straight to Entra).
 *
 * Until the client and its redirect URI are validated, every error is shown
 * on our own page: redirecting an error to an unvalidated URI would make the
 * facade an open redirector. After that, errors go back to the client as
 * RFC 6749 redirects.
 */
import type { WebHandler } from "../http.js";
import { downstreamGrant } from "./api-names.js";
import { hasApproval } from "./approvals.js";
import { UnknownClientError, type OAuthClient } from "./clients.js";
import { redirectToClient } from "./errors.js";
import type { Facade } from "./facade.js";
import { LIFETIMES } from "./facade.js";
import { ParameterError, readParameters, type Parameters } from "./forms.js";
import { consentPage, errorPage } from "./pages.js";
import { isS256Challenge } from "./pkce.js";
import { isLoopbackUrl, matchRedirectUri } from "./redirect-uris.js";
import { InvalidScopeError, requestedScopes, type RequestedScopes } from "./scopes.js";
import { downstreamScopesOfSignIn, redirectToEntra, type PendingAuthorization } from "./sign-in.js";

const MAX_STATE_LENGTH = 1024;

export function authorizeHandler(facade: Facade): WebHandler {
  return async (request, context) => {
    let parameters: Parameters;
    try {
      parameters = readParameters(new URL(request.url).searchParams);
    } catch (error) {
      return errorPage(400, "Invalid sign-in request", error instanceof ParameterError ? error.message : "The request is malformed.");
    }
    const clientId = parameters.get("client_id");
    if (clientId === undefined || clientId === "") return errorPage(400, "Invalid sign-in request", "The request names no client (client_id).");
    let client: OAuthClient;
    try {
      client = await facade.clients.resolve(clientId, request.signal);
    } catch (error) {
      if (!(error instanceof UnknownClientError)) throw error;
      context.log.info("oauth.authorize_refused", { reason: "unknown_client", detail: error.message });
      return errorPage(400, "Unknown application", error.message);
    }
    const requestedRedirect = parameters.get("redirect_uri");
    const redirectUri =
      requestedRedirect === undefined ? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined) : matchRedirectUri(requestedRedirect, client.redirectUris);
    if (redirectUri === undefined) {
      context.log.info("oauth.authorize_refused", { reason: "redirect_uri_mismatch", requested: requestedRedirect });
      return errorPage(
        400,
        "Invalid redirect address",
        requestedRedirect === undefined ? "The request must name its redirect_uri." : "The redirect_uri is not one this application registered.",
      );
    }

    // The redirect URI is now known to belong to the client: errors go back to it.
    const state = parameters.get("state");
    const fail = (error: string, description: string): Response => {
      context.log.info("oauth.authorize_refused", { reason: error, detail: description });
      return redirectToClient(redirectUri, { error, error_description: description, state }, facade.issuer);
    };
    if (state !== undefined && state.length > MAX_STATE_LENGTH) {
      // Not echoed: the redirect would carry back the very value refused for its size.
      context.log.info("oauth.authorize_refused", { reason: "invalid_request", detail: "state too long" });
      return redirectToClient(redirectUri, { error: "invalid_request", error_description: `state must be at most ${MAX_STATE_LENGTH} characters.` }, facade.issuer);
    }
    if (parameters.get("response_type") !== "code") return fail("unsupported_response_type", "Only response_type=code is supported.");
    const challenge = parameters.get("code_challenge");
    const method = parameters.get("code_challenge_method");
    if (challenge === undefined) return fail("invalid_request", "PKCE is required: send code_challenge with code_challenge_method=S256.");
    if (method !== "S256") return fail("invalid_request", "Only the S256 code_challenge_method is supported.");
    if (!isS256Challenge(challenge)) return fail("invalid_request", "code_challenge must be 43 base64url characters.");
    const resource = parameters.get("resource");
    if (resource !== undefined && !sameResource(resource, facade.resource)) {
      return fail("invalid_target", `This server issues tokens only for ${facade.resource}.`);
    }
    let scopes: RequestedScopes;
    try {
      scopes = requestedScopes(parameters.get("scope"), facade.api, facade.downstreamNames);
    } catch (error) {
      if (error instanceof InvalidScopeError) return fail("invalid_scope", error.message);
      throw error;
    }

    const pending: PendingAuthorization = {
      c: client.clientId,
      r: redirectUri,
      cc: challenge,
      s: scopes.api,
      ...(state === undefined ? {} : { st: state }),
      ...(requestedRedirect === undefined ? { ro: 1 as const } : {}),
      ...(scopes.downstream.length === 0 ? {} : { d: scopes.downstream }),
      ...(scopes.claims === undefined ? {} : { cl: scopes.claims }),
    };
    if (pending.d !== undefined || pending.cl !== undefined) {
      context.log.info("oauth.step_up_requested", { downstream: pending.d ?? [], claims: pending.cl !== undefined });
    }
    if (await hasApproval(facade, request, client.clientId, redirectUri)) {
      context.log.info("oauth.consent_remembered", { client: client.clientName, redirectHost: new URL(redirectUri).host });
      return redirectToEntra(facade, pending);
    }
    const sealedRequest = await (await facade.sealer()).seal("consent", { ...pending }, LIFETIMES.consent);
    const redirect = new URL(redirectUri);
    return consentPage({
      serverName: facade.serverName,
      clientName: client.clientName,
      verifiedHost: client.verifiedHost,
      redirect: { host: redirect.host, loopback: isLoopbackUrl(redirect), port: redirect.port, scheme: redirect.protocol },
      grants: describeGrants(facade, pending),
      sealedRequest,
    });
  };
}

/** Whether a `resource` value names this server (RFC 8707: an absolute URI without fragment). */
export function sameResource(value: string, resource: string): boolean {
  try {
    const url = new URL(value);
    return url.hash === "" && url.href === new URL(resource).href;
  } catch {
    return false;
  }
}

function describeGrants(facade: Facade, pending: PendingAuthorization): string[] {
  const grants = pending.s.map((scope, index) =>
    index === 0 && scope === facade.api.names[0] ? `Use the tools of ${facade.serverName} as you (${scope})` : `Use ${facade.serverName} with the permission ${scope}`,
  );
  for (const scope of downstreamScopesOfSignIn(facade, pending)) grants.push(downstreamGrant(scope));
  if (pending.cl !== undefined) grants.push("Complete the extra sign-in check your organisation requires for its tools (for example multi-factor authentication)");
  grants.push("Stay signed in until you sign out or the access expires");
  return grants;
}
