/**
 * GET /auth/callback: Entra sends the browser back here.
 *
 * The state must unseal, and the browser must hold the binding cookie set
 * when this sign-in was approved; otherwise someone is trying to make this
 * browser finish a sign-in it did not start. On success the client gets our
 * authorization code, which wraps Entra's: Entra's code is redeemed only at
 * /token, so Entra's single-use rule makes ours single-use.
 */
import { timingSafeEqual } from "node:crypto";
import type { WebHandler } from "../http.js";
import { redirectToClient } from "./errors.js";
import type { Facade } from "./facade.js";
import { LIFETIMES } from "./facade.js";
import { ParameterError, readParameters, type Parameters } from "./forms.js";
import { errorPage } from "./pages.js";
import { bindingHash, type AuthorizationState } from "./sign-in.js";

/** Our authorization code: Entra's code and everything /token must check. Sealed as `code`. */
export interface AuthorizationCode {
  readonly c: string;
  readonly r: string;
  readonly cc: string;
  readonly s: string[];
  /** Entra's authorization code. */
  readonly ec: string;
  /** The facade's PKCE verifier for Entra's code. */
  readonly ev: string;
  /** 1 when the authorization request omitted redirect_uri. */
  readonly ro?: 1;
}

/** What Entra's error codes at the callback become for the client. Entra's text never leaves. */
function clientErrorFor(entraError: string): { error: string; description: string } {
  switch (entraError) {
    case "access_denied":
      return { error: "access_denied", description: "The user or the organisation declined the sign-in." };
    case "consent_required":
      return { error: "access_denied", description: "Consent is required; an administrator may need to grant it." };
    case "interaction_required":
    case "login_required":
      return { error: "interaction_required", description: "The sign-in needs the user to interact again." };
    case "temporarily_unavailable":
    case "server_error":
      return { error: "temporarily_unavailable", description: "The identity provider is unavailable; try again shortly." };
    default:
      return { error: "access_denied", description: "The sign-in did not complete." };
  }
}

export function callbackHandler(facade: Facade): WebHandler {
  return async (request, context) => {
    let parameters: Parameters;
    try {
      parameters = readParameters(new URL(request.url).searchParams);
    } catch (error) {
      return errorPage(400, "Invalid sign-in response", error instanceof ParameterError ? error.message : "The response is malformed.");
    }
    let state: AuthorizationState;
    try {
      state = await (await facade.sealer()).unseal<AuthorizationState>("authorization", parameters.get("state") ?? "");
    } catch {
      context.log.info("oauth.callback_refused", { reason: "bad_state" });
      return errorPage(400, "This sign-in has expired", "The sign-in took too long or did not start here. Start it again from your application.");
    }
    const binding = facade.cookies.read(request, facade.cookies.bindingName);
    if (binding === undefined || !equal(bindingHash(binding), state.b)) {
      context.log.warn("oauth.callback_refused", { reason: binding === undefined ? "no_binding_cookie" : "binding_mismatch" });
      return errorPage(403, "Sign-in refused", "This sign-in was not started in this browser.");
    }
    const headers = new Headers();
    headers.append("Set-Cookie", facade.cookies.clear(facade.cookies.bindingName));

    const entraError = parameters.get("error");
    if (entraError !== undefined) {
      const mapped = clientErrorFor(entraError);
      context.log.warn("oauth.entra_sign_in_failed", { error: entraError, description: parameters.get("error_description") });
      return redirectToClient(state.r, { error: mapped.error, error_description: mapped.description, state: state.st }, facade.issuer, headers);
    }
    const entraCode = parameters.get("code");
    if (entraCode === undefined || entraCode === "") return errorPage(400, "Invalid sign-in response", "The identity provider sent no code.");

    const code: AuthorizationCode = { c: state.c, r: state.r, cc: state.cc, s: state.s, ec: entraCode, ev: state.ev, ...(state.ro === 1 ? { ro: 1 as const } : {}) };
    const sealed = await (await facade.sealer()).seal("code", { ...code }, LIFETIMES.code);
    context.log.info("oauth.code_issued", { redirectHost: new URL(state.r).host });
    return redirectToClient(state.r, { code: sealed, state: state.st }, facade.issuer, headers);
  };
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
