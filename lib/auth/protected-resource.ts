/**
 * This server as an OAuth protected resource (RFC 9728): its identifier, its
 * metadata document, and the scopes clients are told to request.
 *
 * Scope names travel in two forms. Entra knows the full form
 * (`api://<client id>/mcp.access`); clients that sign in through the kit's own
 * authorization server (proxy mode) use the short form (`mcp.access`), which
 * the facade maps to the full one. Which form clients see is decided here
 * and nowhere else.
 */
import type { AuthMode, EntraSettings, KitConfig } from "../config.js";
import type { EntraAuthority } from "../entra/authority.js";
import { claimsScope, DownstreamScopeNames } from "./downstream-scopes.js";

export class ProtectedResource {
  readonly settings: EntraSettings;
  /** The downstream scopes the tools declare, and the names clients know them by. */
  readonly downstream: DownstreamScopeNames;
  private readonly mode: Exclude<AuthMode, "none">;

  /** @param downstreamScopes the downstream scopes the tools declare (full form) */
  constructor(
    private readonly config: KitConfig,
    private readonly authority: EntraAuthority,
    downstreamScopes: readonly string[] = [],
  ) {
    if (config.entra === undefined || config.authMode === "none") throw new Error("ProtectedResource needs Entra settings");
    this.settings = config.entra;
    this.mode = config.authMode;
    this.downstream = new DownstreamScopeNames(downstreamScopes, config.entra.apiScopes);
  }

  /**
   * Whether a challenge may ask for downstream scopes and claims. Only the
   * facade (proxy mode) can turn them into a sign-in that grants this server
   * consent and answers a claims challenge. In direct mode the client signs
   * in at Entra itself: consent given there would be the client's own, not
   * this server's, and MCP clients do not send Entra's `claims` parameter.
   */
  get stepsUpDownstream(): boolean {
    return this.mode === "proxy";
  }

  /**
   * The scopes of a 403 challenge, in client form and all at once: the base
   * scope, the API scopes named, then (proxy mode) the downstream scopes and
   * the claims challenge. Downstream scopes no tool declares are left out:
   * the facade would refuse them.
   */
  challengeScopes(apiNames: readonly string[], downstreamScopes: readonly string[] = [], claims?: string): [string, ...string[]] {
    const downstream = this.stepsUpDownstream ? downstreamScopes.map((scope) => this.downstream.clientForm(scope)).filter((scope) => scope !== undefined) : [];
    const carried = this.stepsUpDownstream && claims !== undefined ? claimsScope(claims) : undefined;
    return [...new Set([...this.baseScopes, ...apiNames.map((name) => this.clientScope(name)), ...downstream, ...(carried === undefined ? [] : [carried])])] as [string, ...string[]];
  }

  /** Whether a downstream scope (full form) is one the tools or remote servers declare, so the facade would ask Entra for it. */
  declaresDownstream(scope: string): boolean {
    return this.downstream.clientForm(scope) !== undefined;
  }

  /** The resource identifier: the MCP endpoint URL. */
  get resource(): string {
    return this.config.mcpUrl.href;
  }

  /** Where the metadata document is (path-insertion form of RFC 9728 for `/mcp`). */
  get metadataUrl(): string {
    return new URL("/.well-known/oauth-protected-resource/mcp", this.config.publicBaseUrl).href;
  }

  /** The full Entra form of a scope name: `api://<client id>/mcp.access`. */
  entraScope(name: string): string {
    return `${this.settings.identifierUri}/${name}`;
  }

  /** A scope name in the form clients request in this mode. */
  clientScope(name: string): string {
    return this.mode === "direct" ? this.entraScope(name) : name;
  }

  /** The scope every caller needs, in client form. */
  get baseScopes(): string[] {
    return [this.clientScope(this.settings.apiScopes[0])];
  }

  /**
   * The RFC 9728 document. `scopes_supported` is what a client needs for
   * `/mcp` to work at all, the base scope, which is what MCP clients ask for
   * when no challenge names a scope (MCP 2026-07-28, scope selection); a tool
   * that needs more of the API's scopes says so in its own 403 challenge.
   * Never `offline_access`: a refresh token is no requirement of this resource.
   */
  metadata(): Record<string, unknown> {
    return {
      resource: this.resource,
      authorization_servers: [this.mode === "direct" ? this.authority.authorizationServer : this.config.publicBaseUrl.origin],
      scopes_supported: this.baseScopes,
      bearer_methods_supported: ["header"],
      resource_name: "MCP Functions Kit",
    };
  }
}
