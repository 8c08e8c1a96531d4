/**
 * Where Entra lives for this app: issuer, key set and OAuth endpoints, for the
 * public cloud, a sovereign cloud or the local stand-in alike (only the
 * authority host differs).
 */
import type { EntraSettings } from "../config.js";

/** Entra endpoints derived from the settings. Every URL is built here and nowhere else. */
export class EntraAuthority {
  constructor(private readonly settings: EntraSettings) {}

  /** The v2 issuer of tokens for tenant `tid`: `https://login.microsoftonline.com/{tid}/v2.0`. */
  issuerFor(tid: string): string {
    return `${this.hostOrigin}/${tid}/v2.0`;
  }

  /** The issuer template a multi-tenant app advertises, or the tenant's issuer. */
  get issuer(): string {
    return this.issuerFor(this.settings.multiTenant ? "{tenantid}" : this.settings.tenant);
  }

  /** Base of the tenant's endpoints: `https://login.microsoftonline.com/{tenant}`. */
  get tenantBase(): string {
    return `${this.hostOrigin}/${this.settings.tenant}`;
  }

  /** Where clients in direct mode find the authorization server: `{tenantBase}/v2.0`. */
  get authorizationServer(): string {
    return `${this.tenantBase}/v2.0`;
  }

  /** The key set; Entra publishes the same keys under every tenant path, so `common` serves multi-tenant apps. */
  get jwksUri(): URL {
    return new URL(`${this.tenantBase}/discovery/v2.0/keys`);
  }

  get authorizeEndpoint(): URL {
    return new URL(`${this.tenantBase}/oauth2/v2.0/authorize`);
  }

  get tokenEndpoint(): URL {
    return new URL(`${this.tenantBase}/oauth2/v2.0/token`);
  }

  /**
   * The token endpoint of tenant `tid`. On-Behalf-Of must go to the user's own
   * tenant: a multi-tenant app's `organizations` endpoint cannot exchange a
   * token of a specific tenant.
   */
  tokenEndpointFor(tid: string): URL {
    return new URL(`${this.hostOrigin}/${tid}/oauth2/v2.0/token`);
  }

  /** Where an administrator of tenant `tid` grants this app's permissions for everyone. */
  adminConsentUrl(tid: string): string {
    return `${this.hostOrigin}/${tid}/adminconsent?client_id=${encodeURIComponent(this.settings.clientId)}`;
  }

  /** Whether tokens of tenant `tid` are accepted. */
  allowsTenant(tid: string): boolean {
    return this.settings.allowedTenants.includes(tid.toLowerCase());
  }

  private get hostOrigin(): string {
    return this.settings.authorityHost.origin;
  }
}
