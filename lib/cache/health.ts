/**
 * Whether the shared layer is usable, and the log lines about it.
 *
 * An outage of the shared store must not cost every call a timeout, nor
 * write a warning per call. So the first failure opens an outage: one
 * warning, then calls skip the store until a retry time. The first call after
 * that time probes the store (one call at a time); a probe that succeeds ends
 * the outage with one info line, one that fails pushes the retry time out,
 * doubling up to a ceiling, without another warning.
 *
 * A value that fails to decrypt is not an outage (the store answered); it is
 * reported as its own warning, at most once per `rejectionLogIntervalMs`
 * (10 minutes), so a flood of bad values cannot flood the log.
 */
import type { Logger } from "../log.js";
import { countSharedCacheEvent } from "../telemetry/index.js";

/** Settings of a {@link SharedLayerHealth}. */
export interface SharedLayerHealthOptions {
  /** Where the lines go. */
  readonly log: Logger;
  /** Store name in the lines, e.g. "redis". */
  readonly store: string;
  readonly now?: () => number;
  /** Wait before the first probe after a failure, ms (default 5000). */
  readonly retryAfterMs?: number;
  /** Longest wait between probes, ms (default 60000). */
  readonly maxRetryAfterMs?: number;
  /** Least time between two "value rejected" warnings, ms (default 600000). */
  readonly rejectionLogIntervalMs?: number;
  /** First part of the event names (default `obo_cache`: `obo_cache.shared_unavailable`...). */
  readonly eventPrefix?: string;
  /** What calls do meanwhile, for the warning (default: "using the in-memory cache only"). */
  readonly whileDown?: string;
}

/** Proof that a call was allowed to use the store; hand it back with the outcome. */
export interface StoreTicket {
  readonly outage: number;
  readonly probe: boolean;
}

/** Tracks outages of the shared layer. See the module comment. */
export class SharedLayerHealth {
  readonly #log: Logger;
  readonly #store: string;
  readonly #now: () => number;
  readonly #retryAfterMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #rejectionLogIntervalMs: number;
  #down = false;
  /** Counts outages; a ticket from an earlier one cannot end the current one. */
  #outage = 0;
  #retryAt = 0;
  #backoffMs: number;
  #probing = false;
  #lastRejectionLog = Number.NEGATIVE_INFINITY;
  readonly #prefix: string;
  readonly #whileDown: string;

  constructor(options: SharedLayerHealthOptions) {
    this.#log = options.log;
    this.#store = options.store;
    this.#now = options.now ?? Date.now;
    this.#retryAfterMs = options.retryAfterMs ?? 5000;
    this.#maxRetryAfterMs = Math.max(options.maxRetryAfterMs ?? 60_000, this.#retryAfterMs);
    this.#rejectionLogIntervalMs = options.rejectionLogIntervalMs ?? 600_000;
    this.#backoffMs = this.#retryAfterMs;
    this.#prefix = options.eventPrefix ?? "obo_cache";
    this.#whileDown = options.whileDown ?? "using the in-memory cache only";
  }

  /** True while an outage is open. */
  get down(): boolean {
    return this.#down;
  }

  /** A ticket when the store may be used now, undefined when the call should go without it. */
  begin(): StoreTicket | undefined {
    if (!this.#down) return { outage: this.#outage, probe: false };
    if (this.#probing || this.#now() < this.#retryAt) return undefined;
    this.#probing = true;
    return { outage: this.#outage, probe: true };
  }

  /** The store answered. Ends the outage when the call was its probe. */
  succeeded(ticket: StoreTicket): void {
    if (ticket.probe) this.#probing = false;
    if (!this.#down || ticket.outage !== this.#outage || !ticket.probe) return;
    this.#down = false;
    this.#backoffMs = this.#retryAfterMs;
    this.#log.info(`${this.#prefix}.shared_recovered`, { store: this.#store });
    countSharedCacheEvent(this.#store, "recovered");
  }

  /** The store failed (connection, timeout, throttling, any error). */
  failed(ticket: StoreTicket, error: unknown): void {
    if (ticket.probe) this.#probing = false;
    if (!this.#down) {
      this.#down = true;
      this.#outage += 1;
      this.#backoffMs = this.#retryAfterMs;
      this.#retryAt = this.#now() + this.#backoffMs;
      countSharedCacheEvent(this.#store, "unavailable");
      this.#log.warn(`${this.#prefix}.shared_unavailable`, {
        store: this.#store,
        error,
        detail: `${this.#whileDown}; retrying in ${Math.round(this.#backoffMs / 1000)} s`,
      });
      return;
    }
    if (ticket.outage !== this.#outage || !ticket.probe) return;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxRetryAfterMs);
    this.#retryAt = this.#now() + this.#backoffMs;
    this.#log.debug(`${this.#prefix}.shared_still_unavailable`, { store: this.#store, error, retryInMs: this.#backoffMs });
  }

  /** The store answered with a value that did not open (tampered, corrupt, or written by an incompatible version). */
  rejected(ticket: StoreTicket, error: unknown): void {
    // The store itself works, so this also counts as a successful answer.
    this.succeeded(ticket);
    countSharedCacheEvent(this.#store, "value_rejected");
    const now = this.#now();
    if (now - this.#lastRejectionLog < this.#rejectionLogIntervalMs) return;
    this.#lastRejectionLog = now;
    this.#log.warn(`${this.#prefix}.shared_value_rejected`, { store: this.#store, error, detail: "ignored the stored value; further rejections are not logged for a while" });
  }
}
