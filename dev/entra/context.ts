/**
 * Everything the stand-in's endpoints share: directory, keys, token factory,
 * grants, consent, failure switches, activity records, conditional access,
 * and the tenant path segment rules.
 */
import type { Activity } from "./activity.js";
import { aadsts } from "./errors.js";
import type { Application, Directory, Tenant } from "./directory.js";
import type { FaultSwitches } from "./faults.js";
import type { ConsentStore, GrantStore } from "./grants.js";
import type { SigningKeyring } from "./keys.js";
import type { TokenFactory } from "./tokens.js";

/** A Conditional Access rule: tokens for `resource` need MFA in the sign-in session. */
export interface MfaRequirement {
  readonly resource: Application;
  readonly code: 50076 | 50079;
  readonly policyId: string;
  /** The policy stops applying once a token for the resource was issued after MFA. */
  readonly once?: boolean;
}

export interface StandInContext {
  readonly directory: Directory;
  readonly keyring: SigningKeyring;
  readonly tokens: TokenFactory;
  readonly grants: GrantStore;
  readonly consent: ConsentStore;
  readonly faults: FaultSwitches;
  readonly activity: Activity;
  readonly clock: () => number;
  readonly origin: () => string;
  readonly mfaRequirements: MfaRequirement[];
  /** Signs in this user at /authorize without showing the page (alias, upn or oid). */
  autoSignIn: string | undefined;
}

/** The tenant part of a path: one tenant, or a multi-tenant alias. */
export type TenantScope =
  | { readonly kind: "tenant"; readonly segment: string; readonly tenant: Tenant }
  | { readonly kind: "multi"; readonly segment: "common" | "organizations" };

/**
 * Resolves the `{tenant}` path segment: a tenant GUID, a tenant's domain, or
 * `common` / `organizations`. Anything else is AADSTS90002.
 */
export function resolveTenantSegment(directory: Directory, segment: string): TenantScope {
  const lower = segment.toLowerCase();
  if (lower === "common" || lower === "organizations") return { kind: "multi", segment: lower };
  const byId = directory.tenant(lower);
  if (byId !== undefined) return { kind: "tenant", segment, tenant: byId };
  for (const tenant of directory.tenants.values()) {
    if (tenant.domain === lower) return { kind: "tenant", segment, tenant };
  }
  throw aadsts.tenantNotFound(segment);
}

/** The tenant ids a request in `scope` may concern. */
export function tenantIds(directory: Directory, scope: TenantScope): string[] {
  return scope.kind === "tenant" ? [scope.tenant.id] : [...directory.tenants.keys()];
}

/** Every issuer this stand-in signs as (its tenants' v2 issuers). */
export function ownIssuers(context: StandInContext): Set<string> {
  return new Set([...context.directory.tenants.keys()].map((id) => context.tokens.v2Issuer(id)));
}
