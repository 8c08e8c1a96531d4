/**
 * The last step of every user token grant: which scopes the token gets,
 * whether consent and Conditional Access allow it, the policy fault
 * switches, and the token response (access token, plus refresh token,
 * ID token and `client_info` when asked for).
 */
import type { GrantName, RequestRecord } from "./activity.js";
import type { StandInContext } from "./context.js";
import { aadsts, EntraError } from "./errors.js";
import { GRAPH_RESOURCE, type Application, type DevUser } from "./directory.js";
import type { Fault, FaultContext } from "./faults.js";
import { OIDC_SCOPES, qualifiedScopes, singleResource, type ParsedScopes, type ResourceScopes } from "./scopes.js";
import type { ClientAuthMethod, UserSession } from "./tokens.js";

export interface DelegatedIssueInput {
  readonly tenant: string;
  readonly user: DevUser;
  readonly client: Application;
  readonly clientAuth: ClientAuthMethod;
  readonly parsed: ParsedScopes;
  readonly session: UserSession;
  readonly grant: GrantName;
  readonly nonce?: string;
  readonly wantClientInfo: boolean;
  readonly faultContext: FaultContext;
  readonly record: RequestRecord;
}

/** The claims challenge Entra sends with a Conditional Access failure. */
export function capolidsChallenge(policyId: string): string {
  return JSON.stringify({ access_token: { capolids: { essential: true, values: [policyId] } } });
}

/**
 * Expands `.default` into the delegated scopes it stands for: what the client
 * registration declares for that resource, or (nothing declared) everything
 * the resource exposes, or User.Read for Graph.
 */
export function expandDefault(context: StandInContext, client: Application, resource: ResourceScopes): string[] {
  if (!resource.names.includes(".default")) return [...resource.names];
  const declared = context.directory.perResource(client.requiredResourceAccess, resource.app);
  if (declared.length > 0) return declared;
  return resource.app.isGraph ? ["User.Read"] : [...resource.app.scopes];
}

/** Throws the error a policy fault stands for. */
export function policyFaultError(fault: Fault, client: Application, resourceLabel: string, policyId: string): EntraError {
  switch (fault.kind) {
    case "consent_required":
      return aadsts.consentRequired(client.clientId, client.displayName);
    case "mfa_required": {
      const claims = fault.claims ?? capolidsChallenge(policyId);
      return fault.code === 50079 ? aadsts.mfaEnrollmentRequired(resourceLabel, claims) : aadsts.mfaRequired(resourceLabel, claims);
    }
    case "invalid_grant":
      return aadsts.grantExpired();
    default:
      return aadsts.serverError();
  }
}

/** Applies the policy fault switches; throws the first one that strikes. */
export function applyPolicyFaults(context: StandInContext, faultContext: FaultContext, record: RequestRecord, client: Application, resourceLabel: string): void {
  const struck = context.faults.take(faultContext, "policy")[0];
  if (struck === undefined) return;
  record.fault = record.fault === undefined ? struck.kind : `${record.fault},${struck.kind}`;
  throw policyFaultError(struck, client, resourceLabel, "00000000-0000-0000-0000-00000000f417");
}

/** Issues a user token response for one resource, or throws the Entra error that prevents it. */
export async function issueDelegated(context: StandInContext, input: DelegatedIssueInput): Promise<Record<string, unknown>> {
  const { tenant, user, client, parsed, session } = input;
  const resource = singleResource(parsed, context.directory);
  const resourceLabel = resource.requestedAs;

  let names: string[];
  const oidcOnly = parsed.resources.length === 0;
  if (oidcOnly) names = [...["openid", "profile", "email"].filter((name) => parsed.oidc.has(name)), "User.Read"];
  else names = expandDefault(context, client, resource);

  applyPolicyFaults(context, input.faultContext, input.record, client, resourceLabel);

  if (!oidcOnly) {
    const consented = context.consent.filter(tenant, user, client, resource.app, names);
    if (resource.names.includes(".default") && context.consent.mode === "explicit") names = consented;
    if (consented.length === 0 || consented.length < names.length) throw aadsts.consentRequired(client.clientId, client.displayName);
  }

  const requirement = context.mfaRequirements.find((candidate) => candidate.resource === resource.app);
  if (requirement !== undefined && !session.amr.includes("mfa")) {
    const claims = capolidsChallenge(requirement.policyId);
    throw requirement.code === 50079 ? aadsts.mfaEnrollmentRequired(resourceLabel, claims) : aadsts.mfaRequired(resourceLabel, claims);
  }
  // A policy demanding MFA once is met now: it stops applying.
  if (requirement?.once === true) context.mfaRequirements.splice(context.mfaRequirements.indexOf(requirement), 1);

  const access = await context.tokens.delegated({
    tenant,
    user,
    client,
    clientAuth: input.clientAuth,
    resource: resource.app,
    requestedAs: resource.requestedAs,
    scopes: names,
    session,
  });
  input.record.user = { oid: user.oid, upn: user.upn };

  const scope = oidcOnly ? names.filter((name) => name !== "User.Read").concat(qualifiedScopes(resource, ["User.Read"])) : qualifiedScopes(resource, names);
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    scope: scope.join(" "),
    expires_in: access.expiresIn,
    ext_expires_in: access.expiresIn,
    access_token: access.token,
  };
  if (parsed.oidc.has("offline_access")) {
    body.refresh_token = context.grants.issueRefreshToken({ tenant, user, clientId: client.clientId, session });
  }
  if (parsed.oidc.has("openid")) {
    body.id_token = await context.tokens.idToken({ tenant, user, client, session, oidc: parsed.oidc, ...(input.nonce === undefined ? {} : { nonce: input.nonce }) });
  }
  if (input.wantClientInfo) body.client_info = context.tokens.clientInfo(user);
  return body;
}

/** Identifiers a fault's `scope` filter may name for these scopes: the scopes as sent and their resources. */
export function scopeKeys(context: StandInContext, rawScope: string | null | undefined): string[] {
  const raw = (rawScope ?? "").split(/\s+/).filter((item) => item !== "");
  const keys = new Set(raw);
  for (const item of raw) {
    if (OIDC_SCOPES.has(item.toLowerCase())) continue;
    const slash = item.lastIndexOf("/");
    const prefix = slash === -1 ? GRAPH_RESOURCE : item.slice(0, slash);
    keys.add(prefix.replace(/\/+$/, ""));
    const app = context.directory.resource(prefix);
    if (app !== undefined) {
      keys.add(app.clientId);
      for (const uri of app.identifierUris) keys.add(uri.replace(/\/+$/, ""));
    }
  }
  return [...keys];
}
