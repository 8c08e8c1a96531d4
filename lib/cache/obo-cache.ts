/**
 * The kit's own cache of OBO results: memory first, then an optional store
 * shared by all instances.
 *
 * Why not MSAL's cache: msal-node's in-memory token cache keeps what it
 * obtained for every account it has seen and grows without bound in a
 * long-lived process (DESIGN.md, On-Behalf-Of). This cache is bounded
 * in entries and bytes, forgets an entry when its token or its assertion
 * expires, and lets a fresh instance reuse what another one obtained.
 *
 * Keys and encryption are derived from the assertion (keys.ts): a plain hash
 * finds an entry in memory, HKDF-derived ids and keys serve the shared layer
 * only, so a memory hit costs one SHA-256 and no key derivation. Stored
 * values are sealed (envelope.ts); shared-layer outages are tracked by
 * health.ts. The shared layer never makes a call fail: any error there
 * (connection, time-out, throttling, a value that does not open) means "not
 * in the shared cache" for that call.
 */
import { silentLogger, type Logger } from "../log.js";
import { withDeadline } from "./deadline.js";
import { DEFAULT_OBO_CACHE_MAX_BYTES, DEFAULT_OBO_CACHE_MAX_ENTRIES } from "./defaults.js";
import { openEnvelope, sealEnvelope, type EnvelopePayload } from "./envelope.js";
import { SharedLayerHealth } from "./health.js";
import { CacheKeyDeriver, cacheContext, memoryKey, type CacheContext } from "./keys.js";
import { DEFAULT_EXPIRY_MARGIN_MS, entryExpiry } from "./lifetime.js";
import { BoundedLru } from "./lru.js";
import type { SharedTokenStore } from "./shared-store.js";
import { SingleFlight } from "./single-flight.js";

/** A token obtained On-Behalf-Of a user, as the OBO code hands it to the cache. */
export interface OboToken {
  readonly accessToken: string;
  readonly expiresOn: Date;
  /** Scopes granted, when Entra said. */
  readonly scopes?: readonly string[];
  /** Usually "Bearer". */
  readonly tokenType?: string;
}

/** A token from the cache, or just obtained by {@link OboTokenCache.getOrAcquire}. */
export interface CachedToken extends OboToken {
  /** "memory" or "shared" for a cache hit; "acquired" when `getOrAcquire` had to ask. */
  readonly source: "memory" | "shared" | "acquired";
}

/** Counters, for tests, logs and benchmarks. */
export interface OboTokenCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Live entries evicted to respect the bounds. */
  readonly evictions: number;
  /** Keys with an acquisition in flight. */
  readonly inFlight: number;
  /** "none" without a shared layer; "down" during an outage. */
  readonly shared: "none" | "up" | "down";
}

/** Settings of an {@link OboTokenCache}; every one has a default. */
export interface OboTokenCacheOptions {
  /** Most entries in memory (default 5,000). */
  readonly maxEntries?: number;
  /** Most bytes in memory, estimated per entry (default 32 MiB). */
  readonly maxBytes?: number;
  /** The shared layer; omit for memory only. The cache closes it on `dispose`. */
  readonly shared?: SharedTokenStore;
  /** Receives the shared layer's outage warning and recovery line. */
  readonly log?: Logger;
  /** Largest margin kept before a token's expiry, ms (default 5 minutes; see lifetime.ts). */
  readonly expiryMarginMs?: number;
  /** Optional server-side secret mixed into every key (all instances must agree). */
  readonly pepper?: Uint8Array;
  /** Wait before probing the shared layer again after a failure, ms (default 5,000), doubling up to `sharedMaxRetryAfterMs` (default 60,000). */
  readonly sharedRetryAfterMs?: number;
  readonly sharedMaxRetryAfterMs?: number;
  /**
   * Longest a call waits for the shared layer, in ms (default 5,000). The
   * stores enforce their own, shorter limits (1 s per call, 3 s to connect);
   * this one guards against a store implementation that does not.
   */
  readonly sharedCallTimeoutMs?: number;
  /** Most distinct keys with an acquisition in flight that concurrent callers can join (default 1,000). */
  readonly maxInFlight?: number;
  readonly now?: () => number;
}

interface MemoryEntry {
  readonly accessToken: string;
  readonly expiresOn: number;
  readonly scopes?: readonly string[];
  readonly tokenType?: string;
}

/**
 * Fixed part of an entry's estimated heap: the Map slot, the slot and entry
 * objects, the scopes array and the string headers. Measured with
 * --expose-gc on Node 20: about 330 bytes per entry besides the token
 * string, key included; the estimate (this, plus the key, the token and the
 * scopes) errs on the high side by about 100 bytes.
 */
const ENTRY_OVERHEAD_BYTES = 320;
/** Larger sealed values stay in memory only: an Azure Table binary property holds 64 KiB at most. */
const MAX_SHARED_VALUE_BYTES = 48 * 1024;

/**
 * The OBO result cache. One per process, shared by all requests.
 *
 * @example
 * const cache = new OboTokenCache({ shared: new RedisTokenStore({ url }), log });
 * const token = await cache.getOrAcquire(assertion, ["https://graph.microsoft.com/User.Read"], undefined, assertionExpiresOn,
 *   () => oboFromEntra(assertion, scopes));
 */
export class OboTokenCache {
  readonly #memory: BoundedLru<MemoryEntry>;
  readonly #shared: SharedTokenStore | undefined;
  readonly #health: SharedLayerHealth | undefined;
  readonly #keys: CacheKeyDeriver;
  readonly #flights: SingleFlight<CachedToken>;
  readonly #marginMs: number;
  readonly #sharedCallTimeoutMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  #disposed = false;

  constructor(options: OboTokenCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? silentLogger;
    this.#memory = new BoundedLru({
      maxEntries: options.maxEntries ?? DEFAULT_OBO_CACHE_MAX_ENTRIES,
      maxBytes: options.maxBytes ?? DEFAULT_OBO_CACHE_MAX_BYTES,
      now: this.#now,
    });
    this.#shared = options.shared;
    this.#health =
      options.shared === undefined
        ? undefined
        : new SharedLayerHealth({
            log: this.#log,
            store: options.shared.kind,
            now: this.#now,
            ...(options.sharedRetryAfterMs === undefined ? {} : { retryAfterMs: options.sharedRetryAfterMs }),
            ...(options.sharedMaxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: options.sharedMaxRetryAfterMs }),
          });
    this.#keys = new CacheKeyDeriver(options.pepper);
    this.#flights = new SingleFlight(options.maxInFlight ?? 1000);
    this.#marginMs = options.expiryMarginMs ?? DEFAULT_EXPIRY_MARGIN_MS;
    this.#sharedCallTimeoutMs = options.sharedCallTimeoutMs ?? 5000;
  }

  get stats(): OboTokenCacheStats {
    const memory = this.#memory.stats;
    return {
      entries: memory.entries,
      bytes: memory.bytes,
      maxEntries: memory.maxEntries,
      maxBytes: memory.maxBytes,
      evictions: memory.evictions,
      inFlight: this.#flights.size,
      shared: this.#health === undefined ? "none" : this.#health.down ? "down" : "up",
    };
  }

  /**
   * The cached token for this assertion, scopes and claims challenge, from
   * memory or else from the shared layer (which then fills memory); undefined
   * on a miss. Never throws for shared-layer trouble.
   *
   * @param assertion the user's access token to this app, as received
   * @param scopes requested scopes; order and duplicates do not matter
   * @param claims the claims challenge the token must satisfy, if any
   */
  async get(assertion: string, scopes: readonly string[], claims?: string): Promise<CachedToken | undefined> {
    if (this.#disposed) return undefined;
    const context = cacheContext(scopes, claims);
    const key = memoryKey(assertion, context);
    return this.#fromMemory(key) ?? (await this.#fromShared(assertion, context, key));
  }

  /**
   * Caches `token` for this assertion, scopes and claims challenge, in memory
   * and (when configured) in the shared layer, until the token's expiry minus
   * the margin or the assertion's expiry, whichever comes first. Returns
   * false, caching nothing, when that instant has already passed.
   * A shared write that loses to an existing entry, or fails, changes nothing
   * for the caller.
   *
   * @param assertionExpiresOn the assertion's `exp`
   */
  async set(assertion: string, scopes: readonly string[], claims: string | undefined, token: OboToken, assertionExpiresOn: Date): Promise<boolean> {
    if (this.#disposed) return false;
    const context = cacheContext(scopes, claims);
    return this.#store(assertion, context, memoryKey(assertion, context), token, assertionExpiresOn);
  }

  /**
   * The cached token, or the one `acquire` obtains (then cached). Concurrent
   * calls for the same key share one `acquire`, so a burst of calls by one
   * user costs one OBO request. Errors of `acquire` reach every caller that
   * shared it and are not cached. A caller whose `signal` aborts stops
   * waiting at once; `acquire`'s own signal aborts only when every caller
   * sharing it has gone.
   *
   * @example
   * const { accessToken } = await cache.getOrAcquire(assertion, scopes, undefined, new Date(exp * 1000), () => obo(assertion, scopes));
   */
  async getOrAcquire(
    assertion: string,
    scopes: readonly string[],
    claims: string | undefined,
    assertionExpiresOn: Date,
    acquire: (signal: AbortSignal) => Promise<OboToken>,
    signal?: AbortSignal,
  ): Promise<CachedToken> {
    const context = cacheContext(scopes, claims);
    const key = memoryKey(assertion, context);
    const hit = this.#disposed ? undefined : this.#fromMemory(key);
    if (hit !== undefined) return hit;
    return this.#flights.run(
      key,
      async (sharedSignal) => {
        const shared = this.#disposed ? undefined : await this.#fromShared(assertion, context, key);
        if (shared !== undefined) return shared;
        const token = await acquire(sharedSignal);
        if (!this.#disposed) await this.#store(assertion, context, key, token, assertionExpiresOn);
        return freeze({ ...copyToken(token), source: "acquired" });
      },
      signal,
    );
  }

  /**
   * Forgets the entry for this assertion, scopes and claims challenge, here
   * and in the shared layer, e.g. after a downstream API rejected the token
   * with a claims challenge (the token was revoked). Other instances may
   * still hold it in memory until it expires.
   */
  async invalidate(assertion: string, scopes: readonly string[], claims?: string): Promise<void> {
    if (this.#disposed) return;
    const context = cacheContext(scopes, claims);
    this.#memory.delete(memoryKey(assertion, context));
    await this.#useShared(async (store) => {
      await store.delete(this.#keys.lookupId(assertion, context));
      return undefined;
    });
  }

  /** Empties memory and closes the shared layer. Later calls miss and store nothing. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#memory.clear();
    this.#flights.clear();
    try {
      await this.#shared?.close();
    } catch (error) {
      this.#log.debug("obo_cache.shared_close_failed", { error });
    }
  }

  #fromMemory(key: string): CachedToken | undefined {
    const entry = this.#memory.get(key);
    return entry === undefined ? undefined : toCachedToken(entry, "memory");
  }

  async #fromShared(assertion: string, context: CacheContext, key: string): Promise<CachedToken | undefined> {
    return this.#useShared(async (store, reject) => {
      const id = this.#keys.lookupId(assertion, context);
      const stored = await store.get(id);
      if (stored === undefined) return undefined;
      let payload: EnvelopePayload;
      try {
        payload = openEnvelope(this.#keys.valueKey(assertion, context), id, stored.value);
      } catch (error) {
        reject(error);
        return undefined;
      }
      // The sealed expiry is the one that counts; the plain one can only shorten it.
      const until = Math.min(payload.until, stored.expiresOn);
      if (until <= this.#now() || this.#disposed) return undefined;
      const entry = toMemoryEntry(payload);
      this.#memory.set(key, entry, estimateBytes(key, entry), until);
      return toCachedToken(entry, "shared");
    });
  }

  async #store(assertion: string, context: CacheContext, key: string, token: OboToken, assertionExpiresOn: Date): Promise<boolean> {
    if (typeof token.accessToken !== "string" || token.accessToken === "") throw new TypeError("An OBO token needs a non-empty accessToken");
    const until = entryExpiry(token.expiresOn.getTime(), assertionExpiresOn.getTime(), this.#now(), this.#marginMs);
    if (until === undefined) {
      this.#memory.delete(key);
      return false;
    }
    const entry = toMemoryEntry({
      accessToken: token.accessToken,
      expiresOn: token.expiresOn.getTime(),
      ...(token.scopes === undefined ? {} : { scopes: token.scopes }),
      ...(token.tokenType === undefined ? {} : { tokenType: token.tokenType }),
    });
    const cached = this.#memory.set(key, entry, estimateBytes(key, entry), until);
    await this.#useShared(async (store) => {
      const id = this.#keys.lookupId(assertion, context);
      const sealed = sealEnvelope(this.#keys.valueKey(assertion, context), id, { ...entry, until });
      if (sealed.length > MAX_SHARED_VALUE_BYTES) return undefined;
      await store.putIfAbsent(id, { value: sealed, expiresOn: until });
      return undefined;
    });
    return cached;
  }

  /**
   * Runs `work` against the shared store when the outage logic allows it,
   * reporting the outcome; any failure becomes undefined.
   */
  async #useShared<T>(work: (store: SharedTokenStore, reject: (error: unknown) => void) => Promise<T | undefined>): Promise<T | undefined> {
    const store = this.#shared;
    const health = this.#health;
    if (store === undefined || health === undefined) return undefined;
    const ticket = health.begin();
    if (ticket === undefined) return undefined;
    let rejection: { error: unknown } | undefined;
    try {
      const result = await withDeadline(this.#sharedCallTimeoutMs, `${store.kind} call`, () =>
        work(store, (error) => {
          rejection = { error };
        }),
      );
      if (rejection === undefined) health.succeeded(ticket);
      else health.rejected(ticket, rejection.error);
      return result;
    } catch (error) {
      health.failed(ticket, error);
      return undefined;
    }
  }
}

function copyToken(token: OboToken): OboToken {
  return {
    accessToken: token.accessToken,
    expiresOn: new Date(token.expiresOn.getTime()),
    ...(token.scopes === undefined ? {} : { scopes: [...token.scopes] }),
    ...(token.tokenType === undefined ? {} : { tokenType: token.tokenType }),
  };
}

function toMemoryEntry(source: { accessToken: string; expiresOn: number; scopes?: readonly string[]; tokenType?: string }): MemoryEntry {
  return Object.freeze({
    accessToken: source.accessToken,
    expiresOn: source.expiresOn,
    ...(source.scopes === undefined ? {} : { scopes: Object.freeze([...source.scopes]) }),
    ...(source.tokenType === undefined ? {} : { tokenType: source.tokenType }),
  });
}

function toCachedToken(entry: MemoryEntry, source: CachedToken["source"]): CachedToken {
  // A fresh object (and Date) per caller: one caller mutating its copy cannot affect another.
  return freeze({
    accessToken: entry.accessToken,
    expiresOn: new Date(entry.expiresOn),
    ...(entry.scopes === undefined ? {} : { scopes: entry.scopes }),
    ...(entry.tokenType === undefined ? {} : { tokenType: entry.tokenType }),
    source,
  });
}

function freeze(token: CachedToken): CachedToken {
  return Object.freeze(token);
}

function estimateBytes(key: string, entry: MemoryEntry): number {
  let bytes = ENTRY_OVERHEAD_BYTES + key.length + entry.accessToken.length + (entry.tokenType?.length ?? 0);
  for (const scope of entry.scopes ?? []) bytes += scope.length + 16;
  return bytes;
}
