/**
 * Cache keys for OBO results, and the per-entry encryption key, both derived
 * from the user's assertion (the access token the MCP client presented).
 *
 * An OBO result belongs to exactly one (assertion, scope set, claims
 * challenge). Scopes are a set, so their order and repetitions must not
 * matter; a claims challenge asks for a token the cached one does not
 * satisfy, so it must change the key.
 *
 * In memory, entries are found by a plain SHA-256 of the assertion and the
 * normalized context: one hash on the hot path, and nothing leaves the
 * process. For the shared store, two values come out of HKDF-SHA256 over the
 * assertion, with different `info` labels, so one reveals nothing about the
 * other:
 *
 * - the lookup id: names the entry in the shared store. The store sees it,
 *   and it is one-way: it does not reveal the assertion.
 * - the value key: AES-256-GCM key of the entry in the shared store. Only a
 *   caller holding the assertion can compute it, so the store alone (or
 *   someone who reads it) learns neither the token nor whose it is.
 *
 * See `STORAGE.md` beside this file for the stored format.
 */
import { createHash, hkdfSync } from "node:crypto";

/** Version tag mixed into every derivation; bump it to orphan all existing entries. */
const DERIVATION_VERSION = "mcp-functions-kit/obo-cache/v1";
const LOOKUP_INFO = "lookup-id";
const VALUE_KEY_INFO = "value-key";

/** What an OBO result is requested for, normalized. */
export interface CacheContext {
  /** Scopes trimmed, de-duplicated and sorted. */
  readonly scopes: readonly string[];
  /** The claims challenge, or undefined for none (an empty string counts as none). */
  readonly claims: string | undefined;
  /** Unambiguous encoding of version, scopes and claims. */
  readonly canonical: string;
}

/**
 * Scopes as a set: trimmed, empty ones dropped, duplicates removed, sorted by
 * code unit. Case is kept: two spellings are two keys, which at worst costs
 * one more OBO request, whereas merging them could hand out a token for the
 * wrong resource.
 *
 * @example
 * normalizeScopes(["User.Read", " openid", "User.Read"]); // ["User.Read", "openid"]
 */
export function normalizeScopes(scopes: readonly string[]): string[] {
  const set = new Set<string>();
  for (const scope of scopes) {
    const trimmed = scope.trim();
    if (trimmed !== "") set.add(trimmed);
  }
  return [...set].sort();
}

/**
 * The normalized context of a request for an OBO token.
 *
 * @example
 * cacheContext(["b", "a"]).canonical === cacheContext(["a", "b", "a"]).canonical; // true
 */
export function cacheContext(scopes: readonly string[], claims?: string): CacheContext {
  const normalized = normalizeScopes(scopes);
  const claimsChallenge = claims === undefined || claims === "" ? undefined : claims;
  // JSON keeps the encoding unambiguous: no scope list can be confused with a
  // claims string, whatever characters either contains.
  const canonical = JSON.stringify([DERIVATION_VERSION, normalized, claimsChallenge ?? null]);
  return { scopes: normalized, claims: claimsChallenge, canonical };
}

/**
 * The in-memory key of an entry: SHA-256 of the assertion and the context,
 * base64url. The NUL separator cannot occur in a JWT, so no two
 * (assertion, context) pairs share an input.
 */
export function memoryKey(assertion: string, context: CacheContext): string {
  return createHash("sha256").update(assertion).update("\0").update(context.canonical).digest("base64url");
}

/**
 * Derives lookup ids and value keys. Every instance of the app must use the
 * same pepper (or none) to share entries.
 */
export class CacheKeyDeriver {
  readonly #salt: Buffer;

  /**
   * @param pepper optional server-side secret mixed in as the HKDF salt. With
   *   it, even someone holding both a stolen assertion and a copy of the store
   *   cannot find that assertion's entries without also holding the pepper.
   */
  constructor(pepper?: Uint8Array) {
    this.#salt = pepper === undefined || pepper.length === 0 ? Buffer.from(DERIVATION_VERSION) : Buffer.from(pepper);
  }

  /**
   * The entry's name in the shared store: 64 lower-case hex characters, safe
   * as a Table row key and a Redis key.
   */
  lookupId(assertion: string, context: CacheContext): string {
    return Buffer.from(this.#derive(assertion, LOOKUP_INFO, context)).toString("hex");
  }

  /** The 32-byte AES-256-GCM key for the entry's value in the shared store. */
  valueKey(assertion: string, context: CacheContext): Buffer {
    return Buffer.from(this.#derive(assertion, VALUE_KEY_INFO, context));
  }

  #derive(assertion: string, label: string, context: CacheContext): ArrayBuffer {
    // HKDF info is capped at 1024 bytes, so the context enters as its digest.
    const digest = createHash("sha256").update(context.canonical).digest();
    const info = Buffer.concat([Buffer.from(`${DERIVATION_VERSION}/${label}\0`), digest]);
    return hkdfSync("sha256", Buffer.from(assertion, "utf8"), this.#salt, info, 32);
  }
}
