import assert from "node:assert/strict";
import { BoundedLru } from "../../lib/cache/lru.js";
import { ManualClock } from "../support/obo-cache-fixtures.js";

describe("OBO cache: bounded LRU", () => {
  it("never holds more entries than maxEntries, evicting the least recently used", () => {
    const clock = new ManualClock();
    const lru = new BoundedLru<string>({ maxEntries: 3, maxBytes: 1_000_000, now: clock.now });
    for (const key of ["a", "b", "c"]) lru.set(key, key, 10, clock.now() + 60_000);
    assert.equal(lru.get("a"), "a"); // a is now the most recently used; b the least
    lru.set("d", "d", 10, clock.now() + 60_000);
    assert.equal(lru.size, 3);
    assert.equal(lru.get("b"), undefined);
    assert.deepEqual(["a", "c", "d"].map((key) => lru.get(key)), ["a", "c", "d"]);
    assert.equal(lru.stats.evictions, 1);
  });

  it("never holds more bytes than maxBytes, evicting as many entries as a large one needs", () => {
    const lru = new BoundedLru<string>({ maxEntries: 100, maxBytes: 1000 });
    const until = Date.now() + 60_000;
    for (let i = 0; i < 10; i += 1) lru.set(`k${i}`, "v", 100, until);
    assert.equal(lru.bytes, 1000);
    lru.set("big", "v", 450, until);
    assert.ok(lru.bytes <= 1000, `bytes ${lru.bytes}`);
    assert.equal(lru.size, 6); // five of the oldest went
    for (let i = 0; i < 5; i += 1) assert.equal(lru.get(`k${i}`), undefined);
    assert.equal(lru.get("k5"), "v");
    assert.equal(lru.get("big"), "v");
  });

  it("refuses an entry larger than the whole byte bound or already expired, and drops the old value under that key", () => {
    const clock = new ManualClock();
    const lru = new BoundedLru<string>({ maxEntries: 10, maxBytes: 100, now: clock.now });
    assert.equal(lru.set("k", "old", 10, clock.now() + 1000), true);
    assert.equal(lru.set("k", "huge", 101, clock.now() + 1000), false);
    assert.equal(lru.get("k"), undefined);
    assert.equal(lru.set("k", "past", 10, clock.now()), false);
    assert.equal(lru.size, 0);
    assert.equal(lru.bytes, 0);
  });

  it("counts bytes once when a key is replaced", () => {
    const lru = new BoundedLru<string>({ maxEntries: 10, maxBytes: 100 });
    const until = Date.now() + 60_000;
    lru.set("k", "a", 40, until);
    lru.set("k", "b", 30, until);
    assert.equal(lru.bytes, 30);
    assert.equal(lru.size, 1);
    assert.equal(lru.delete("k"), true);
    assert.equal(lru.bytes, 0);
  });

  it("never returns an expired entry and drops it on lookup", () => {
    const clock = new ManualClock();
    const lru = new BoundedLru<string>({ maxEntries: 10, maxBytes: 1000, now: clock.now });
    lru.set("k", "v", 10, clock.now() + 1000);
    clock.advance(999);
    assert.equal(lru.get("k"), "v");
    clock.advance(1);
    assert.equal(lru.get("k"), undefined);
    assert.equal(lru.size, 0);
    assert.equal(lru.bytes, 0);
    assert.equal(lru.stats.expirations, 1);
  });

  it("sweeps expired entries under insertion pressure before evicting live ones", () => {
    const clock = new ManualClock();
    const lru = new BoundedLru<string>({ maxEntries: 4, maxBytes: 1000, now: clock.now });
    lru.set("live-old", "v", 10, clock.now() + 60_000);
    lru.set("short-1", "v", 10, clock.now() + 1000);
    lru.set("short-2", "v", 10, clock.now() + 1000);
    lru.set("live-new", "v", 10, clock.now() + 60_000);
    clock.advance(2000);
    lru.set("incoming", "v", 10, clock.now() + 60_000);
    // The least recently used entry is live-old, but the two expired ones go instead.
    assert.equal(lru.get("live-old"), "v");
    assert.equal(lru.get("live-new"), "v");
    assert.equal(lru.size, 3);
    assert.equal(lru.stats.evictions, 0);
    assert.equal(lru.stats.expirations, 2);
  });

  it("sweeps at most once per interval, so a burst of insertions stays cheap", () => {
    const clock = new ManualClock();
    const lru = new BoundedLru<string>({ maxEntries: 3, maxBytes: 1000, now: clock.now, sweepIntervalMs: 1000 });
    lru.set("a", "v", 1, clock.now() + 60_000);
    lru.set("b", "v", 1, clock.now() + 500);
    lru.set("c", "v", 1, clock.now() + 60_000);
    lru.set("d", "v", 1, clock.now() + 60_000); // pressure: sweeps (nothing expired yet), evicts a
    assert.equal(lru.get("b"), "v"); // order now c, d, b
    clock.advance(600); // b has expired, but the last sweep was 600 ms ago: no second pass yet
    lru.set("e", "v", 1, clock.now() + 60_000);
    assert.equal(lru.get("c"), undefined, "the least recently used entry went, without a sweep");
    assert.equal(lru.size, 3);
    clock.advance(500); // now a sweep is due again
    lru.set("f", "v", 1, clock.now() + 60_000);
    assert.equal(lru.get("d"), "v", "the sweep made room by dropping expired b, not live d");
    assert.equal(lru.get("e"), "v");
    assert.equal(lru.get("f"), "v");
    assert.equal(lru.stats.evictions, 2);
    assert.equal(lru.stats.expirations, 1);
  });

  it("rejects nonsensical bounds", () => {
    assert.throws(() => new BoundedLru({ maxEntries: 0, maxBytes: 10 }), RangeError);
    assert.throws(() => new BoundedLru({ maxEntries: 10, maxBytes: 0 }), RangeError);
    assert.throws(() => new BoundedLru({ maxEntries: 1.5, maxBytes: 10 }), RangeError);
  });
});
