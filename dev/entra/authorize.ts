/**
 * `/{tenant}/oauth2/v2.0/authorize`: validates the request the way Entra
 * does, shows a plain sign-in page listing the dev users, and on sign-in
 * redirects to `redirect_uri` with `code`, `state` and `session_state` (no
 * `iss`: Entra does not send it).
 *
 * Errors before the client and redirect URI are known to be good appear on
 * the stand-in's own page (never redirected); later ones are redirected.
 *
 * Headless sign-in (documented in dev/README.md):
 * - add `dev_auto=1&login_hint=<alias or upn>` to the authorize URL: the
 *   answer is the redirect, no page; or
 * - POST the page's form for a user: every original parameter plus
 *   `dev_user=<upn>` (optional `dev_mfa=1`, `dev_consent=deny`); when the
 *   user has not consented to everything asked (explicit consent, or a
 *   withdrawn consent), the answer is a consent page listing what is
 *   missing, whose Accept posts the same plus `dev_consent=accept`; or
 * - turn on `standIn.setAutoSignIn("alice")` for URLs built by a library.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { escapeHtml, readForm, redirect, sendHtml } from "../http.js";
import type { RequestRecord } from "./activity.js";
import { resolveTenantSegment, type StandInContext, type TenantScope } from "./context.js";
import { aadsts, entraErrorBody, EntraError } from "./errors.js";
import type { Application, DevUser } from "./directory.js";
import { applyPolicyFaults, expandDefault, scopeKeys } from "./issuance.js";
import { applyTransportFaults, clientCorrelationId } from "./respond.js";
import { parseScopes, qualifiedScopes, type ParsedScopes } from "./scopes.js";
import { checkResourceParameter } from "./token-grants.js";

const DEV_FIELDS = new Set(["dev_user", "dev_auto", "dev_mfa", "dev_consent"]);
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Entra's redirect URI rule: exact match, except that the port of a loopback
 * `http` URI is ignored (native apps listen on whatever port is free).
 */
export function redirectUriMatches(registered: string, given: string): boolean {
  if (registered === given) return true;
  let r: URL;
  let g: URL;
  try {
    r = new URL(registered);
    g = new URL(given);
  } catch {
    return false;
  }
  return (
    r.protocol === "http:" &&
    g.protocol === "http:" &&
    LOOPBACK_HOSTS.has(r.hostname) &&
    r.hostname === g.hostname &&
    r.pathname === g.pathname &&
    r.search === g.search &&
    g.hash === "" &&
    g.username === "" &&
    g.password === ""
  );
}

/** Whether a `claims` request parameter asks for a Conditional Access step-up the stand-in treats as MFA. */
function claimsDemandStepUp(claims: string | null): boolean {
  if (claims === null) return false;
  try {
    const parsed = JSON.parse(claims) as { access_token?: Record<string, unknown>; id_token?: Record<string, unknown> };
    const wanted = { ...parsed.id_token, ...parsed.access_token };
    return "capolids" in wanted || "acrs" in wanted || "amr" in wanted;
  } catch {
    return false;
  }
}

interface ValidatedRequest {
  readonly scope: TenantScope;
  readonly client: Application;
  readonly redirectUri: string;
  readonly responseMode: "query" | "fragment" | "form_post";
  readonly state: string | null;
}

/** Serves `GET|POST /{tenant}/oauth2/v2.0/authorize` (see the module comment). */
export async function handleAuthorize(context: StandInContext, segment: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", context.origin());
  const params = request.method === "POST" ? await readForm(request) : url.searchParams;
  const record: RequestRecord = context.activity.begin({
    at: context.clock(),
    endpoint: "authorize",
    method: request.method ?? "GET",
    tenant: segment,
    status: 0,
    ...(params.get("client_id") === null ? {} : { clientId: params.get("client_id")!.toLowerCase() }),
    ...(params.get("scope") === null ? {} : { scopes: params.get("scope")!.split(/\s+/).filter((item) => item !== "") }),
    resourceParameter: params.has("resource"),
    claimsParameter: params.has("claims"),
    ...(params.get("claims") === null ? {} : { claims: params.get("claims")! }),
  });

  let validated: ValidatedRequest;
  try {
    const scope = resolveTenantSegment(context.directory, segment);
    const hint = params.get("dev_user") ?? params.get("login_hint") ?? context.autoSignIn;
    const hinted = hint === null || hint === undefined ? undefined : context.directory.user(hint);
    const clientIdParam = params.get("client_id");
    const faultContext = {
      endpoint: "authorize" as const,
      tenant: scope.kind === "tenant" ? scope.tenant.id : segment,
      ...(clientIdParam === null ? {} : { clientId: clientIdParam }),
      userKeys: hinted === undefined ? [] : [hinted.alias, hinted.upn, hinted.oid],
      scopeKeys: scopeKeys(context, params.get("scope")),
    };
    if (await applyTransportFaults(context, faultContext, request, response, record)) return;
    validated = validateClientAndRedirect(context, scope, params);
  } catch (error) {
    if (!(error instanceof EntraError)) throw error;
    record.status = 400;
    record.error = `AADSTS${error.code}`;
    sendHtml(response, 400, errorPage(context, error, clientCorrelationId(request)));
    return;
  }

  try {
    await continueAuthorization(context, validated, params, request, response, record);
  } catch (error) {
    if (!(error instanceof EntraError)) throw error;
    record.error = `AADSTS${error.code}`;
    const body = entraErrorBody(error, context.origin(), context.clock(), clientCorrelationId(request));
    const answer: Record<string, string> = {
      error: body.error,
      error_description: body.error_description,
      error_uri: body.error_uri,
      ...(validated.state === null ? {} : { state: validated.state }),
    };
    respondToClient(validated, answer, response, record);
  }
}

function validateClientAndRedirect(context: StandInContext, scope: TenantScope, params: URLSearchParams): ValidatedRequest {
  const clientId = params.get("client_id");
  if (clientId === null || clientId === "") throw aadsts.missingParameter("client_id");
  const client = context.directory.application(clientId);
  if (client === undefined || client.isGraph || (scope.kind === "tenant" && !context.directory.visibleIn(client, scope.tenant.id))) {
    throw aadsts.unknownApplication(clientId, scope.kind === "tenant" ? scope.tenant.id : scope.segment);
  }
  const redirectUri = params.get("redirect_uri");
  if (redirectUri === null || redirectUri === "") throw aadsts.missingParameter("redirect_uri");
  if (!client.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))) throw aadsts.redirectUriMismatch(redirectUri, client.clientId);
  const mode = params.get("response_mode") ?? "query";
  // An unknown mode is reported by redirect, in the default mode.
  const responseMode = mode === "fragment" || mode === "form_post" ? mode : "query";
  return { scope, client, redirectUri, responseMode, state: params.get("state") };
}

async function continueAuthorization(
  context: StandInContext,
  validated: ValidatedRequest,
  params: URLSearchParams,
  request: IncomingMessage,
  response: ServerResponse,
  record: RequestRecord,
): Promise<void> {
  const { scope, client } = validated;
  const mode = params.get("response_mode");
  if (mode !== null && !["query", "fragment", "form_post"].includes(mode)) throw aadsts.invalidParameter("response_mode", "must be query, fragment or form_post");
  const responseType = params.get("response_type") ?? "";
  if (responseType !== "code") throw responseType === "" ? aadsts.missingParameter("response_type") : aadsts.unsupportedResponseType(responseType);

  const homeTenant = scope.kind === "tenant" ? scope.tenant.id : client.homeTenant;
  const parsedHere = parseScopes(params.get("scope") ?? undefined, context.directory, homeTenant, client);
  checkResourceParameter(context, params.get("resource"), parsedHere);
  const challenge = params.get("code_challenge");
  if (challenge === null || challenge === "") throw aadsts.pkceRequired();
  if (params.get("code_challenge_method") !== "S256") throw aadsts.pkcePlainRefused();
  if (!/^[A-Za-z0-9_-]{43}$/.test(challenge)) throw aadsts.invalidParameter("code_challenge", "must be the base64url SHA-256 of the code verifier (43 characters)");

  const candidates = signInCandidates(context, scope, client);
  const submitted = request.method === "POST" ? params.get("dev_user") : null;
  const auto = params.get("dev_auto") === "1" ? params.get("login_hint") : null;
  const hint = submitted ?? auto ?? context.autoSignIn ?? null;
  if (hint === null) {
    if (params.get("prompt") === "none") throw aadsts.loginRequired();
    record.status = 200;
    sendHtml(response, 200, signInPage(context, validated, params, candidates, parsedHere));
    return;
  }
  const user = candidates.find((candidate) => [candidate.alias, candidate.upn, candidate.oid].some((key) => key.toLowerCase() === hint.toLowerCase()));
  if (user === undefined) {
    record.status = 200;
    sendHtml(response, 200, signInPage(context, validated, params, candidates, parsedHere, `No dev user of this tenant matches '${hint}'.`));
    return;
  }
  record.user = { oid: user.oid, upn: user.upn };
  if (params.get("dev_consent") === "deny") throw aadsts.userDeclinedConsent();

  const parsed = user.tid === homeTenant ? parsedHere : parseScopes(params.get("scope") ?? undefined, context.directory, user.tid, client);
  const firstResource = parsed.resources[0]?.app;
  const mfa =
    params.get("dev_mfa") === "1" ||
    claimsDemandStepUp(params.get("claims")) ||
    (firstResource !== undefined && context.mfaRequirements.some((requirement) => requirement.resource === firstResource));
  const session = context.tokens.newSession(mfa ? ["pwd", "mfa"] : ["pwd"]);

  applyPolicyFaults(
    context,
    { endpoint: "authorize", tenant: user.tid, clientId: client.clientId, userKeys: [user.alias, user.upn, user.oid], scopeKeys: scopeKeys(context, params.get("scope")) },
    record,
    client,
    parsed.resources[0]?.requestedAs ?? "https://graph.microsoft.com",
  );

  // Signed in through the page (not dev_auto, not auto sign-in): ask for what is not consented yet, as Entra's consent screen does.
  const missing = parsed.resources.flatMap((resource) =>
    expandDefault(context, client, resource)
      .filter((name) => !context.consent.has(user.tid, user, client, resource.app, name))
      .map((name) => ({ resource, name })),
  );
  const missingScopes = missing.map(({ resource, name }) => qualifiedScopes(resource, [name])[0]!);
  if (missing.length > 0 && submitted !== null && params.get("dev_consent") !== "accept") {
    record.status = 200;
    record.consentPrompted = missingScopes;
    sendHtml(response, 200, consentPage(validated, params, user, missing.map(({ resource, name }) => ({ api: resource.app.displayName, name, scope: qualifiedScopes(resource, [name])[0]! }))));
    return;
  }
  // The user accepted the consent prompt for everything asked, every resource.
  for (const resource of parsed.resources) context.consent.grant(user.tid, user, client, resource.app, expandDefault(context, client, resource));
  if (missingScopes.length > 0) record.consented = missingScopes;

  const code = context.grants.issueCode({
    tenant: user.tid,
    user,
    clientId: client.clientId,
    redirectUri: params.get("redirect_uri")!,
    codeChallenge: challenge,
    scope: params.get("scope") ?? "",
    ...(params.get("nonce") === null ? {} : { nonce: params.get("nonce")! }),
    session,
  });
  respondToClient(
    validated,
    { code, ...(validated.state === null ? {} : { state: validated.state }), session_state: session.sid },
    response,
    record,
  );
}

function signInCandidates(context: StandInContext, scope: TenantScope, client: Application): DevUser[] {
  if (scope.kind === "tenant") return context.directory.users(scope.tenant.id);
  return context.directory.users().filter((user) => context.directory.visibleIn(client, user.tid));
}

function respondToClient(validated: ValidatedRequest, answer: Record<string, string>, response: ServerResponse, record: RequestRecord): void {
  if (validated.responseMode === "form_post") {
    record.status = 200;
    const fields = Object.entries(answer)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join("");
    sendHtml(
      response,
      200,
      `<!doctype html><html><head><title>Working...</title></head><body><form method="POST" action="${escapeHtml(validated.redirectUri)}">${fields}<noscript><button type="submit">Continue</button></noscript></form><script>document.forms[0].submit()</script></body></html>`,
      true,
    );
    return;
  }
  const target = new URL(validated.redirectUri);
  const encoded = new URLSearchParams(answer).toString();
  let location: string;
  if (validated.responseMode === "fragment") location = `${target.href.split("#")[0]}#${encoded}`;
  else {
    for (const [name, value] of Object.entries(answer)) target.searchParams.append(name, value);
    location = target.href;
  }
  record.status = 302;
  redirect(response, location);
}

const PAGE_STYLE = `body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1b1b1b}
.banner{background:#fff4ce;border:1px solid #e6c200;padding:.5rem .75rem;margin-bottom:1.5rem}
form.dev-user{border:1px solid #ccc;padding:.75rem;margin:.5rem 0;display:flex;gap:.5rem;align-items:center}
form.dev-user .who{flex:1} button{padding:.4rem .8rem} .upn{color:#555;font-size:.9em} .error{color:#a80000}`;

function signInPage(context: StandInContext, validated: ValidatedRequest, params: URLSearchParams, users: readonly DevUser[], parsed: ParsedScopes, notice?: string): string {
  const action = `/${validated.scope.segment}/oauth2/v2.0/authorize`;
  const hidden = [...params.entries()]
    .filter(([name]) => !DEV_FIELDS.has(name))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join("");
  const permissions = parsed.resources.flatMap((resource) => resource.names.map((name) => `${resource.app.displayName}: ${name}`));
  const consent =
    context.consent.mode === "explicit" && permissions.length > 0
      ? `<p>${escapeHtml(validated.client.displayName)} asks for: ${permissions.map(escapeHtml).join(", ")}.</p>`
      : "";
  const forms = users
    .map(
      (user) =>
        `<form method="post" action="${escapeHtml(action)}" class="dev-user" data-alias="${escapeHtml(user.alias)}" data-upn="${escapeHtml(user.upn)}">${hidden}` +
        `<input type="hidden" name="dev_user" value="${escapeHtml(user.upn)}">` +
        `<span class="who"><strong>${escapeHtml(user.displayName)}</strong><br><span class="upn">${escapeHtml(user.upn)}</span></span>` +
        `<button type="submit">Sign in</button>` +
        `<button type="submit" name="dev_mfa" value="1">Sign in with MFA</button>` +
        (context.consent.mode === "explicit" ? `<button type="submit" name="dev_consent" value="deny">Cancel</button>` : "") +
        `</form>`,
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in - local Entra stand-in</title><style>${PAGE_STYLE}</style></head><body>
<div class="banner">Local Entra ID stand-in for development. These are made-up users; no password is asked.</div>
<h1>Sign in to ${escapeHtml(validated.client.displayName)}</h1>
${notice === undefined ? "" : `<p class="error">${escapeHtml(notice)}</p>`}${consent}
<p>Redirecting to ${escapeHtml(new URL(validated.redirectUri).host)} after sign-in.</p>
${forms === "" ? "<p>This tenant has no dev users.</p>" : forms}
</body></html>`;
}

/** Entra's consent screen: the permissions not consented yet, Accept or Cancel (both post the sign-in again). */
function consentPage(validated: ValidatedRequest, params: URLSearchParams, user: DevUser, permissions: ReadonlyArray<{ api: string; name: string; scope: string }>): string {
  const action = `/${validated.scope.segment}/oauth2/v2.0/authorize`;
  const hidden = [...params.entries(), ["dev_user", user.upn]]
    .filter(([name]) => name !== "dev_consent")
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name!)}" value="${escapeHtml(value!)}">`)
    .join("");
  const items = permissions.map((permission) => `<li data-scope="${escapeHtml(permission.scope)}">${escapeHtml(permission.api)}: <strong>${escapeHtml(permission.name)}</strong></li>`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Permissions requested - local Entra stand-in</title><style>${PAGE_STYLE}</style></head><body>
<div class="banner">Local Entra ID stand-in for development.</div>
<h1>Permissions requested</h1>
<p>${escapeHtml(validated.client.displayName)} wants to act as ${escapeHtml(user.displayName)} (${escapeHtml(user.upn)}):</p>
<ul class="permissions">${items}</ul>
<form method="post" action="${escapeHtml(action)}" class="consent">${hidden}
<button type="submit" name="dev_consent" value="accept">Accept</button>
<button type="submit" name="dev_consent" value="deny">Cancel</button>
</form>
</body></html>`;
}

function errorPage(context: StandInContext, error: EntraError, correlationId: string | undefined): string {
  const body = entraErrorBody(error, context.origin(), context.clock(), correlationId);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in - local Entra stand-in</title><style>${PAGE_STYLE}</style></head><body>
<div class="banner">Local Entra ID stand-in for development.</div>
<h1>Sorry, but we're having trouble signing you in.</h1>
<p class="error" id="error-description">${escapeHtml(body.error_description.split("\r\n")[0] ?? "")}</p>
<p>Error: <code id="error-code">${escapeHtml(body.error)}</code>, AADSTS${error.code}. Correlation ID: ${escapeHtml(body.correlation_id)}. Timestamp: ${escapeHtml(body.timestamp)}</p>
</body></html>`;
}
