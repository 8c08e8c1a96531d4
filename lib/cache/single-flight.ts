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
import { untilAborted } from "../abort.js";

interface Flight<T> {
  readonly result: Promise<T>;
  readonly controller: AbortController;
  /** Callers still waiting that could go away (a caller without a signal never does). */
  waiting: number;
  /** A caller without a signal joined: the work runs to the end. */
  pinned: boolean;
}

/** Deduplicates concurrent work per key, with a bound on keys tracked. */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Flight<T>>();
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
   * Each caller stops waiting when its own `signal` aborts; the shared work's
   * signal aborts only once every caller has gone, so one user's cancelled
   * call does not fail the others that joined it.
   *
   * @example
   * const token = await flights.run(key, (signal) => acquireFromEntra(signal), request.signal);
   */
  run(key: string, work: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    let flight = this.#inFlight.get(key);
    // Everyone left a flight that has not settled yet: its work is stopping, so start afresh.
    if (flight?.controller.signal.aborted === true) flight = undefined;
    if (flight === undefined) {
      if (this.#inFlight.size >= this.#maxKeys) return untilAborted(startWork(work, signal ?? new AbortController().signal), signal);
      const controller = new AbortController();
      const started: Flight<T> = { result: startWork(work, controller.signal), controller, waiting: 0, pinned: false };
      this.#inFlight.set(key, started);
      const forget = (): void => {
        if (this.#inFlight.get(key) === started) this.#inFlight.delete(key);
      };
      started.result.then(forget, forget);
      flight = started;
    }
    return this.#join(flight, signal);
  }

  #join(flight: Flight<T>, signal: AbortSignal | undefined): Promise<T> {
    if (signal === undefined) {
      flight.pinned = true;
      return flight.result;
    }
    flight.waiting += 1;
    const leave = (): void => {
      flight.waiting -= 1;
      if (flight.waiting === 0 && !flight.pinned) flight.controller.abort(signal.reason);
    };
    signal.addEventListener("abort", leave, { once: true });
    const settled = (): void => signal.removeEventListener("abort", leave);
    flight.result.then(settled, settled);
    return untilAborted(flight.result, signal);
  }

  /** Forgets everything in flight (the work itself goes on). */
  clear(): void {
    this.#inFlight.clear();
  }
}

function startWork<T>(work: (signal: AbortSignal) => Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return work(signal);
  } catch (error) {
    return Promise.reject(error);
  }
}
