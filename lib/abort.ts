/**
 * Deadlines and cancellation for work that may ignore its abort signal.
 * Several SDKs the kit calls (@azure/identity's managed identity client,
 * node-redis, DNS lookups) do not stop when asked, and a Function instance
 * must never hang on one of them.
 */

/**
 * Runs `work` with a signal that aborts after `timeoutMs`, and rejects with
 * `timeoutError()` at that moment even if `work` ignores the signal.
 *
 * @example
 * await withDeadline(1000, () => new StoreTimeoutError("table get", 1000), (signal) => client.getEntity(pk, rk, { abortSignal: signal }));
 */
export async function withDeadline<T>(timeoutMs: number, timeoutError: () => Error, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = timeoutError();
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
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

/**
 * Runs `work` with a signal that aborts when `caller` does (with its reason)
 * or after `timeoutMs` (with a `TimeoutError`, as `AbortSignal.timeout`
 * would), and lets go of both when `work` settles. Unlike
 * `AbortSignal.any([caller, AbortSignal.timeout(ms)])`, nothing stays attached
 * to `caller` afterwards: Node keeps every signal `any` derived from a
 * long-lived one (nodejs/node#55351), and the timer does not outlive the work.
 */
export async function withCallerAndDeadline<T>(caller: AbortSignal | undefined, timeoutMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`The operation timed out after ${timeoutMs} ms`, "TimeoutError")), timeoutMs);
  const onCallerAbort = (): void => controller.abort(caller?.reason);
  if (caller?.aborted === true) onCallerAbort();
  else caller?.addEventListener("abort", onCallerAbort, { once: true });
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    caller?.removeEventListener("abort", onCallerAbort);
  }
}
