/** One piece of work per key at a time, and callers who each stop waiting on their own. */
import assert from "node:assert/strict";
import { SingleFlight } from "../../lib/cache/single-flight.js";

/** Work that finishes when told to and records whether its signal aborted. */
function controllable(): { work: (signal: AbortSignal) => Promise<string>; finish: (value: string) => void; starts: () => number; aborted: () => boolean } {
  let starts = 0;
  let resolve: ((value: string) => void) | undefined;
  let signal: AbortSignal | undefined;
  return {
    work: (given) => {
      starts += 1;
      signal = given;
      return new Promise<string>((done, fail) => {
        resolve = done;
        given.addEventListener("abort", () => fail(given.reason), { once: true });
      });
    },
    finish: (value) => resolve!(value),
    starts: () => starts,
    aborted: () => signal?.aborted === true,
  };
}

describe("SingleFlight", () => {
  it("runs the work once for callers that arrive together", async () => {
    const flights = new SingleFlight<string>(10);
    const work = controllable();
    const results = Promise.all([1, 2, 3].map(() => flights.run("k", work.work, new AbortController().signal)));
    work.finish("token");
    assert.deepEqual(await results, ["token", "token", "token"]);
    assert.equal(work.starts(), 1);
    assert.equal(flights.size, 0);
  });

  it("lets the other callers have the result when the caller that started the work goes away", async () => {
    const flights = new SingleFlight<string>(10);
    const work = controllable();
    const first = new AbortController();
    const firstResult = flights.run("k", work.work, first.signal);
    const secondResult = flights.run("k", work.work, new AbortController().signal);
    first.abort(new Error("client went away"));
    await assert.rejects(firstResult, /client went away/);
    assert.equal(work.aborted(), false, "the shared work goes on for the second caller");
    work.finish("token");
    assert.equal(await secondResult, "token");
    assert.equal(work.starts(), 1);
  });

  it("stops the shared work once every caller has gone, and starts afresh for the next", async () => {
    const flights = new SingleFlight<string>(10);
    const work = controllable();
    const callers = [new AbortController(), new AbortController()];
    const results = callers.map((caller) => flights.run("k", work.work, caller.signal));
    callers[0]!.abort(new Error("gone"));
    assert.equal(work.aborted(), false);
    callers[1]!.abort(new Error("gone"));
    assert.equal(work.aborted(), true);
    for (const result of results) await assert.rejects(result, /gone/);
    const next = flights.run("k", work.work, new AbortController().signal);
    assert.equal(work.starts(), 2);
    work.finish("fresh");
    assert.equal(await next, "fresh");
  });

  it("never stops the work while a caller without a signal waits for it", async () => {
    const flights = new SingleFlight<string>(10);
    const work = controllable();
    const caller = new AbortController();
    const withSignal = flights.run("k", work.work, caller.signal);
    const withoutSignal = flights.run("k", work.work);
    caller.abort(new Error("gone"));
    await assert.rejects(withSignal, /gone/);
    assert.equal(work.aborted(), false);
    work.finish("token");
    assert.equal(await withoutSignal, "token");
  });

  it("refuses at once a caller whose signal has already aborted, starting nothing", async () => {
    const flights = new SingleFlight<string>(10);
    const work = controllable();
    await assert.rejects(flights.run("k", work.work, AbortSignal.abort(new Error("already"))), /already/);
    assert.equal(work.starts(), 0);
  });

  it("runs work on its own past the bound on keys tracked", async () => {
    const flights = new SingleFlight<string>(1);
    const a = controllable();
    const b = controllable();
    const first = flights.run("a", a.work);
    const second = flights.run("b", b.work);
    const third = flights.run("b", b.work);
    assert.equal(flights.size, 1);
    assert.equal(b.starts(), 2, "untracked keys are not shared");
    a.finish("a");
    b.finish("b");
    assert.equal(await first, "a");
    assert.equal(await third, "b");
    void second;
  });
});
