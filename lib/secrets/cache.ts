/**
 * A caching {@link SecretSource} over a fetcher (Key Vault in Azure).
 *
 * Each rule answers a failure mode:
 *
 * - The first read of a name fetches; concurrent readers share that fetch, so
 *   a burst of cold requests costs the vault one call.
 * - A value is current for `ttlMs` and served from memory meanwhile.
 * - A read in the last `refreshAheadMs` of the TTL, or after it, gets the
 *   cached value at once and starts one background refresh: after the first
 *   read, no request waits on the vault.
 * - A refresh that fails (unreachable, timed out, 5xx, access denied) leaves
 *   the last good value in service, however old: the vault being down must
 *   not take the app down. One warning per secret per outage, one info line
 *   when the vault answers again.
 * - An answer that the secret has no value (missing, disabled, expired, not
 *   yet valid) withdraws the cached value: disabling a secret in the vault is
 *   how an operator revokes it, and expiry dates are kept.
 * - With no value, reads throw {@link SecretUnavailableError} naming the
 *   secret and the reason; reasons never contain a value or a response body.
 * - Every fetch has a deadline (`fetchTimeoutMs`), enforced here whatever the
 *   fetcher does with its abort signal. After a failed fetch, no new fetch of
 *   that name starts for `retryAfterFailureMs`: an outage costs the vault one
 *   call per secret per interval, and readers with nothing cached fail fast
 *   instead of queueing behind timeouts.
 *
 * Entries are kept per secret name (case-insensitive, as in Key Vault) for the
 * life of the process; names come from code and configuration, not from
 * requests, so the map stays as small as the set of secrets the app uses.
 */
import { untilAborted, withDeadline } from "../abort.js";
import type { Logger } from "../log.js";
import { traceSecretFetches } from "../telemetry/index.js";
import { isSecretName, SecretUnavailableError, type SecretSource } from "./source.js";

/** What one fetch found. Reasons are safe to log: never a value, never a response body. */
export type FetchResult =
  | {
      readonly kind: "value";
      readonly value: string;
      /** Version id, for logs (e.g. Key Vault's 32-hex version). */
      readonly version?: string;
      /** The value must not be used from this time on. */
      readonly expiresOn?: Date;
      /** The value must not be used before this time. */
      readonly notBefore?: Date;
    }
  /** The store answered and has no usable value (missing, disabled...). */
  | { readonly kind: "absent"; readonly reason: string }
  /** No answer could be had (unreachable, 5xx, denied...). */
  | { readonly kind: "failed"; readonly reason: string };

/**
 * Reads one secret. Should honour `signal` (the deadline), and should resolve
 * rather than reject; a rejection counts as a failed fetch.
 */
export type SecretFetcher = (name: string, signal: AbortSignal) => Promise<FetchResult>;

/** Timing of the cache. Every field is optional; defaults in {@link SECRET_CACHE_DEFAULTS}. */
export interface SecretCacheOptions {
  /** How long a fetched value is current, in ms. */
  readonly ttlMs?: number;
  /** Reads this many ms before the TTL runs out start a background refresh; less than `ttlMs`. Default 30 s, or a tenth of `ttlMs` when that is less. */
  readonly refreshAheadMs?: number;
  /** Deadline of one fetch (token, retries and all), in ms; no reader waits longer for a fetch. */
  readonly fetchTimeoutMs?: number;
  /** After a failed fetch, no new fetch of that secret starts for this many ms. */
  readonly retryAfterFailureMs?: number;
  /** Clock for the TTL and the retry interval, epoch ms (tests); deadlines use real timers. */
  readonly now?: () => number;
}

/** The defaults: 5 min TTL, refresh from 30 s before it, 5 s per fetch, 5 s between failed fetches. */
export const SECRET_CACHE_DEFAULTS = {
  ttlMs: 5 * 60_000,
  refreshAheadMs: 30_000,
  fetchTimeoutMs: 5_000,
  retryAfterFailureMs: 5_000,
} as const;

interface CachedValue {
  readonly value: string;
  readonly version: string | undefined;
  readonly fetchedAt: number;
  readonly expiresAt: number | undefined;
  readonly notBefore: number | undefined;
}

interface Entry {
  current: CachedValue | undefined;
  inflight: Promise<void> | undefined;
  /** The last fetch brought no value (failed or absent); cleared by a value. */
  failure: { readonly at: number; readonly reason: string } | undefined;
  /** Fetches are failing; ends when the store answers again. */
  outage: { readonly since: number; attempts: number; warned: boolean } | undefined;
}

/**
 * A {@link SecretSource} that caches what `fetcher` reads; see the module comment for the rules.
 *
 * @example
 * const source = new CachedSecretSource("https://kv.vault.azure.net/", fetchFromVault, log, { ttlMs: 60_000 });
 * const keyring = await source.get("sealing-keyring");
 */
export class CachedSecretSource implements SecretSource {
  readonly description: string;
  readonly #fetcher: SecretFetcher;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #refreshAheadMs: number;
  readonly #fetchTimeoutMs: number;
  readonly #retryAfterFailureMs: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(description: string, fetcher: SecretFetcher, log: Logger, options: SecretCacheOptions = {}) {
    this.description = description;
    this.#fetcher = traceSecretFetches(fetcher);
    this.#log = log;
    this.#ttlMs = duration("ttlMs", options.ttlMs ?? SECRET_CACHE_DEFAULTS.ttlMs);
    this.#refreshAheadMs = duration("refreshAheadMs", options.refreshAheadMs ?? Math.min(SECRET_CACHE_DEFAULTS.refreshAheadMs, this.#ttlMs / 10), true);
    this.#fetchTimeoutMs = duration("fetchTimeoutMs", options.fetchTimeoutMs ?? SECRET_CACHE_DEFAULTS.fetchTimeoutMs);
    this.#retryAfterFailureMs = duration("retryAfterFailureMs", options.retryAfterFailureMs ?? SECRET_CACHE_DEFAULTS.retryAfterFailureMs, true);
    if (this.#refreshAheadMs >= this.#ttlMs) throw new RangeError("refreshAheadMs must be less than ttlMs");
    this.#now = options.now ?? Date.now;
  }

  async get(name: string, signal?: AbortSignal): Promise<string> {
    if (!isSecretName(name)) throw new SecretUnavailableError(name, "not a valid secret name");
    signal?.throwIfAborted();
    const entry = this.#entry(name);
    const now = this.#now();
    const current = entry.current;
    if (current !== undefined && usable(current, now)) {
      if (now - current.fetchedAt >= this.#ttlMs - this.#refreshAheadMs) this.#refresh(name, entry, now);
      return current.value;
    }
    if (entry.inflight === undefined) {
      if (entry.failure !== undefined && now - entry.failure.at < this.#retryAfterFailureMs) {
        throw new SecretUnavailableError(name, entry.failure.reason);
      }
      this.#refresh(name, entry, now);
    }
    await untilAborted(entry.inflight!, signal);
    const fetched = entry.current;
    if (fetched !== undefined && usable(fetched, this.#now())) return fetched.value;
    throw new SecretUnavailableError(name, entry.failure?.reason ?? "no value was fetched");
  }

  #entry(name: string): Entry {
    const key = name.toLowerCase();
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      entry = { current: undefined, inflight: undefined, failure: undefined, outage: undefined };
      this.#entries.set(key, entry);
    }
    return entry;
  }

  /** Starts a fetch unless one is running or the last one failed too recently. */
  #refresh(name: string, entry: Entry, now: number): void {
    if (entry.inflight !== undefined) return;
    if (entry.failure !== undefined && now - entry.failure.at < this.#retryAfterFailureMs) return;
    entry.inflight = this.#load(name, entry)
      .catch((error: unknown) => {
        // #load handles every outcome; reaching here is a bug, and must not become an unhandled rejection.
        this.#log.error("secret.cache_failed", { name, source: this.description, error });
      })
      .finally(() => {
        entry.inflight = undefined;
      });
  }

  async #load(name: string, entry: Entry): Promise<void> {
    const result = await this.#fetchWithDeadline(name);
    const now = this.#now();
    if (result.kind === "failed") {
      entry.failure = { at: now, reason: result.reason };
      const outage = (entry.outage ??= { since: now, attempts: 0, warned: false });
      outage.attempts++;
      // Only a value still being served makes the outage worth a warning here; without one, readers get the error.
      if (entry.current !== undefined && usable(entry.current, now) && !outage.warned) {
        outage.warned = true;
        this.#log.warn("secret.refresh_failed", {
          name,
          source: this.description,
          reason: result.reason,
          servingVersion: entry.current.version,
          valueAgeMs: now - entry.current.fetchedAt,
        });
      }
      return;
    }

    if (entry.outage !== undefined) {
      this.#log.info("secret.recovered", { name, source: this.description, failedAttempts: entry.outage.attempts, outageMs: now - entry.outage.since });
      entry.outage = undefined;
    }
    const fetched = result.kind === "value" ? toCached(result, now) : undefined;
    const unusable = fetched === undefined ? undefined : unusableReason(fetched, now);
    if (fetched === undefined || unusable !== undefined) {
      const reason = result.kind === "absent" ? result.reason : unusable!;
      if (entry.current !== undefined) {
        this.#log.warn("secret.withdrawn", { name, source: this.description, reason, droppedVersion: entry.current.version });
      }
      entry.current = undefined;
      entry.failure = { at: now, reason };
      return;
    }
    const previous = entry.current;
    if (previous === undefined) this.#log.debug("secret.loaded", { name, source: this.description, version: fetched.version });
    else if (previous.version !== fetched.version) {
      this.#log.info("secret.updated", { name, source: this.description, version: fetched.version, previousVersion: previous.version });
    }
    entry.current = fetched;
    entry.failure = undefined;
  }

  async #fetchWithDeadline(name: string): Promise<FetchResult> {
    const reason = `${this.description} did not answer within ${this.#fetchTimeoutMs} ms`;
    const fetching = (signal: AbortSignal): Promise<FetchResult> =>
      this.#fetcher(name, signal).catch((error: unknown): FetchResult => ({ kind: "failed", reason: `reading from ${this.description} failed (${errorName(error)})` }));
    try {
      return await withDeadline(this.#fetchTimeoutMs, () => new Error(reason), fetching);
    } catch {
      // Only the deadline rejects: the fetcher's own failures are results above.
      return { kind: "failed", reason };
    }
  }

}

function toCached(result: Extract<FetchResult, { kind: "value" }>, now: number): CachedValue {
  return {
    value: result.value,
    version: result.version,
    fetchedAt: now,
    expiresAt: result.expiresOn?.getTime(),
    notBefore: result.notBefore?.getTime(),
  };
}

function unusableReason(value: CachedValue, now: number): string | undefined {
  if (value.expiresAt !== undefined && now >= value.expiresAt) return `expired on ${new Date(value.expiresAt).toISOString()}`;
  if (value.notBefore !== undefined && now < value.notBefore) return `not valid before ${new Date(value.notBefore).toISOString()}`;
  return undefined;
}

function usable(value: CachedValue, now: number): boolean {
  return unusableReason(value, now) === undefined;
}

/** The error's class name only: messages of SDK errors can quote response bodies. */
function errorName(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  return /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) ? name : "unknown error";
}

function duration(name: string, value: number, zeroAllowed = false): number {
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw new RangeError(`${name} must be a ${zeroAllowed ? "non-negative" : "positive"} number of milliseconds, got ${value}`);
  }
  return value;
}
