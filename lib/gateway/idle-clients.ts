/**
 * Connected MCP clients kept between calls, idle, per key (a server and a
 * user): a call takes one out and has it to itself until it gives it back,
 * so nothing of one call (its signal, its caller's token) can reach another,
 * and no client ever serves a key other than its own.
 *
 * Bounded four ways: a client idle longer than `idleMs`, or older than
 * `maxAgeMs`, is closed instead of taken, a key keeps at most `perKey` idle clients (as many as that
 * user's calls to that server ran at once), and the whole set at most
 * `total`, the longest idle closed first. Closing is the owner's `close`,
 * called for every client this set lets go of, never awaited.
 */

/** The limits of an {@link IdleClients}. */
export interface IdleClientLimits {
  readonly perKey: number;
  readonly total: number;
  readonly idleMs: number;
  /** A client born (connected) longer ago than this is closed instead of taken, however busy its key; no limit when left out. */
  readonly maxAgeMs?: number;
}

interface Idle<C> {
  readonly key: string;
  readonly client: C;
  readonly since: number;
  readonly bornAt: number;
}

export class IdleClients<C> {
  readonly #limits: IdleClientLimits;
  readonly #close: (client: C) => void;
  readonly #now: () => number;
  /** Per key, most recently given back last. */
  readonly #byKey = new Map<string, Idle<C>[]>();
  /** Every idle client, longest idle first (Map keeps insertion order). */
  readonly #all = new Map<Idle<C>, true>();

  constructor(limits: IdleClientLimits, close: (client: C) => void, now: () => number = Date.now) {
    if (!(limits.perKey >= 1 && limits.total >= limits.perKey && limits.idleMs > 0)) throw new RangeError("IdleClients needs perKey >= 1, total >= perKey and idleMs > 0");
    this.#limits = limits;
    this.#close = close;
    this.#now = now;
  }

  /** How many clients are idle, all keys together. */
  get size(): number {
    return this.#all.size;
  }

  /** An idle client of `key`, now the caller's alone; `undefined` when there is none fresh enough. */
  take(key: string): C | undefined {
    const idle = this.#byKey.get(key);
    const now = this.#now();
    while (idle !== undefined && idle.length > 0) {
      const entry = idle.pop()!;
      this.#all.delete(entry);
      if (idle.length === 0) this.#byKey.delete(key);
      if (now - entry.since < this.#limits.idleMs && now - entry.bornAt < (this.#limits.maxAgeMs ?? Infinity)) return entry.client;
      this.#close(entry.client);
    }
    return undefined;
  }

  /** Gives a client back to be taken again by `key` (`bornAt`: when it was made, for `maxAgeMs`); closes what the limits leave no room for. */
  give(key: string, client: C, bornAt: number = this.#now()): void {
    const now = this.#now();
    this.#closeExpired(now);
    let idle = this.#byKey.get(key);
    if (idle === undefined) {
      idle = [];
      this.#byKey.set(key, idle);
    }
    if (idle.length >= this.#limits.perKey) {
      this.#close(client);
      return;
    }
    const entry: Idle<C> = { key, client, since: now, bornAt };
    idle.push(entry);
    this.#all.set(entry, true);
    while (this.#all.size > this.#limits.total) this.#evict(this.#all.keys().next().value!);
  }

  /** Closes every idle client. */
  clear(): void {
    for (const entry of [...this.#all.keys()]) this.#evict(entry);
  }

  #closeExpired(now: number): void {
    for (const entry of this.#all.keys()) {
      if (now - entry.since < this.#limits.idleMs) break;
      this.#evict(entry);
    }
  }

  #evict(entry: Idle<C>): void {
    this.#all.delete(entry);
    const idle = this.#byKey.get(entry.key);
    if (idle !== undefined) {
      idle.splice(idle.indexOf(entry), 1);
      if (idle.length === 0) this.#byKey.delete(entry.key);
    }
    this.#close(entry.client);
  }
}
