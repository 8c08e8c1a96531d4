/** Deadlines and cancellation shared by every outbound call. */
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { untilAborted, withCallerAndDeadline, withDeadline } from "../../lib/abort.js";

/** Work that only ends when its signal aborts. */
const untilSignal = (signal: AbortSignal): Promise<never> => new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true }));

describe("abort helpers", () => {
  it("withDeadline rejects with the given error at the deadline, even when the work ignores its signal", async () => {
    let seen: AbortSignal | undefined;
    const started = Date.now();
    await assert.rejects(
      withDeadline(50, () => new Error("too slow"), (signal) => {
        seen = signal;
        return new Promise(() => undefined);
      }),
      /too slow/,
    );
    assert.ok(Date.now() - started < 1000);
    assert.equal(seen?.aborted, true);
  });

  it("untilAborted stops only the caller's wait", async () => {
    const caller = new AbortController();
    let finish: (value: string) => void = () => undefined;
    const shared = new Promise<string>((resolve) => (finish = resolve));
    const waiting = untilAborted(shared, caller.signal);
    caller.abort(new Error("left"));
    await assert.rejects(waiting, /left/);
    finish("done");
    assert.equal(await shared, "done");
    assert.equal(await untilAborted(shared, undefined), "done");
  });

  it("withCallerAndDeadline aborts with a TimeoutError at the deadline", async () => {
    await assert.rejects(withCallerAndDeadline(undefined, 30, untilSignal), (error: unknown) => error instanceof DOMException && error.name === "TimeoutError");
  });

  it("withCallerAndDeadline aborts with the caller's reason when the caller goes away", async () => {
    const caller = new AbortController();
    const running = withCallerAndDeadline(caller.signal, 10_000, untilSignal);
    caller.abort(new Error("client went away"));
    await assert.rejects(running, /client went away/);
  });

  it("withCallerAndDeadline leaves nothing attached to a long-lived caller signal", async () => {
    const processWide = new AbortController().signal;
    for (let call = 0; call < 1000; call++) await withCallerAndDeadline(processWide, 10_000, async () => call);
    assert.equal(getEventListeners(processWide, "abort").length, 0);
  });
});
