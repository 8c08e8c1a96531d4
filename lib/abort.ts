/**
 * Deadlines and cancellation for outbound work and tool calls.
 *
 * The signal handed to the work always aborts the way `AbortSignal.timeout`
 * does at the deadline (a `TimeoutError`), or with the caller's reason when
 * the caller gives up first, and lets go of both when the work settles. Unlike
 * `AbortSignal.any([caller, AbortSignal.timeout(ms)])`, nothing stays attached
 * to a long-lived caller signal afterwards (Node keeps every signal `any`
 * derived from one: nodejs/node#55351) and no timer outlives the work.
 */

/** A signal for one piece of work, and the function that detaches it once the work is over. */
function deadlineSignal(caller: AbortSignal | undefined, timeoutMs: number, onTimeout?: () => void): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException(`The operation timed out after ${timeoutMs} ms`, "TimeoutError"));
    onTimeout?.();
  }, timeoutMs);
  const onCallerAbort = (): void => controller.abort(caller?.reason);
  if (caller?.aborted === true) onCallerAbort();
  else caller?.addEventListener("abort", onCallerAbort, { once: true });
  return {
    signal: controller.signal,
    release: () => {
      clearTimeout(timer);
      caller?.removeEventListener("abort", onCallerAbort);
    },
  };
}

/**
 * Runs `work` with a signal that aborts when `caller` does or after
 * `timeoutMs`; for work that honours its signal (fetch), whose own error
 * then says what happened.
 */
export async function withCallerAndDeadline<T>(caller: AbortSignal | undefined, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { signal, release } = deadlineSignal(caller, timeoutMs);
  try {
    return await work(signal);
  } finally {
    release();
  }
}

/**
 * Runs `work` with a signal that aborts when `caller` (if given) does or after
 * `timeoutMs`, and rejects with `timeoutError()` at the deadline even if
 * `work` ignores its signal: several SDKs the kit calls (@azure/identity's
 * managed identity client, node-redis) and tools written by users do not stop
 * when asked, and a Function instance must never hang on one of them. A
 * caller giving up aborts the signal only; the work decides how to end.
 *
 * @example
 * await withDeadline(1000, () => new StoreTimeoutError("table get", 1000), (signal) => client.getEntity(pk, rk, { abortSignal: signal }));
 */
export async function withDeadline<T>(timeoutMs: number, timeoutError: () => Error, work: (signal: AbortSignal) => Promise<T>, caller?: AbortSignal): Promise<T> {
  let expire: (error: Error) => void = () => undefined;
  const expired = new Promise<never>((_resolve, reject) => (expire = reject));
  const { signal, release } = deadlineSignal(caller, timeoutMs, () => expire(timeoutError()));
  try {
    return await Promise.race([work(signal), expired]);
  } finally {
    release();
  }
}

/**
 * `promise`, or the abort reason as soon as `signal` aborts. The work behind
 * `promise` goes on (it may be shared with other callers); only this caller
 * stops waiting.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
