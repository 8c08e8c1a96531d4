/**
 * A {@link SharedTokenStore} that is not shared: this instance's memory,
 * bounded in entries and bytes. It stands in for Table Storage or Redis when
 * the settings name neither (`OBO_CACHE=memory`), so code written against the
 * store interface (the facade's refresh-token ledger) works the same on one
 * instance; what it cannot do is tell other instances anything, and what it
 * holds is gone when the process stops.
 *
 * Past its bounds the least recently used entries go first, even live ones:
 * whoever uses it must say what an early loss means (see
 * lib/oauth/SEALED-FORMATS.md for the ledger).
 */
import { BoundedLru } from "./lru.js";
import type { SharedTokenStore, StoredValue } from "./shared-store.js";

/** Bounds of a {@link MemoryTokenStore}. */
export interface MemoryTokenStoreOptions {
  /** Most entries held (default 20,000). */
  readonly maxEntries?: number;
  /** Most bytes held, values plus ids (default 16 MiB). */
  readonly maxBytes?: number;
  readonly now?: () => number;
}

/** Bytes counted per entry beyond id and value: the map slot, the object, the expiry. */
const ENTRY_OVERHEAD_BYTES = 96;

/** The store interface over bounded memory. See the module comment. */
export class MemoryTokenStore implements SharedTokenStore {
  readonly kind = "memory";
  readonly #entries: BoundedLru<StoredValue>;
  readonly #now: () => number;
  #closed = false;

  constructor(options: MemoryTokenStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#entries = new BoundedLru<StoredValue>({
      maxEntries: options.maxEntries ?? 20_000,
      maxBytes: options.maxBytes ?? 16 * 1024 * 1024,
      now: this.#now,
    });
  }

  async get(id: string): Promise<StoredValue | undefined> {
    this.#open();
    return this.#entries.get(id);
  }

  async putIfAbsent(id: string, value: StoredValue): Promise<boolean> {
    this.#open();
    if (this.#entries.get(id) !== undefined) return false;
    const copy = { value: Uint8Array.from(value.value), expiresOn: value.expiresOn };
    return this.#entries.set(id, copy, id.length * 2 + copy.value.byteLength + ENTRY_OVERHEAD_BYTES, value.expiresOn);
  }

  async delete(id: string): Promise<void> {
    this.#open();
    this.#entries.delete(id);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
  }

  /** Entries held now (live or not yet swept). */
  get size(): number {
    return this.#entries.size;
  }

  #open(): void {
    if (this.#closed) throw new Error("MemoryTokenStore is closed");
  }
}
