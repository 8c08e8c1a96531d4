/**
 * Authentication wiring: from the settings to the gate in front of `/mcp`,
 * the protected resource metadata, the app credential and the On-Behalf-Of
 * services. Built once per process; nothing is fetched before the first
 * request needs it.
 */
import { createOboTokenCache } from "../cache/create.js";
import type { AuthMode, KitConfig } from "../config.js";
import { AccessTokenValidator } from "../entra/access-token.js";
import { CertificateCredential, ClientSecretCredential, ManagedIdentityCredential, tokenExchangeAudience, type AppCredential } from "../entra/app-credential.js";
import { EntraAuthority } from "../entra/authority.js";
import { SigningKeys } from "../entra/signing-keys.js";
import { EntraTokenClient } from "../entra/token-client.js";
import type { Logger } from "../log.js";
import type { NeedServices } from "../mcp/needs.js";
import { createOboServices } from "../obo/index.js";
import type { SecretSource } from "../secrets/source.js";
import { AppCallerPolicy } from "./app-callers.js";
import { createGate, type Gate } from "./gate.js";
import { ProtectedResource } from "./protected-resource.js";

export interface Auth {
  readonly mode: AuthMode;
  /** The rest is absent when the mode is none. */
  readonly resource?: ProtectedResource;
  readonly gate?: Gate;
  readonly authority?: EntraAuthority;
  /** Requests to Entra's token endpoint with the app credential (facade and On-Behalf-Of). */
  readonly tokens?: EntraTokenClient;
  /** On-Behalf-Of, app tokens and MSAL for tools. */
  readonly services?: NeedServices;
  /** Which app-only callers may call which tools. */
  readonly appCallers?: AppCallerPolicy;
  /** Where tools' `secret(name)` needs read from, whatever the mode. */
  readonly secrets: SecretSource;
}

/** What the server serves, as far as authentication needs to know. */
export interface ServedAuthorization {
  /** The downstream scopes the tools declare (full form): named in step-up challenges. */
  readonly downstreamScopes?: readonly string[];
  /** The roles the tools' `requires.roles` name: an app-only token holding one may come in. */
  readonly roles?: readonly string[];
}

/** Builds the authentication pieces the settings call for. */
export function createAuth(config: KitConfig, log: Logger, secrets: SecretSource, served: ServedAuthorization = {}): Auth {
  if (config.authMode === "none" || config.entra === undefined || config.credential === undefined) return { mode: "none", secrets };
  const authority = new EntraAuthority(config.entra);
  const keys = new SigningKeys({ jwksUri: authority.jwksUri, cooldownMs: config.entra.jwksCooldownMs, log });
  const validator = new AccessTokenValidator({ settings: config.entra, authority, keys });
  const resource = new ProtectedResource(config, authority, served.downstreamScopes);
  const credential = appCredential(config, secrets, log);
  const tokens = new EntraTokenClient({ authority, clientId: config.entra.clientId, credential, log });
  const cache = createOboTokenCache(config.cache, {
    log,
    ...(config.secrets.managedIdentityClientId === undefined ? {} : { managedIdentityClientId: config.secrets.managedIdentityClientId }),
  });
  const services = createOboServices({ settings: config.entra, authority, tokens, credential, cache, log });
  const appCallers = new AppCallerPolicy(config.entra.appCallers, served.roles ?? []);
  return { mode: config.authMode, resource, gate: createGate(resource, validator, appCallers), authority, tokens, services, appCallers, secrets };
}

/** The credential the settings choose (see lib/entra/app-credential.ts for the order of preference). */
function appCredential(config: KitConfig, secrets: SecretSource, log: Logger): AppCredential {
  const settings = config.credential!;
  switch (settings.kind) {
    case "managed-identity":
      return new ManagedIdentityCredential(settings.ficIdentityClientId!, tokenExchangeAudience(config.entra!.authorityHost), log);
    case "certificate":
      return new CertificateCredential(config.entra!.clientId, () => secrets.get(settings.certificateSecretName), settings.certificateSecretName);
    case "secret":
      return new ClientSecretCredential(() => secrets.get("entra-client-secret"));
  }
}
