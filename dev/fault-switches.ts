/**
 * The failure switches of the fake downstream API, Key Vault and identity
 * endpoint: faults that strike the matching requests, the next N times or
 * until removed. (The Entra stand-in has richer, per-grant switches of its own:
 * dev/entra/faults.ts.)
 */

interface Entry<F, C> {
  readonly fault: F;
  readonly times: number | undefined;
  readonly applies: (context: C) => boolean;
  hits: number;
}

/** Faults of type `F`, each applying to requests described by a `C`. */
export class FaultSwitches<F, C = void> {
  #entries: Entry<F, C>[] = [];

  /** Switches `fault` on for the next `times` matching requests (default: until removed); returns its remover. */
  add(fault: F, times?: number, applies: (context: C) => boolean = () => true): () => void {
    const entry: Entry<F, C> = { fault, times, applies, hits: 0 };
    this.#entries.push(entry);
    return () => this.#remove(entry);
  }

  clear(): void {
    this.#entries = [];
  }

  /** The faults striking a request described by `context`, in the order they were added; counts the hit. */
  take(context: C): F[] {
    const struck: F[] = [];
    for (const entry of [...this.#entries]) {
      if (!entry.applies(context)) continue;
      entry.hits++;
      struck.push(entry.fault);
      if (entry.times !== undefined && entry.hits >= entry.times) this.#remove(entry);
    }
    return struck;
  }

  #remove(entry: Entry<F, C>): void {
    this.#entries = this.#entries.filter((candidate) => candidate !== entry);
  }
}
