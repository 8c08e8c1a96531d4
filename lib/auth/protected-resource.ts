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

export class ProtectedResource {
  readonly settings: EntraSettings;
  private readonly mode: Exclude<AuthMode, "none">;

  constructor(
    private readonly config: KitConfig,
    private readonly authority: EntraAuthority,
  ) {
    if (config.entra === undefined || config.authMode === "none") throw new Error("ProtectedResource needs Entra settings");
    this.settings = config.entra;
    this.mode = config.authMode;
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
