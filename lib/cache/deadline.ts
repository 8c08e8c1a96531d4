/**
 * Time limits for calls to a shared store. A cache read that takes longer
 * than the OBO request it saves is worse than no cache, and a store that
 * hangs must never hang a tool call.
 */
import { withDeadline as withAnyDeadline } from "../abort.js";

/** A store call did not finish in time. */
export class StoreTimeoutError extends Error {
  readonly code = "OBO_CACHE_STORE_TIMEOUT";
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`Shared OBO cache ${operation} took longer than ${timeoutMs} ms`);
    this.name = "StoreTimeoutError";
  }
}

/**
 * Runs `work` with a signal that aborts after `timeoutMs`, and rejects with a
 * {@link StoreTimeoutError} at that moment even if `work` ignores the signal.
 *
 * @example
 * const entity = await withDeadline(1000, "table get", (signal) => client.getEntity(pk, rk, { abortSignal: signal }));
 */
export function withDeadline<T>(timeoutMs: number, operation: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withAnyDeadline(timeoutMs, () => new StoreTimeoutError(operation, timeoutMs), work);
}
