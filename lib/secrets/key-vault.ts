/**
 * Secrets from Azure Key Vault through `@azure/keyvault-secrets`, cached by
 * {@link CachedSecretSource} (TTL, background refresh, one fetch under
 * concurrency, last good value while the vault is unreachable).
 *
 * The SDK is loaded with `import()` on the first read: importing the function
 * app stays cheap, and an app that never reads a secret never loads it.
 *
 * What counts as "no value" (the cached value is withdrawn and readers get
 * {@link SecretUnavailableError}): 404 `SecretNotFound` (missing or deleted),
 * 403 `SecretDisabled`, a disabled, expired or not-yet-valid version (Key Vault
 * itself still returns those). Everything else — connection errors, timeouts,
 * 5xx, 429, 401/403 from RBAC, credential failures — is a failed fetch: the
 * last good value keeps serving.
 *
 * Reasons handed to logs and errors carry the vault's host, the HTTP status
 * and Key Vault's error codes, never an error message or body (they can echo
 * request details) and never a value.
 */
import type { TokenCredential } from "@azure/identity";
import type { KeyVaultSecret, SecretClient } from "@azure/keyvault-secrets";
import { isLoopbackHostname } from "../config.js";
import type { Logger } from "../log.js";
import { CachedSecretSource, type FetchResult, type SecretCacheOptions, type SecretFetcher } from "./cache.js";
import type { SecretSource } from "./source.js";

/** Retry policy of one fetch inside the SDK; see {@link KEY_VAULT_DEFAULTS}. */
export interface KeyVaultRetryOptions {
  /** Retries after a failed attempt (connection error, 5xx, 429) within one fetch. */
  readonly maxRetries?: number;
  /** Delay before the first retry, in ms; later ones grow exponentially, capped at four times this. */
  readonly retryDelayMs?: number;
}

/** What {@link keyVaultSecrets} needs: the vault, a credential, a logger, and optional timing and retry tuning. */
export interface KeyVaultSecretsOptions extends SecretCacheOptions, KeyVaultRetryOptions {
  /** The vault, e.g. `https://kv-contoso.vault.azure.net/` (`KEY_VAULT_URL`). */
  readonly vaultUrl: URL | string;
  /** Who reads: in Azure, `ManagedIdentityCredential({ clientId })` of the runtime identity. */
  readonly credential: TokenCredential;
  /** Receives the cache's events (refresh failures, recoveries, new versions). */
  readonly log: Logger;
}

/**
 * One retry, 250 ms after the first attempt: a vault that refuses
 * connections costs a reader about a quarter of a second, and a hanging one
 * is cut off by the cache's `fetchTimeoutMs` (5 s) whatever the SDK's policy
 * (including a long `Retry-After`) would do.
 */
export const KEY_VAULT_DEFAULTS = { maxRetries: 1, retryDelayMs: 250 } as const;

/** Names of @azure/identity's credential errors: a token could not be had, the vault was never asked. */
const CREDENTIAL_ERRORS = new Set(["CredentialUnavailableError", "AuthenticationError", "AggregateAuthenticationError", "AuthenticationRequiredError"]);

/**
 * A {@link SecretSource} reading Key Vault with `credential`.
 *
 * @example
 * const secrets = keyVaultSecrets({
 *   vaultUrl: "https://kv-contoso.vault.azure.net/",
 *   credential: new ManagedIdentityCredential({ clientId: runtimeIdentityClientId }),
 *   log,
 * });
 * const keyring = await secrets.get("sealing-keyring");
 */
export function keyVaultSecrets(options: KeyVaultSecretsOptions): SecretSource {
  const vaultUrl = new URL(String(options.vaultUrl));
  if (vaultUrl.protocol !== "https:") throw new RangeError(`Key Vault URL must be https, got ${vaultUrl.href}`);
  const maxRetries = options.maxRetries ?? KEY_VAULT_DEFAULTS.maxRetries;
  const retryDelayMs = options.retryDelayMs ?? KEY_VAULT_DEFAULTS.retryDelayMs;

  let client: Promise<SecretClient> | undefined;
  const openClient = (): Promise<SecretClient> =>
    (client ??= import("@azure/keyvault-secrets").then(
      ({ SecretClient }) =>
        new SecretClient(vaultUrl.href, options.credential, {
          retryOptions: { maxRetries, retryDelayInMs: retryDelayMs, maxRetryDelayInMs: retryDelayMs * 4 },
          // Key Vault never redirects; following one would carry the bearer token elsewhere.
          redirectOptions: { handleRedirects: false },
          // The challenge names https://vault.azure.net, which a loopback vault (the local fake) can never match.
          disableChallengeResourceVerification: isLoopbackHostname(vaultUrl.hostname),
          userAgentOptions: { userAgentPrefix: "mcp-functions-kit" },
        }),
      (error: unknown) => {
        client = undefined;
        throw error;
      },
    ));

  const fetcher: SecretFetcher = async (name, signal) => {
    let secret: KeyVaultSecret;
    try {
      secret = await (await openClient()).getSecret(name, { abortSignal: signal });
    } catch (error) {
      return classifyError(error, vaultUrl.host);
    }
    if (secret.properties.enabled === false) return { kind: "absent", reason: `the secret is disabled in Key Vault ${vaultUrl.host}` };
    if (secret.value === undefined) return { kind: "absent", reason: `Key Vault ${vaultUrl.host} returned no value` };
    return {
      kind: "value",
      value: secret.value,
      ...(secret.properties.version === undefined ? {} : { version: secret.properties.version }),
      ...(secret.properties.expiresOn === undefined ? {} : { expiresOn: secret.properties.expiresOn }),
      ...(secret.properties.notBefore === undefined ? {} : { notBefore: secret.properties.notBefore }),
    };
  };

  return new CachedSecretSource(vaultUrl.href, fetcher, options.log, options);
}

/** The fields of the SDK's RestError this module reads (duck-typed: core-rest-pipeline is not a direct dependency). */
interface RestErrorLike {
  readonly name?: unknown;
  readonly statusCode?: unknown;
  readonly code?: unknown;
  readonly details?: { readonly error?: { readonly innerError?: { readonly code?: unknown } } };
}

/** Sorts an SDK error into "no value" and "failed", with a reason made of codes only. */
export function classifyError(error: unknown, vaultHost: string): FetchResult {
  const fields: RestErrorLike = typeof error === "object" && error !== null ? error : {};
  const name = token(fields.name);
  if (name !== undefined && CREDENTIAL_ERRORS.has(name)) {
    return { kind: "failed", reason: `the credential could not get a token for Key Vault ${vaultHost} (${name})` };
  }
  const status = typeof fields.statusCode === "number" ? fields.statusCode : undefined;
  const code = token(fields.code);
  const inner = token(fields.details?.error?.innerError?.code);
  if (status === 404 && code === "SecretNotFound") return { kind: "absent", reason: `Key Vault ${vaultHost} has no such secret (SecretNotFound)` };
  if (status === 403 && inner === "SecretDisabled") return { kind: "absent", reason: `the secret is disabled in Key Vault ${vaultHost} (SecretDisabled)` };
  if (status !== undefined) {
    const codes = [code, inner].filter((part) => part !== undefined).join("/");
    return { kind: "failed", reason: `Key Vault ${vaultHost} answered ${status}${codes === "" ? "" : ` ${codes}`}` };
  }
  if (name === "AbortError") return { kind: "failed", reason: `the request to Key Vault ${vaultHost} was aborted` };
  if (code !== undefined) return { kind: "failed", reason: `Key Vault ${vaultHost} could not be reached (${code})` };
  return { kind: "failed", reason: `reading from Key Vault ${vaultHost} failed (${name ?? "unknown error"})` };
}

/** `value` when it looks like an identifier (an error code or class name), else undefined: nothing free-form reaches a log. */
function token(value: unknown): string | undefined {
  return typeof value === "string" && /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(value) ? value : undefined;
}
