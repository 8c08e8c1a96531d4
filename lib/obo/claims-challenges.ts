/**
 * Claims challenges remembered for the next sign-in.
 *
 * When an On-Behalf-Of exchange fails because Conditional Access wants more
 * (MFA, a compliant device: AADSTS50076/50079 with a `claims` challenge), the
 * user must sign in again and Entra must be told what to demand. MCP clients
 * cannot carry the challenge, so the facade adds it to its next Entra
 * sign-in for that tenant. A challenge names the tenant's policies, not the
 * user, so applying it to the next sign-ins in the tenant for a while asks
 * nothing of anyone that Conditional Access would not ask anyway.
 *
 * Kept per instance, in memory, bounded; a sign-in that lands on another
 * instance simply runs without it, and the user meets the challenge again.
 */

/** How long a challenge is applied to sign-ins. */
const CHALLENGE_LIFETIME_MS = 60 * 60 * 1000;
const MAX_TENANTS = 1000;

export class ClaimsChallenges {
  private readonly byTenant = new Map<string, { claims: string; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Remembers the latest challenge of a tenant. */
  remember(tenantId: string, claims: string): void {
    this.byTenant.delete(tenantId);
    this.byTenant.set(tenantId, { claims, until: this.now() + CHALLENGE_LIFETIME_MS });
    if (this.byTenant.size > MAX_TENANTS) this.byTenant.delete(this.byTenant.keys().next().value!);
  }

  /** The challenge to send with a sign-in for this tenant, if one is recent. */
  forTenant(tenantId: string): string | undefined {
    const entry = this.byTenant.get(tenantId);
    if (entry === undefined) return undefined;
    if (entry.until <= this.now()) {
      this.byTenant.delete(tenantId);
      return undefined;
    }
    return entry.claims;
  }
}
