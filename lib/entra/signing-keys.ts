/**
 * Entra's token signing keys, fetched from the JWKS endpoint and cached.
 *
 * jose's remote key set throws when a stale cache cannot be refreshed and
 * refetches on every unknown key id after a failed fetch; a resource server
 * in front of an identity provider needs the opposite on both counts:
 *
 * - Keys keep validating while Entra is unreachable: a stale set is refreshed
 *   in the background and kept until a fetch succeeds.
 * - A token with an unknown `kid` causes at most one fetch per cooldown, counted
 *   from the last attempt (successful or not), with concurrent callers sharing
 *   it. Otherwise garbage tokens with made-up key ids would let anyone make the
 *   server hammer Entra.
 * - Every fetch has a timeout.
 *
 * Key lookup and signature checks stay with jose (`createLocalJWKSet`).
 */
import type { createLocalJWKSet, CryptoKey, JSONWebKeySet, JWTHeaderParameters, FlattenedJWSInput } from "jose";
import type { Logger } from "../log.js";
import { tracedFetch } from "../telemetry/index.js";
import { loadJose } from "./jose.js";

/** Thrown when the keys a token needs cannot be fetched (none ever, or its key id is new and Entra is unreachable): the request cannot be judged (503, not 401). */
export class SigningKeysUnavailableError extends Error {
  readonly code = "SIGNING_KEYS_UNAVAILABLE";
  constructor(cause: unknown) {
    super("Entra's signing keys could not be fetched", { cause });
    this.name = "SigningKeysUnavailableError";
  }
}

export interface SigningKeysOptions {
  /** The JWKS endpoint. */
  readonly jwksUri: URL;
  /** Least time between fetches caused by unknown key ids, counted from the last attempt. */
  readonly cooldownMs: number;
  /** Age after which the set is refreshed in the background (default 1 hour). */
  readonly refreshAfterMs?: number;
  /** Timeout of one fetch (default 5 seconds). */
  readonly timeoutMs?: number;
  readonly log: Logger;
  /** Replaces global fetch (tests). */
  readonly fetch?: typeof fetch;
}

type KeyLookup = ReturnType<typeof createLocalJWKSet>;

/** Least time between fetch attempts while no key set has been fetched yet. */
const EMPTY_RETRY_MS = 1000;

/** A cached Entra key set. `getKey` has the shape jose's `jwtVerify` takes. */
export class SigningKeys {
  private lookup: KeyLookup | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;
  private lastError: unknown;
  private fetchedSets = 0;
  private latestFetchFailed = false;
  private readonly refreshAfterMs: number;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: SigningKeysOptions) {
    this.refreshAfterMs = options.refreshAfterMs ?? 60 * 60 * 1000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetchImpl = tracedFetch("jwks", options.fetch ?? fetch);
  }

  /**
   * Which key set is current: changes whenever a fetch replaces the set, so
   * that whatever was concluded with the previous keys can be dropped.
   */
  get version(): number {
    return this.fetchedSets;
  }

  /**
   * Resolves the verification key for a token header.
   * @throws SigningKeysUnavailableError when no key set could ever be fetched,
   *   or when the key id is unknown and the latest fetch failed: Entra may have
   *   rotated to a key this instance cannot learn yet, so the token cannot be
   *   judged (503, and the client retries) rather than being refused (401,
   *   and the client throws away a good token).
   * @throws errors.JWKSNoMatchingKey when the key id is unknown after any refetch the cooldown allows.
   */
  readonly getKey = async (header: JWTHeaderParameters, token: FlattenedJWSInput): Promise<CryptoKey> => {
    if (this.lookup === undefined) {
      // With nothing cached, retry soon but not on every request: an outage must not turn into a flood.
      if (this.pending === undefined && Date.now() - this.attemptedAt < EMPTY_RETRY_MS) throw new SigningKeysUnavailableError(this.lastError);
      await this.refresh();
      if (this.lookup === undefined) throw new SigningKeysUnavailableError(this.lastError);
    } else if (Date.now() - this.fetchedAt > this.refreshAfterMs && this.coolingDownOver()) {
      void this.refresh();
    }
    try {
      return await this.lookup(header, token);
    } catch (error) {
      if (!(error instanceof (await loadJose()).errors.JWKSNoMatchingKey)) throw error;
      if (this.coolingDownOver()) await this.refresh();
      else if (!this.latestFetchFailed) throw error;
      if (this.latestFetchFailed) throw new SigningKeysUnavailableError(this.lastError);
      return this.lookup(header, token);
    }
  };

  private coolingDownOver(): boolean {
    return Date.now() - this.attemptedAt >= this.options.cooldownMs;
  }

  /** Fetches the key set once, sharing the fetch with concurrent callers; failures are logged and keep the old set. */
  private refresh(): Promise<void> {
    this.pending ??= this.fetchOnce().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchOnce(): Promise<void> {
    this.attemptedAt = Date.now();
    try {
      const response = await this.fetchImpl(this.options.jwksUri, {
        headers: { accept: "application/json" },
        redirect: "error",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`JWKS endpoint answered ${response.status}`);
      const body = (await response.json()) as JSONWebKeySet;
      if (!Array.isArray(body.keys)) throw new Error("JWKS response has no keys array");
      this.lookup = (await loadJose()).createLocalJWKSet(body);
      this.fetchedSets += 1;
      this.fetchedAt = Date.now();
      this.latestFetchFailed = false;
      this.options.log.debug("entra.jwks_fetched", { keys: body.keys.length, kids: body.keys.map((key) => key.kid) });
    } catch (error) {
      this.lastError = error;
      this.latestFetchFailed = true;
      this.options.log.warn("entra.jwks_fetch_failed", { jwksUri: this.options.jwksUri.href, error, cachedKeys: this.lookup !== undefined });
    }
  }
}
