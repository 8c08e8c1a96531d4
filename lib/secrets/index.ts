/**
 * `secret(name)` for the kit: where secrets come from is decided once, here.
 *
 * With `KEY_VAULT_URL` set (always in Azure), secrets come from Key Vault,
 * read with the managed identity and cached (lib/secrets/cache.ts). Without
 * it (local development, tests), from environment variables:
 * `sealing-keyring` → `SEALING_KEYRING`.
 */
import type { TokenCredential } from "@azure/identity";
import type { Environment, SecretSettings } from "../config.js";
import type { Logger } from "../log.js";
import type { SecretCacheOptions } from "./cache.js";
import { keyVaultSecrets, type KeyVaultRetryOptions } from "./key-vault.js";
import { managedIdentityCredential } from "./managed-identity.js";
import { environmentSecrets, type SecretSource } from "./source.js";

export { SecretUnavailableError, environmentName, environmentSecrets, isSecretName, type SecretSource } from "./source.js";
export { CachedSecretSource, SECRET_CACHE_DEFAULTS, type FetchResult, type SecretCacheOptions, type SecretFetcher } from "./cache.js";
export { KEY_VAULT_DEFAULTS, keyVaultSecrets, type KeyVaultRetryOptions, type KeyVaultSecretsOptions } from "./key-vault.js";
export { managedIdentityCredential } from "./managed-identity.js";

/** What {@link createSecretSource} needs. */
export interface SecretSourceOptions {
  /** `config.secrets`: the vault and the identity that reads it. */
  readonly settings: SecretSettings;
  /** Variables the environment source reads; default `process.env`. */
  readonly env?: Environment;
  /** Receives the Key Vault cache's events. */
  readonly log: Logger;
  /**
   * Credential for Key Vault; default: the managed identity (the user-assigned
   * one of `settings.managedIdentityClientId` when set), loaded on first use.
   */
  readonly credential?: TokenCredential;
  /** Timing of the Key Vault source; defaults suit Azure (5 min TTL, 5 s per fetch). */
  readonly tuning?: SecretCacheOptions & KeyVaultRetryOptions;
}

/**
 * The secret source the settings call for: Key Vault when a vault URL is
 * configured, else the environment. Cheap: nothing is loaded or fetched
 * until the first `get`.
 *
 * @example
 * const config = loadConfig();
 * const secrets = createSecretSource({ settings: config.secrets, log });
 * const keyring = await secrets.get("sealing-keyring"); // throws SecretUnavailableError → 503
 */
export function createSecretSource(options: SecretSourceOptions): SecretSource {
  const { keyVaultUrl, managedIdentityClientId } = options.settings;
  if (keyVaultUrl === undefined) return environmentSecrets(options.env ?? process.env);
  return keyVaultSecrets({
    ...options.tuning,
    vaultUrl: keyVaultUrl,
    credential: options.credential ?? managedIdentityCredential(managedIdentityClientId),
    log: options.log,
  });
}
