/**
 * How long a fetched Client ID Metadata Document is reused, and the bounded
 * store that holds it.
 *
 * The draft asks authorization servers to respect HTTP caching (RFC 9111)
 * within bounds of their own, and never to cache errors or invalid documents.
 * Each Functions instance keeps its own copy; nothing here is shared, so a
 * publisher's change reaches every instance within the lifetime chosen below.
 */
import type { IncomingHttpHeaders } from "node:http";

/** Lifetime bounds, in seconds. */
export interface CacheLifetimeBounds {
  /** Used when the response says nothing about freshness. */
  readonly defaultSeconds: number;
  /** Least lifetime given to a response that allows caching at all. */
  readonly minSeconds: number;
  /** Most lifetime, whatever the response says. */
  readonly maxSeconds: number;
}

/**
 * Seconds a response may be reused, from its caching headers: 0 means "do not
 * store". `no-store`, `no-cache` and a `max-age` (or `Expires`) already
 * reached give 0: the publisher asked us to look again, and honouring that
 * costs one small fetch. A positive lifetime is clamped to the bounds, so
 * `max-age=1` cannot make us refetch every second and `max-age=31536000`
 * cannot pin a stale list of redirect URIs for a year. `s-maxage`, `private`
 * and revalidation are not used: the document is the same for every user,
 * and a refetch is as cheap as a revalidation.
 *
 * @example
 * cacheLifetimeSeconds({ "cache-control": "public, max-age=600" }, Date.now(), bounds); // 600
 */
export function cacheLifetimeSeconds(headers: IncomingHttpHeaders, nowMs: number, bounds: CacheLifetimeBounds): number {
  const directives = parseCacheControl(headers["cache-control"]);
  if (directives.has("no-store") || directives.has("no-cache")) return 0;
  const age = nonNegativeInteger(typeof headers.age === "string" ? headers.age : undefined) ?? 0;
  let lifetime: number | undefined;
  if (directives.has("max-age")) {
    // An unparseable max-age makes the response stale (RFC 9111 section 4.2.1).
    lifetime = (nonNegativeInteger(directives.get("max-age")) ?? 0) - age;
  } else if (headers.expires !== undefined) {
    const expires = Date.parse(headers.expires);
    const date = headers.date === undefined ? Number.NaN : Date.parse(headers.date);
    // An invalid Expires ("0", "-1") means already expired.
    lifetime = Number.isNaN(expires) ? 0 : Math.floor((expires - (Number.isNaN(date) ? nowMs : date)) / 1000) - age;
  }
  if (lifetime === undefined) return clamp(bounds.defaultSeconds, bounds);
  return lifetime <= 0 ? 0 : clamp(lifetime, bounds);
}

function clamp(seconds: number, bounds: CacheLifetimeBounds): number {
  return Math.min(bounds.maxSeconds, Math.max(bounds.minSeconds, seconds));
}

/** Cache-Control directives, names lower-cased, values unquoted; the first of a repeated directive wins. */
function parseCacheControl(header: string | undefined): Map<string, string | undefined> {
  const directives = new Map<string, string | undefined>();
  for (const part of (header ?? "").split(",")) {
    const match = /^\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*(?:=\s*(?:"([^"]*)"|([^\s,;]*)))?\s*$/.exec(part);
    if (match === null) continue;
    const name = match[1]!.toLowerCase();
    if (!directives.has(name)) directives.set(name, match[2] ?? match[3]);
  }
  return directives;
}

function nonNegativeInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

/**
 * A map with a size bound (least recently used entries go first) and a
 * per-entry expiry.
 */
export class ExpiringLru<K, V> {
  private readonly entries = new Map<K, { readonly value: V; readonly expiresAt: number }>();

  /** @param maxEntries entries kept at most; 0 disables storing. */
  constructor(private readonly maxEntries: number) {}

  /** The value, if present and not expired at `nowMs`; counts as a use. */
  get(key: K, nowMs: number): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= nowMs) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (epoch ms), evicting the least recently used entries beyond the bound. */
  set(key: K, value: V, expiresAt: number): void {
    this.entries.delete(key);
    if (this.maxEntries <= 0) return;
    this.entries.set(key, { value, expiresAt });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
