/**
 * The authorization-server facade (proxy mode), assembled from the settings:
 * what `functions/oauth.ts` registers.
 */
import { createSharedTokenStore } from "../cache/create.js";
import { MemoryTokenStore } from "../cache/memory-store.js";
import type { SharedTokenStore } from "../cache/shared-store.js";
import type { KitConfig } from "../config.js";
import type { EntraAuthority } from "../entra/authority.js";
import type { EntraTokenClient } from "../entra/token-client.js";
import type { WebHandler } from "../http.js";
import type { Logger } from "../log.js";
import { SecretUnavailableError, type SecretSource } from "../secrets/source.js";
import { DownstreamScopeNames } from "../auth/downstream-scopes.js";
import { authorizeHandler } from "./authorize.js";
import { callbackHandler } from "./callback.js";
import { ClientMetadataResolver } from "./client-metadata.js";
import { ClientRegistry, type MetadataDocumentResolver } from "./clients.js";
import { consentHandler } from "./consent.js";
import { cookieJar } from "./cookies.js";
import { LIFETIMES, type Facade } from "./facade.js";
import { metadataHandler } from "./metadata.js";
import { RefreshLedger } from "./refresh-ledger.js";
import { registerHandler } from "./register.js";
import { revokeHandler } from "./revoke.js";
import { generateKeyringJson, parseKeyring, Sealer } from "./sealing.js";
import { tokenHandler } from "./token.js";

export interface FacadeOptions {
  readonly config: KitConfig;
  readonly authority: EntraAuthority;
  /** Entra's token endpoint with the app credential. */
  readonly tokens: EntraTokenClient;
  readonly secrets: SecretSource;
  readonly log: Logger;
  /** Name shown on the consent page. */
  readonly serverName: string;
  /** Downstream scopes the tools declare (full form). */
  readonly downstreamScopes: readonly string[];
  /** Resolves Client ID Metadata Documents; by default fetched safely, loopback only where the settings allow it. */
  readonly documents?: MetadataDocumentResolver;
}

/** The facade's handlers, one per endpoint. */
export interface FacadeHandlers {
  readonly metadata: WebHandler;
  readonly register: WebHandler;
  readonly authorize: WebHandler;
  readonly consent: WebHandler;
  readonly callback: WebHandler;
  readonly token: WebHandler;
  readonly revoke: WebHandler;
}

/** Builds the facade. Nothing is fetched until the first request. */
export function createFacade(options: FacadeOptions): { facade: Facade; handlers: FacadeHandlers } {
  const { config, authority, secrets, log } = options;
  if (config.entra === undefined || config.facade === undefined) throw new Error("The facade needs AUTH_MODE=proxy settings");
  const settings = config.facade;
  const issuer = config.publicBaseUrl.origin;
  const sealer = keyringLoader(secrets, settings.keyringSecretName, config.runningInAzure, log);

  const facade: Facade = {
    issuer,
    resource: config.mcpUrl.href,
    callbackUrl: `${issuer}/auth/callback`,
    serverName: options.serverName,
    api: { identifierUri: config.entra.identifierUri, names: config.entra.apiScopes },
    downstreamScopes: options.downstreamScopes,
    downstreamNames: new DownstreamScopeNames(options.downstreamScopes, config.entra.apiScopes),
    consent: settings.consent,
    sealer,
    clients: new ClientRegistry(sealer, options.documents ?? new ClientMetadataResolver({ allowedPrivateHosts: settings.cimdAllowedPrivateHosts, log })),
    entra: {
      authority,
      clientId: config.entra.clientId,
      tokens: options.tokens,
    },
    cookies: cookieJar(config.publicBaseUrl),
    refresh: {
      idleSeconds: settings.refreshIdleSeconds,
      ledger: new RefreshLedger({
        store: ledgerStore(config, log),
        graceMs: settings.refreshReuseGraceSeconds * 1000,
        denyMs: LIFETIMES.refresh * 1000,
        log,
      }),
    },
    log,
  };
  return {
    facade,
    handlers: {
      metadata: metadataHandler(facade),
      register: registerHandler(facade),
      authorize: authorizeHandler(facade),
      consent: consentHandler(facade),
      callback: callbackHandler(facade),
      token: tokenHandler(facade),
      revoke: revokeHandler(facade),
    },
  };
}

/**
 * The refresh-token ledger's store: the one the OBO cache shares
 * (OBO_CACHE=table or redis), under keys of its own; without one, this
 * instance's memory, which detects replays and honours revocations on this
 * instance only and until it stops (said once in the log, as a warning in Azure).
 */
function ledgerStore(config: KitConfig, log: Logger): SharedTokenStore {
  if (config.cache.shared !== undefined) {
    return createSharedTokenStore(
      config.cache.shared,
      { log, ...(config.secrets.managedIdentityClientId === undefined ? {} : { managedIdentityClientId: config.secrets.managedIdentityClientId }) },
      { redisKeyPrefix: "mcpkit:oauth:v1:" },
    );
  }
  const line = {
    message:
      "No shared store (OBO_CACHE=memory): refresh-token replays are detected, and revocations honoured, by the instance that saw them only, until it stops. Set OBO_CACHE=table or redis for all instances.",
  };
  if (config.runningInAzure) log.warn("oauth.ledger_per_instance", line);
  else log.info("oauth.ledger_per_instance", line);
  return new MemoryTokenStore();
}

/**
 * Loads the keyring from the secret source on demand (the source caches and
 * refreshes it, so a rotated keyring is picked up without a restart). Outside
 * Azure and with secrets from the environment, a missing keyring is replaced
 * by a development keyring made once per process, with a warning: sealed
 * values then do not survive a restart. With Key Vault configured, an
 * unreachable vault is an error (503), never a silent switch of keyrings.
 */
function keyringLoader(secrets: SecretSource, secretName: string, runningInAzure: boolean, log: Logger): () => Promise<Sealer> {
  let last: { json: string; sealer: Sealer } | undefined;
  let development: string | undefined;
  return async () => {
    let json: string;
    try {
      json = await secrets.get(secretName);
    } catch (error) {
      if (runningInAzure || secrets.description !== "environment" || !(error instanceof SecretUnavailableError)) throw error;
      if (development === undefined) {
        development = generateKeyringJson("dev");
        log.warn("oauth.development_keyring", {
          message: `No ${secretName} secret: using a keyring generated for this process. Registrations, codes and refresh tokens will not survive a restart.`,
        });
      }
      json = development;
    }
    if (last?.json !== json) last = { json, sealer: new Sealer(parseKeyring(json)) };
    return last.sealer;
  };
}
