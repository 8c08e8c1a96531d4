/**
 * POST /consent: the user's answer on the consent page.
 *
 * This is the confused-deputy defence, so the answer counts only when it
 * comes from our own page in the user's browser: a cross-site POST (a page
 * elsewhere auto-submitting the form) is refused by its Origin or
 * Sec-Fetch-Site header, and the page itself cannot be framed.
 */
import type { WebHandler } from "../http.js";
import { rememberApproval } from "./approvals.js";
import { redirectToClient } from "./errors.js";
import type { Facade } from "./facade.js";
import { ParameterError, readForm, type Parameters } from "./forms.js";
import { errorPage } from "./pages.js";
import { pendingFieldsOf, redirectToEntra, type PendingAuthorization } from "./sign-in.js";

/**
 * Whether a POST was sent by a page of this origin. Browsers set
 * Sec-Fetch-Site and Origin themselves (scripts cannot), so either vouches;
 * `Origin: null` (sent under strict privacy settings) counts only when
 * Sec-Fetch-Site says same-origin, and a named Origin must be ours.
 */
export function isSameOriginPost(request: Request, origin: string): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin") return false;
  const requestOrigin = request.headers.get("origin");
  if (requestOrigin !== null && requestOrigin !== "null") return requestOrigin === origin;
  return site === "same-origin";
}

export function consentHandler(facade: Facade): WebHandler {
  return async (request, context) => {
    if (!isSameOriginPost(request, facade.issuer)) {
      context.log.warn("oauth.consent_refused", { reason: "cross_site", origin: request.headers.get("origin"), site: request.headers.get("sec-fetch-site") });
      return errorPage(403, "Request refused", "The answer did not come from this server's consent page.");
    }
    let form: Parameters;
    try {
      form = await readForm(request);
    } catch (error) {
      return errorPage(400, "Invalid answer", error instanceof ParameterError ? error.message : "The form is malformed.");
    }
    let pending: PendingAuthorization;
    try {
      pending = await (await facade.sealer()).unseal<PendingAuthorization>("consent", form.get("request") ?? "");
    } catch {
      return errorPage(400, "This page has expired", "The consent page is no longer valid. Start the sign-in again from your application.");
    }
    const decision = form.get("decision");
    if (decision === "deny") {
      context.log.info("oauth.consent_denied", { redirectHost: new URL(pending.r).host });
      return redirectToClient(pending.r, { error: "access_denied", error_description: "The user denied access.", state: pending.st }, facade.issuer);
    }
    if (decision !== "approve") return errorPage(400, "Invalid answer", "Choose Allow or Deny.");
    const remembered = form.get("remember") === "on" ? [await rememberApproval(facade, request, pending.c, pending.r)] : [];
    context.log.info("oauth.consent_approved", { redirectHost: new URL(pending.r).host, remembered: remembered.length > 0 });
    return redirectToEntra(facade, pendingFieldsOf(pending), remembered);
  };
}
