/**
 * The facade's sealing keyring in Key Vault: its JSON form, creation when
 * missing, rotation and retirement.
 *
 * Form (the secret's value): `{"current":"<kid>","keys":{"<kid>":"<key>"}}`,
 * each key 32 random bytes in base64url (AES-256-GCM). The facade seals with
 * `current` and opens with any key of the ring, so rotation is: add a new key
 * and make it current, keep the previous ones until what they sealed has
 * expired, then retire them.
 *
 * Every Key Vault call goes through {@link SecretStore}, so the logic is
 * tested against a fake and the real store (scripts/hooks/azure.ts) stays thin.
 */
import { randomBytes } from "node:crypto";
import { KeyringError, parseKeyring as parseRuntimeKeyring } from "../../lib/oauth/sealing.js";
import { HookError, type HookLog } from "./hook-env.js";

/** The keyring as stored. */
export interface SealingKeyring {
  /** Key id new seals use. */
  readonly current: string;
  /** Every key that may open a seal, by key id; values are base64url of 32 bytes. */
  readonly keys: Readonly<Record<string, string>>;
}

/** Content type set on the Key Vault secret, so people browsing the vault know what it is. */
export const KEYRING_CONTENT_TYPE = "application/vnd.mcp-functions-kit.sealing-keyring+json";

/** Thrown by a {@link SecretStore} when Key Vault answers 403: the role is missing or not yet effective. */
export class SecretStoreAccessDenied extends Error {
  readonly code = "SECRET_STORE_FORBIDDEN";
  constructor(message: string) {
    super(message);
    this.name = "SecretStoreAccessDenied";
  }
}

/** The Key Vault operations the hooks need. */
export interface SecretStore {
  /** The current value of a secret; undefined when there is no such (live) secret. */
  get(name: string): Promise<string | undefined>;
  /**
   * Writes a new version. Returns `soft-deleted` instead of writing when a
   * deleted-but-recoverable secret holds the name.
   */
  set(name: string, value: string, contentType: string): Promise<"written" | "soft-deleted">;
  /** Recovers a soft-deleted secret, with the value it had. */
  recoverDeleted(name: string): Promise<void>;
}

/** Randomness and time, injectable for tests. */
export interface KeyringDeps {
  readonly randomBytes: (size: number) => Buffer;
  readonly now: () => Date;
}

/** The real randomness and clock. */
export const SYSTEM_KEYRING_DEPS: KeyringDeps = { randomBytes, now: () => new Date() };

const KEY_BYTES = 32;

/** A new key id: the UTC date (sortable, says when) and a random suffix (unique the same day). */
export function newKeyId(deps: KeyringDeps): string {
  const date = deps.now().toISOString().slice(0, 10).replace(/-/g, "");
  return `k${date}-${deps.randomBytes(4).toString("hex")}`;
}

/** A keyring with one fresh key. */
export function generateKeyring(deps: KeyringDeps = SYSTEM_KEYRING_DEPS): SealingKeyring {
  const kid = newKeyId(deps);
  return { current: kid, keys: { [kid]: deps.randomBytes(KEY_BYTES).toString("base64url") } };
}

/**
 * Parses and checks a stored keyring.
 * @throws HookError when the text is not a keyring (wrong JSON, `current` not in `keys`, a key not 32 bytes).
 */
export function parseKeyring(text: string): SealingKeyring {
  // The facade's own parser is the one definition of a valid keyring; the hook only keeps the stored shape.
  try {
    parseRuntimeKeyring(text);
  } catch (error) {
    throw new HookError(error instanceof KeyringError ? `the sealing keyring secret is unusable: ${error.message}` : "the sealing keyring secret is unusable");
  }
  const { current, keys } = JSON.parse(text) as SealingKeyring;
  return { current, keys };
}

/** The stored form of a keyring. */
export function serializeKeyring(keyring: SealingKeyring): string {
  return JSON.stringify({ current: keyring.current, keys: keyring.keys });
}

/** A new key made current; every existing key stays so that what it sealed still opens. */
export function rotateKeyring(keyring: SealingKeyring, deps: KeyringDeps = SYSTEM_KEYRING_DEPS): SealingKeyring {
  let kid = newKeyId(deps);
  while (kid in keyring.keys) {
    kid = newKeyId(deps);
  }
  return { current: kid, keys: { ...keyring.keys, [kid]: deps.randomBytes(KEY_BYTES).toString("base64url") } };
}

/**
 * The keyring without one old key, once nothing it sealed is still in use.
 * @throws HookError for the current key or an unknown one.
 */
export function retireKey(keyring: SealingKeyring, kid: string): SealingKeyring {
  if (kid === keyring.current) {
    throw new HookError(`${kid} is the current key; rotate first, then retire it once what it sealed has expired`);
  }
  if (!(kid in keyring.keys)) {
    throw new HookError(`${kid} is not in the keyring (keys: ${Object.keys(keyring.keys).join(", ")})`);
  }
  const keys = { ...keyring.keys };
  delete keys[kid];
  return { current: keyring.current, keys };
}

/** How {@link ensureSealingKeyring} waits for a role assignment that is not effective yet. */
export interface RetryPolicy {
  readonly attempts: number;
  readonly delayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Role assignments take a few minutes to reach Key Vault: up to 5 minutes, every 15 s. */
export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 20,
  delayMs: 15_000,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Runs `operation`, retrying while Key Vault denies access (a fresh role assignment propagating). */
export async function withAccessRetry<T>(operation: () => Promise<T>, retry: RetryPolicy, log: HookLog): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof SecretStoreAccessDenied) || attempt >= retry.attempts) {
        if (error instanceof SecretStoreAccessDenied) {
          throw new HookError(
            `Key Vault still denies access after ${attempt} attempts (${error.message}). The deploying account needs the ` +
              "Key Vault Secrets Officer role on the vault, which infra/modules/key-vault.bicep assigns to AZURE_PRINCIPAL_ID; run `azd provision` again in a few minutes.",
          );
        }
        throw error;
      }
      if (attempt === 1) {
        log.info("Key Vault denies access for now; a new role assignment can take a few minutes to apply. Waiting…");
      }
      await retry.sleep(retry.delayMs);
    }
  }
}

/**
 * Creates the sealing keyring secret if, and only if, it does not exist.
 * An existing keyring is never replaced (redeploys must not rotate it); a
 * soft-deleted one is recovered rather than shadowed by a new key.
 *
 * @example
 * await ensureSealingKeyring(store, "sealing-keyring", { log }); // "created" the first time, then "existing"
 * @throws HookError when the existing secret is not a keyring: it is left alone.
 */
export async function ensureSealingKeyring(
  store: SecretStore,
  secretName: string,
  options: { readonly log: HookLog; readonly deps?: KeyringDeps; readonly retry?: RetryPolicy },
): Promise<"existing" | "created" | "recovered"> {
  const retry = options.retry ?? DEFAULT_RETRY;
  const existing = await withAccessRetry(() => store.get(secretName), retry, options.log);
  if (existing !== undefined) {
    parseKeyring(existing);
    return "existing";
  }
  const keyring = generateKeyring(options.deps ?? SYSTEM_KEYRING_DEPS);
  const outcome = await withAccessRetry(() => store.set(secretName, serializeKeyring(keyring), KEYRING_CONTENT_TYPE), retry, options.log);
  if (outcome === "written") {
    return "created";
  }
  await withAccessRetry(() => store.recoverDeleted(secretName), retry, options.log);
  const recovered = await withAccessRetry(() => store.get(secretName), retry, options.log);
  if (recovered === undefined) {
    throw new HookError(`the soft-deleted secret ${secretName} was recovered but cannot be read yet; run \`azd provision\` again in a minute`);
  }
  parseKeyring(recovered);
  return "recovered";
}

/** Reads, changes and writes back the keyring (rotation, retirement). */
export async function updateKeyring(
  store: SecretStore,
  secretName: string,
  change: (keyring: SealingKeyring) => SealingKeyring,
): Promise<SealingKeyring> {
  const text = await store.get(secretName);
  if (text === undefined) {
    throw new HookError(`there is no secret ${secretName}; \`azd provision\` creates it`);
  }
  const updated = change(parseKeyring(text));
  const outcome = await store.set(secretName, serializeKeyring(updated), KEYRING_CONTENT_TYPE);
  if (outcome !== "written") {
    throw new HookError(`the secret ${secretName} is soft-deleted; recover it first`);
  }
  return updated;
}
