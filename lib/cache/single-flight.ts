/**
 * One OBO request per key at a time: when many calls for the same user and
 * scopes arrive together with a cold cache, the first asks Entra and the
 * others wait for its answer. Without this, a burst of N parallel tool calls
 * would cost N OBO requests (and N chances of being throttled).
 *
 * The bookkeeping is bounded like everything else here: past `maxKeys`
 * keys in flight, further calls simply run on their own. Entries leave the
 * map as soon as their promise settles, so the bound only matters under a
 * burst of distinct users.
 */

/** Deduplicates concurrent work per key, with a bound on keys tracked. */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();
  readonly #maxKeys: number;

  /** @param maxKeys most keys tracked at once (at least 1). */
  constructor(maxKeys: number) {
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new RangeError("maxKeys must be a positive integer");
    this.#maxKeys = maxKeys;
  }

  /** Keys with work in flight. */
  get size(): number {
    return this.#inFlight.size;
  }

  /**
   * The result of the work already in flight under `key`, or of `work`
   * started now. A failure reaches every caller that joined.
   *
   * @example
   * const token = await flights.run(key, () => acquireFromEntra());
   */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.#inFlight.get(key);
    if (existing !== undefined) return existing;
    if (this.#inFlight.size >= this.#maxKeys) return work();
    let started: Promise<T>;
    try {
      started = work();
    } catch (error) {
      started = Promise.reject(error);
    }
    this.#inFlight.set(key, started);
    const forget = (): void => {
      if (this.#inFlight.get(key) === started) this.#inFlight.delete(key);
    };
    started.then(forget, forget);
    return started;
  }

  /** Forgets everything in flight (the work itself goes on). */
  clear(): void {
    this.#inFlight.clear();
  }
}
