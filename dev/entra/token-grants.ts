/**
 * The token endpoint's grants: authorization_code (+ PKCE S256, single use),
 * refresh_token (reusable), password (ROPC, dev users), client_credentials,
 * and on-behalf-of (jwt-bearer + requested_token_use=on_behalf_of).
 *
 * Each validates what Entra validates, in Entra's order where it matters to a
 * client (client authentication first, then the grant, then scopes, then
 * consent and Conditional Access).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { decodeJwt } from "jose";
import type { GrantName, RequestRecord } from "./activity.js";
import type { AuthenticatedClient } from "./client-auth.js";
import type { StandInContext, TenantScope } from "./context.js";
import { aadsts } from "./errors.js";
import type { Application } from "./directory.js";
import type { FaultContext } from "./faults.js";
import { applyPolicyFaults, issueDelegated } from "./issuance.js";
import { TokenRejected, verifyIssuedToken } from "./jwt.js";
import { parseScopes, singleResource, type ParsedScopes } from "./scopes.js";

export const JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** The short name of a token request's grant. */
export function grantName(params: URLSearchParams): GrantName | undefined {
  const grantType = params.get("grant_type");
  switch (grantType) {
    case null:
      return undefined;
    case "authorization_code":
    case "refresh_token":
    case "password":
    case "client_credentials":
      return grantType;
    case JWT_BEARER_GRANT:
      return "obo";
    default:
      return "other";
  }
}

export interface GrantInput {
  readonly params: URLSearchParams;
  readonly authenticated: AuthenticatedClient;
  readonly scope: TenantScope;
  readonly record: RequestRecord;
  readonly faultContext: FaultContext;
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === "") throw aadsts.missingParameter(name);
  return value;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Entra refuses a `resource` parameter on the v2 endpoint unless it names the
 * resource the scopes are for, by one of its identifier URIs (AADSTS9010010).
 */
export function checkResourceParameter(context: StandInContext, resourceParameter: string | null, parsed: ParsedScopes): void {
  if (resourceParameter === null) return;
  const target = parsed.resources[0]?.app ?? singleResource(parsed, context.directory).app;
  const wanted = resourceParameter.replace(/\/+$/, "").toLowerCase();
  if (!target.identifierUris.some((uri) => uri.replace(/\/+$/, "").toLowerCase() === wanted)) throw aadsts.resourceParameterMismatch();
}

function checkTenant(scope: TenantScope, tenant: string, what: string): void {
  if (scope.kind === "tenant" && scope.tenant.id !== tenant) throw aadsts.grantMalformed(`the ${what} belongs to tenant ${tenant}, not ${scope.tenant.id}`);
}

function ensureVisible(context: StandInContext, client: Application, tenant: string): void {
  if (!context.directory.visibleIn(client, tenant)) throw aadsts.unknownApplication(client.clientId, tenant);
}

/** `authorization_code`: single use, PKCE S256, bound to client, redirect URI and tenant. */
export async function authorizationCodeGrant(context: StandInContext, input: GrantInput): Promise<Record<string, unknown>> {
  const { params, authenticated } = input;
  const code = required(params, "code");
  const redirectUri = required(params, "redirect_uri");
  const grant = context.grants.peekCode(code);
  if (grant === undefined) throw aadsts.grantMalformed("the authorization code is not valid");
  input.record.user = { oid: grant.user.oid, upn: grant.user.upn };
  if (grant.redeemed) throw aadsts.codeRedeemed();
  if (grant.expiresAt < context.clock()) throw aadsts.grantExpired();
  if (grant.clientId !== authenticated.client.clientId) throw aadsts.grantOtherClient();
  checkTenant(input.scope, grant.tenant, "authorization code");
  if (redirectUri !== grant.redirectUri) throw aadsts.replyAddressMismatch(redirectUri, grant.redirectUri);
  const verifier = required(params, "code_verifier");
  if (!sameText(createHash("sha256").update(verifier).digest("base64url"), grant.codeChallenge)) throw aadsts.codeVerifierMismatch();
  const parsed = parseScopes(params.get("scope") ?? undefined, context.directory, grant.tenant, authenticated.client);
  checkResourceParameter(context, params.get("resource"), parsed);
  grant.redeemed = true;
  return issueDelegated(context, {
    tenant: grant.tenant,
    user: grant.user,
    client: authenticated.client,
    clientAuth: authenticated.method,
    parsed,
    session: grant.session,
    grant: "authorization_code",
    ...(grant.nonce === undefined ? {} : { nonce: grant.nonce }),
    wantClientInfo: params.get("client_info") === "1",
    faultContext: input.faultContext,
    record: input.record,
  });
}

/** `refresh_token`: reusable, bound to the client; revoked or expired is AADSTS70008. */
export async function refreshTokenGrant(context: StandInContext, input: GrantInput): Promise<Record<string, unknown>> {
  const { params, authenticated } = input;
  const grant = context.grants.refreshGrant(required(params, "refresh_token"));
  if (grant === undefined) throw aadsts.grantMalformed("the refresh token is not valid");
  input.record.user = { oid: grant.user.oid, upn: grant.user.upn };
  if (grant.revoked || grant.expiresAt < context.clock()) throw aadsts.grantExpired();
  if (grant.clientId !== authenticated.client.clientId) throw aadsts.grantOtherClient();
  checkTenant(input.scope, grant.tenant, "refresh token");
  const parsed = parseScopes(params.get("scope") ?? undefined, context.directory, grant.tenant, authenticated.client);
  checkResourceParameter(context, params.get("resource"), parsed);
  return issueDelegated(context, {
    tenant: grant.tenant,
    user: grant.user,
    client: authenticated.client,
    clientAuth: authenticated.method,
    parsed,
    session: grant.session,
    grant: "refresh_token",
    wantClientInfo: params.get("client_info") === "1",
    faultContext: input.faultContext,
    record: input.record,
  });
}

/** `password` (ROPC) for dev users with a password; never performs MFA. */
export async function passwordGrant(context: StandInContext, input: GrantInput): Promise<Record<string, unknown>> {
  const { params, authenticated, scope } = input;
  const username = required(params, "username");
  const password = required(params, "password");
  const user = context.directory.user(username, scope.kind === "tenant" ? scope.tenant.id : undefined);
  if (user === undefined) throw aadsts.userNotFound(username, scope.segment);
  input.record.user = { oid: user.oid, upn: user.upn };
  if (user.password === undefined || !sameText(password, user.password)) throw aadsts.badCredentials();
  ensureVisible(context, authenticated.client, user.tid);
  const parsed = parseScopes(params.get("scope") ?? undefined, context.directory, user.tid, authenticated.client);
  checkResourceParameter(context, params.get("resource"), parsed);
  return issueDelegated(context, {
    tenant: user.tid,
    user,
    client: authenticated.client,
    clientAuth: authenticated.method,
    parsed,
    // ROPC cannot perform MFA, which is why Conditional Access defeats it.
    session: context.tokens.newSession(["pwd"]),
    grant: "password",
    wantClientInfo: params.get("client_info") === "1",
    faultContext: input.faultContext,
    record: input.record,
  });
}

/** `client_credentials`: tenant endpoint, confidential client, one `<resource>/.default`. */
export async function clientCredentialsGrant(context: StandInContext, input: GrantInput): Promise<Record<string, unknown>> {
  const { params, authenticated, scope } = input;
  if (scope.kind !== "tenant") throw aadsts.tenantSpecificEndpointRequired();
  if (authenticated.method === "none") throw aadsts.clientCredentialMissing();
  const rawScope = required(params, "scope");
  const parsed = parseScopes(rawScope, context.directory, scope.tenant.id, authenticated.client);
  const resource = parsed.resources[0];
  if (parsed.oidc.size > 0 || parsed.resources.length !== 1 || resource === undefined || resource.names.join(" ") !== ".default") {
    throw aadsts.clientCredentialsNeedsDefault(rawScope);
  }
  checkResourceParameter(context, params.get("resource"), parsed);
  applyPolicyFaults(context, input.faultContext, input.record, authenticated.client, resource.requestedAs);
  const roles = context.directory.perResource(authenticated.client.appRoleAssignments, resource.app).filter((role) => resource.app.appRoles.has(role));
  const token = await context.tokens.appOnly({
    tenant: scope.tenant.id,
    client: authenticated.client,
    clientAuth: authenticated.method,
    resource: resource.app,
    requestedAs: resource.requestedAs,
    roles,
  });
  return { token_type: "Bearer", expires_in: token.expiresIn, ext_expires_in: token.expiresIn, access_token: token.token };
}

/**
 * The OBO grant: the assertion must be a user token this stand-in issued for
 * the calling app, unexpired; the result is for the requested resource, same user.
 */
export async function onBehalfOfGrant(context: StandInContext, input: GrantInput): Promise<Record<string, unknown>> {
  const { params, authenticated, scope } = input;
  if (params.get("requested_token_use") !== "on_behalf_of") throw aadsts.invalidParameter("requested_token_use", "must be on_behalf_of");
  const assertion = required(params, "assertion");
  if (authenticated.method === "none") throw aadsts.clientCredentialMissing();

  let claims: Record<string, unknown>;
  try {
    claims = (await verifyIssuedToken(assertion, context.keyring, { now: context.clock() })).claims;
  } catch (error) {
    if (!(error instanceof TokenRejected)) throw error;
    if (error.code === "expired") {
      const exp = decodeJwt(assertion).exp;
      throw aadsts.assertionExpired(new Date(context.clock()).toISOString(), typeof exp === "number" ? new Date(exp * 1000).toISOString() : "unknown");
    }
    throw aadsts.assertionSignature(error.reason);
  }
  const tid = typeof claims.tid === "string" ? claims.tid.toLowerCase() : "";
  if (claims.iss !== context.tokens.v2Issuer(tid) && claims.iss !== context.tokens.v1Issuer(tid)) throw aadsts.assertionSignature(`unexpected issuer '${String(claims.iss)}'`);
  const audience = typeof claims.aud === "string" ? claims.aud : "";
  if (!context.directory.names(authenticated.client, audience)) throw aadsts.assertionAudience(audience, authenticated.client.clientId);
  if (typeof claims.scp !== "string" || typeof claims.oid !== "string") throw aadsts.assertionNotUser();
  const user = context.directory.user(claims.oid, tid);
  if (user === undefined) throw aadsts.userNotFound(String(claims.preferred_username ?? claims.upn ?? claims.oid), tid);
  input.record.user = { oid: user.oid, upn: user.upn };
  checkTenant(scope, tid, "assertion");
  ensureVisible(context, authenticated.client, tid);

  const amr = Array.isArray(claims.amr) ? claims.amr.filter((item): item is string => typeof item === "string") : ["pwd"];
  const session = context.tokens.sessionOf(claims.uti) ?? context.tokens.newSession(amr);
  const parsed = parseScopes(params.get("scope") ?? undefined, context.directory, tid, authenticated.client);
  checkResourceParameter(context, params.get("resource"), parsed);
  return issueDelegated(context, {
    tenant: tid,
    user,
    client: authenticated.client,
    clientAuth: authenticated.method,
    parsed,
    session,
    grant: "obo",
    wantClientInfo: params.get("client_info") === "1",
    faultContext: input.faultContext,
    record: input.record,
  });
}
