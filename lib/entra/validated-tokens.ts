/**
 * Tokens that passed validation, remembered for a few minutes so that the
 * next request carrying the very same token skips the signature check.
 *
 * An MCP client sends its access token with every call, so the same token
 * arrives again and again for an hour. Checking its RS256 signature and
 * parsing it each time was the largest single cost of an authenticated
 * `tools/call` (bench/README.md). What makes reuse safe:
 *
 * - The key is the whole token, byte for byte: the signature covers exactly
 *   those bytes, so a token equal to one that verified would verify again.
 *   Nothing short of the full token (no hash prefix, no `jti`) is trusted.
 * - Only success is remembered. A refused token is checked in full every time.
 * - `exp` keeps counting: an entry expires at the instant the token would
 *   have been refused (its `exp` plus the same clock skew), and at the
 *   latest `maxAgeMs` after it was checked, so that every token is checked
 *   in full again every few minutes.
 * - A change of the signing key set (a refetch) forgets everything: a key
 *   Entra stopped publishing stops validating tokens at once.
 * - What is remembered is deeply frozen, and every caller gets that same
 *   object: a tool cannot change the claims the next request sees (it
 *   throws, ESM being strict), and no request pays for a copy.
 * - Bounded in entries and bytes; the least recently used go first.
 */
import { BoundedLru } from "../cache/lru.js";
import type { ValidatedToken } from "./access-token.js";

/** Settings of a {@link ValidatedTokenCache}; all have defaults. */
export interface ValidatedTokenCacheOptions {
  /** Most tokens remembered (default 2,000: the distinct callers of one instance within a few minutes). */
  readonly maxEntries?: number;
  /** Most bytes remembered, estimated as twice the token's length per entry (default 16 MiB). */
  readonly maxBytes?: number;
  /** Longest a token is trusted without a full check, ms (default 5 minutes). */
  readonly maxAgeMs?: number;
  readonly now?: () => number;
}

interface Entry {
  readonly token: ValidatedToken;
  /** The signing key set the token was checked against. */
  readonly keysVersion: number;
}

/**
 * Remembers validated tokens.
 *
 * @example
 * const remembered = cache.get(bearer, keys.version);
 * if (remembered !== undefined) return remembered;
 * const token = await fullCheck(bearer);
 * cache.remember(token, keys.version, CLOCK_SKEW_SECONDS);
 */
export class ValidatedTokenCache {
  readonly #entries: BoundedLru<Entry>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(options: ValidatedTokenCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxAgeMs = options.maxAgeMs ?? 5 * 60 * 1000;
    this.#entries = new BoundedLru({ maxEntries: options.maxEntries ?? 2000, maxBytes: options.maxBytes ?? 16 * 1024 * 1024, now: this.#now });
  }

  /** The remembered (frozen) validation of exactly `token`, if it is still good under key set `keysVersion`. */
  get(token: string, keysVersion: number): ValidatedToken | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (entry.keysVersion !== keysVersion) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.token;
  }

  /**
   * Remembers a token that has just passed every check against key set
   * `keysVersion`; returns the frozen validation that later lookups return.
   */
  remember(token: ValidatedToken, keysVersion: number, clockSkewSeconds: number): ValidatedToken {
    const until = Math.min((token.expiresAt + clockSkewSeconds) * 1000, this.#now() + this.#maxAgeMs);
    const frozen = frozenCopyOf(token);
    // Claims of a few kilobytes at most, kept once as parsed values and once as the token text.
    this.#entries.set(token.token, { token: frozen, keysVersion }, token.token.length * 2 + 512, until);
    return frozen;
  }

  /** Tokens remembered right now (expired ones may still count until they are looked up or swept). */
  get size(): number {
    return this.#entries.size;
  }
}

/** A deeply frozen copy: the caller's own object (and what jose parsed) stays as it was. */
function frozenCopyOf(token: ValidatedToken): ValidatedToken {
  return Object.freeze({ ...token, claims: frozenJson(token.claims) as Record<string, unknown>, scopes: Object.freeze([...token.scopes]), roles: Object.freeze([...token.roles]) });
}

/** A deeply frozen copy of a JSON value (claims are parsed JSON). */
function frozenJson(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return Object.freeze(value.map(frozenJson));
  // fromEntries defines properties, so a claim named "__proto__" stays a claim.
  return Object.freeze(Object.fromEntries(Object.entries(value).map(([name, item]) => [name, frozenJson(item)])));
}
