/**
 * What every facade endpoint shares: its URLs, the API's scopes, the sealer,
 * the client registry, the way to Entra, the cookies. Each endpoint is its
 * own module (metadata.ts, register.ts, authorize.ts, consent.ts,
 * callback.ts, token.ts); this one only holds them together.
 */
import type { DownstreamScopeNames } from "../auth/downstream-scopes.js";
import type { ConsentTiming } from "../config.js";
import type { EntraAuthority } from "../entra/authority.js";
import type { EntraTokenClient } from "../entra/token-client.js";
import type { Logger } from "../log.js";
import type { ClientRegistry } from "./clients.js";
import type { CookieJar } from "./cookies.js";
import type { RefreshLedger } from "./refresh-ledger.js";
import type { Sealer } from "./sealing.js";
import type { ApiScopeSet } from "./scopes.js";

export interface Facade {
  /** The facade's issuer identifier: the app's public origin. */
  readonly issuer: string;
  /** The protected resource (the MCP URL); the only accepted `resource` value. */
  readonly resource: string;
  /** Where Entra sends the browser back: `${issuer}/auth/callback`. */
  readonly callbackUrl: string;
  /** Name shown on the consent page. */
  readonly serverName: string;
  readonly api: ApiScopeSet;
  /** Downstream scopes the tools declare (full form). */
  readonly downstreamScopes: readonly string[];
  /** The names clients know the downstream scopes by, from step-up challenges. */
  readonly downstreamNames: DownstreamScopeNames;
  /** Every declared downstream scope at each sign-in (upfront), or those the client asks for (incremental). */
  readonly consent: ConsentTiming;
  /** The sealer, once its keyring is loaded. */
  sealer(): Promise<Sealer>;
  readonly clients: ClientRegistry;
  readonly entra: {
    readonly authority: EntraAuthority;
    readonly clientId: string;
    readonly tokens: EntraTokenClient;
  };
  readonly cookies: CookieJar;
  /** Refresh tokens: how long one stays valid unused, and the ledger that makes each one single use. */
  readonly refresh: { readonly idleSeconds: number; readonly ledger: RefreshLedger };
  readonly log: Logger;
}

/** Lifetimes of the sealed values, in seconds (see SEALED-FORMATS.md). */
export const LIFETIMES = {
  /** The consent form, from rendering to the click. */
  consent: 10 * 60,
  /** The Entra round trip: sign-in, MFA, consent at Entra. */
  authorization: 10 * 60,
  /** Our authorization code; Entra's own code lives about 10 minutes. */
  code: 5 * 60,
  /**
   * The longest a refresh token can live: Entra's own expire after 90 days
   * unused. Issued ones live OAUTH_REFRESH_IDLE_SECONDS (at most this); a
   * revoked family stays on the deny-list this long.
   */
  refresh: 90 * 24 * 3600,
  /** How long a browser remembers an approval. */
  approvals: 30 * 24 * 3600,
} as const;
