/**
 * Tokens for downstream APIs as this server itself: the client credentials
 * grant with the app credential the kit already uses for sign-in and
 * On-Behalf-Of (the managed identity federated credential in Azure, no
 * secret). For tools that act as the service rather than as a user, such as
 * those app-only callers (daemons, agents) use, where there is no user to act for.
 *
 * One token per (tenant, scope), cached until shortly before it expires and
 * fetched once under concurrency; the number of entries is bounded by the
 * tenants allowed times the scopes the tools declare, so no eviction is needed.
 */
import { entryExpiry } from "../cache/lifetime.js";
import { SingleFlight } from "../cache/single-flight.js";
import type { EntraTokenClient } from "../entra/token-client.js";
import type { Logger } from "../log.js";

export interface AppToken {
  readonly accessToken: string;
  readonly expiresOn: Date;
}

/** Most (tenant, scope) pairs fetched at once; a bound on bookkeeping only. */
const MAX_IN_FLIGHT = 1000;

export class AppTokenSource {
  private readonly cached = new Map<string, AppToken & { readonly servedUntil: number }>();
  private readonly flights = new SingleFlight<AppToken & { readonly servedUntil: number }>(MAX_IN_FLIGHT);

  constructor(
    private readonly tokens: EntraTokenClient,
    private readonly log: Logger,
  ) {}

  /**
   * A token for `scope` (`<resource>/.default`) in `tenantId`, as this app.
   * @throws EntraError, classified
   */
  async acquire(scope: string, tenantId: string, signal: AbortSignal): Promise<AppToken> {
    const key = `${tenantId} ${scope}`;
    const entry = this.cached.get(key);
    if (entry !== undefined && Date.now() < entry.servedUntil) return entry;
    const fresh = await this.flights.run(key, (shared) => this.fetch(scope, tenantId, shared), signal);
    this.cached.set(key, fresh);
    return fresh;
  }

  private async fetch(scope: string, tenantId: string, signal: AbortSignal): Promise<AppToken & { readonly servedUntil: number }> {
    const now = Date.now();
    const issued = await this.tokens.request({ grant_type: "client_credentials", scope }, signal, tenantId);
    const expiresOn = now + issued.expiresIn * 1000;
    this.log.debug("app_token.issued", { scope, tenant: tenantId });
    // A token too short-lived to cache is still handed to this caller, and fetched again next time.
    return { accessToken: issued.accessToken, expiresOn: new Date(expiresOn), servedUntil: entryExpiry(expiresOn, expiresOn, now) ?? now };
  }
}
