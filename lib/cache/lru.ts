/**
 * A least-recently-used map bounded twice, by entry count and by bytes, where
 * every entry carries an absolute expiry.
 *
 * The byte bound exists because an entry count alone does not bound memory:
 * access tokens range from 1 KB to tens of KB (group claims), so 5,000
 * entries can mean 5 MB or 200 MB. Sizes are estimates supplied by the
 * caller; the map only adds them up.
 *
 * Expired entries are never returned. They are dropped when looked up, and
 * when an insertion needs room: before the least recently used live entry is
 * evicted, expired ones are swept out (a full pass, at most once per
 * `sweepIntervalMs`, so a burst of insertions stays O(1) each).
 */

/** Bounds and clock of a {@link BoundedLru}. */
export interface BoundedLruOptions {
  /** Most entries held at once (at least 1). */
  readonly maxEntries: number;
  /** Most bytes held at once, summed over the sizes given to `set` (at least 1). */
  readonly maxBytes: number;
  /** Milliseconds since the epoch; injectable so tests can move time. Default `Date.now`. */
  readonly now?: () => number;
  /** Least time between two sweeps of expired entries caused by insertion pressure, in ms (default 1000). */
  readonly sweepIntervalMs?: number;
}

/** Counters of a {@link BoundedLru}, for tests, logs and benchmarks. */
export interface BoundedLruStats {
  readonly entries: number;
  readonly bytes: number;
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Live entries pushed out to make room, since creation. */
  readonly evictions: number;
  /** Expired entries dropped (on lookup or by a sweep), since creation. */
  readonly expirations: number;
}

interface Slot<V> {
  readonly value: V;
  readonly size: number;
  readonly expiresAt: number;
}

/**
 * An LRU map with an entry bound, a byte bound and per-entry expiry.
 *
 * @example
 * const lru = new BoundedLru<string>({ maxEntries: 1000, maxBytes: 1 << 20 });
 * lru.set("k", "v", 64, Date.now() + 60_000);
 * lru.get("k"); // "v" until the minute is over
 */
export class BoundedLru<V> {
  // A Map iterates in insertion order; re-inserting on every hit keeps the
  // least recently used entry first, which is all an LRU needs.
  readonly #slots = new Map<string, Slot<V>>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #sweepIntervalMs: number;
  #bytes = 0;
  #lastSweep = Number.NEGATIVE_INFINITY;
  #evictions = 0;
  #expirations = 0;

  constructor(options: BoundedLruOptions) {
    if (!Number.isSafeInteger(options.maxEntries) || options.maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1) throw new RangeError("maxBytes must be a positive integer");
    this.#maxEntries = options.maxEntries;
    this.#maxBytes = options.maxBytes;
    this.#now = options.now ?? Date.now;
    this.#sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  }

  /** Entries held, live or expired-but-not-yet-dropped. */
  get size(): number {
    return this.#slots.size;
  }

  /** Sum of the sizes of the entries held. */
  get bytes(): number {
    return this.#bytes;
  }

  get stats(): BoundedLruStats {
    return {
      entries: this.#slots.size,
      bytes: this.#bytes,
      maxEntries: this.#maxEntries,
      maxBytes: this.#maxBytes,
      evictions: this.#evictions,
      expirations: this.#expirations,
    };
  }

  /** The live value under `key`, made most recently used; `undefined` when absent or expired (an expired entry is dropped). */
  get(key: string): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt <= this.#now()) {
      this.#remove(key, slot);
      this.#expirations += 1;
      return undefined;
    }
    this.#slots.delete(key);
    this.#slots.set(key, slot);
    return slot.value;
  }

  /**
   * Stores `value` under `key` until `expiresAt` (ms since the epoch), as the
   * most recently used entry, evicting others as the bounds require.
   * Returns false, storing nothing, when the entry is already expired or
   * larger than the whole byte bound; any previous entry under `key` is
   * removed either way, so a refused update never leaves a stale value.
   */
  set(key: string, value: V, size: number, expiresAt: number): boolean {
    const previous = this.#slots.get(key);
    if (previous !== undefined) this.#remove(key, previous);
    if (!Number.isFinite(size) || size < 0 || size > this.#maxBytes) return false;
    if (!(expiresAt > this.#now())) return false;
    this.#makeRoom(size);
    this.#slots.set(key, { value, size, expiresAt });
    this.#bytes += size;
    return true;
  }

  /** Removes the entry under `key`; returns whether there was one. */
  delete(key: string): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    this.#remove(key, slot);
    return true;
  }

  /** Drops every expired entry now; returns how many went. */
  sweepExpired(): number {
    const now = this.#now();
    this.#lastSweep = now;
    let dropped = 0;
    for (const [key, slot] of this.#slots) {
      if (slot.expiresAt <= now) {
        this.#remove(key, slot);
        dropped += 1;
      }
    }
    this.#expirations += dropped;
    return dropped;
  }

  /** Removes everything. */
  clear(): void {
    this.#slots.clear();
    this.#bytes = 0;
  }

  #makeRoom(incoming: number): void {
    if (!this.#overBounds(incoming)) return;
    if (this.#now() - this.#lastSweep >= this.#sweepIntervalMs) this.sweepExpired();
    for (const [key, slot] of this.#slots) {
      if (!this.#overBounds(incoming)) return;
      this.#remove(key, slot);
      if (slot.expiresAt <= this.#now()) this.#expirations += 1;
      else this.#evictions += 1;
    }
  }

  #overBounds(incoming: number): boolean {
    return this.#slots.size + 1 > this.#maxEntries || this.#bytes + incoming > this.#maxBytes;
  }

  #remove(key: string, slot: Slot<V>): void {
    this.#slots.delete(key);
    this.#bytes -= slot.size;
  }
}
