import assert from "node:assert/strict";
import { OboTokenCache, type OboToken } from "../../lib/cache/index.js";
import { createLogger } from "../../lib/log.js";
import { LogCapture } from "../support/log-capture.js";
import { FakeSharedStore, ManualClock, fakeAccessToken, fakeAssertion, userOf } from "../support/obo-cache-fixtures.js";

const GRAPH = ["https://graph.microsoft.com/User.Read"];
const HOUR = 3600_000;

function tokenFor(user: string, clock: ManualClock, lifetimeMs = HOUR, bytes?: number): OboToken {
  return { accessToken: fakeAccessToken(user, bytes), expiresOn: new Date(clock.now() + lifetimeMs), scopes: GRAPH, tokenType: "Bearer" };
}

describe("OBO cache: memory layer", () => {
  it("returns what was set, for the same scopes in any order", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const assertion = fakeAssertion("alice");
    const scopes = ["https://graph.microsoft.com/User.Read", "https://graph.microsoft.com/Mail.Read"];
    const token = tokenFor("alice", clock);
    assert.equal(await cache.set(assertion, scopes, undefined, token, new Date(clock.now() + HOUR)), true);
    const hit = await cache.get(assertion, [...scopes].reverse());
    assert.equal(hit?.accessToken, token.accessToken);
    assert.equal(hit?.expiresOn.getTime(), token.expiresOn.getTime());
    assert.equal(hit?.source, "memory");
    assert.equal(await cache.get(assertion, [scopes[0]!]), undefined, "a subset of the scopes is another entry");
  });

  it("misses for a different claims challenge, and for none after one", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const assertion = fakeAssertion("alice");
    const exp = new Date(clock.now() + HOUR);
    await cache.set(assertion, GRAPH, undefined, tokenFor("alice", clock), exp);
    const challenge = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
    assert.equal(await cache.get(assertion, GRAPH, challenge), undefined);
    const stepUp = tokenFor("alice", clock);
    await cache.set(assertion, GRAPH, challenge, stepUp, exp);
    assert.equal((await cache.get(assertion, GRAPH, challenge))?.accessToken, stepUp.accessToken);
    assert.equal(await cache.get(assertion, GRAPH, '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}'), undefined);
    assert.notEqual((await cache.get(assertion, GRAPH))?.accessToken, stepUp.accessToken);
  });

  it("serves nothing past the assertion's expiry", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const assertion = fakeAssertion("alice");
    await cache.set(assertion, GRAPH, undefined, tokenFor("alice", clock), new Date(clock.now() + 10 * 60_000));
    clock.advance(10 * 60_000 - 1);
    assert.ok(await cache.get(assertion, GRAPH));
    clock.advance(1);
    assert.equal(await cache.get(assertion, GRAPH), undefined);
  });

  it("serves nothing within the margin before the token's expiry", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const assertion = fakeAssertion("alice");
    await cache.set(assertion, GRAPH, undefined, tokenFor("alice", clock, HOUR), new Date(clock.now() + 2 * HOUR));
    clock.advance(HOUR - 5 * 60_000 - 1);
    assert.ok(await cache.get(assertion, GRAPH));
    clock.advance(1);
    assert.equal(await cache.get(assertion, GRAPH), undefined);
  });

  it("does not cache a token that is nearly expired, and forgets the previous one", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const assertion = fakeAssertion("alice");
    const exp = new Date(clock.now() + HOUR);
    await cache.set(assertion, GRAPH, undefined, tokenFor("alice", clock), exp);
    assert.equal(await cache.set(assertion, GRAPH, undefined, tokenFor("alice", clock, 20_000), exp), false);
    assert.equal(await cache.get(assertion, GRAPH), undefined);
  });

  it("hands each caller its own copy", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const assertion = fakeAssertion("alice");
    await cache.set(assertion, GRAPH, undefined, tokenFor("alice", clock), new Date(clock.now() + HOUR));
    const first = await cache.get(assertion, GRAPH);
    first?.expiresOn.setTime(0);
    assert.ok(Object.isFrozen(first));
    assert.notEqual((await cache.get(assertion, GRAPH))?.expiresOn.getTime(), 0);
  });

  it("forgets an entry on invalidate", async () => {
    const clock = new ManualClock();
    const store = new FakeSharedStore();
    const cache = new OboTokenCache({ now: clock.now, shared: store });
    const assertion = fakeAssertion("alice");
    await cache.set(assertion, GRAPH, undefined, tokenFor("alice", clock), new Date(clock.now() + HOUR));
    assert.equal(store.values.size, 1);
    await cache.invalidate(assertion, GRAPH);
    assert.equal(await cache.get(assertion, GRAPH), undefined);
    assert.equal(store.values.size, 0);
  });
});

describe("OBO cache: getOrAcquire", () => {
  it("asks once for a burst of parallel calls by one user", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const assertion = fakeAssertion("alice");
    let requests = 0;
    const acquire = async (): Promise<OboToken> => {
      requests += 1;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return tokenFor("alice", clock);
    };
    const results = await Promise.all(Array.from({ length: 25 }, () => cache.getOrAcquire(assertion, GRAPH, undefined, new Date(clock.now() + HOUR), acquire)));
    assert.equal(requests, 1);
    assert.equal(new Set(results.map((result) => result.accessToken)).size, 1);
    assert.equal((await cache.getOrAcquire(assertion, GRAPH, undefined, new Date(clock.now() + HOUR), acquire)).source, "memory");
    assert.equal(cache.stats.inFlight, 0);
  });

  it("causes exactly one OBO request per user for 1,000 calls by 50 users", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const users = Array.from({ length: 50 }, (_, i) => ({ name: `user-${i}`, assertion: fakeAssertion(`user-${i}`) }));
    let requests = 0;
    const calls = Array.from({ length: 1000 }, (_, i) => {
      const user = users[i % users.length]!;
      return cache.getOrAcquire(user.assertion, GRAPH, undefined, new Date(clock.now() + HOUR), async () => {
        requests += 1;
        await new Promise((resolve) => setImmediate(resolve));
        return tokenFor(user.name, clock);
      });
    });
    const results = await Promise.all(calls);
    assert.equal(requests, 50);
    results.forEach((result, i) => assert.equal(userOf(result.accessToken), users[i % users.length]!.name));
  });

  it("passes an acquisition error to every waiting caller and caches nothing", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const assertion = fakeAssertion("alice");
    const failing = async (): Promise<OboToken> => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw Object.assign(new Error("AADSTS65001: consent required"), { code: "consent_required" });
    };
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => cache.getOrAcquire(assertion, GRAPH, undefined, new Date(clock.now() + HOUR), failing)));
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ["rejected", "rejected", "rejected"]);
    assert.equal(cache.stats.entries, 0);
    const recovered = await cache.getOrAcquire(assertion, GRAPH, undefined, new Date(clock.now() + HOUR), async () => tokenFor("alice", clock));
    assert.equal(recovered.source, "acquired");
  });

  it("never hands one user's token to another under parallel load", async () => {
    const clock = new ManualClock();
    const store = new FakeSharedStore();
    const caches = [new OboTokenCache({ now: clock.now, shared: store }), new OboTokenCache({ now: clock.now, shared: store })];
    const users = ["alice", "bob"].map((name) => ({ name, assertion: fakeAssertion(name) }));
    const calls: Promise<void>[] = [];
    for (let round = 0; round < 200; round += 1) {
      for (const user of users) {
        const cache = caches[round % 2]!;
        calls.push(
          cache
            .getOrAcquire(user.assertion, GRAPH, undefined, new Date(clock.now() + HOUR), async () => {
              await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
              return tokenFor(user.name, clock);
            })
            .then((token) => assert.equal(userOf(token.accessToken), user.name)),
        );
        calls.push(cache.get(user.assertion, GRAPH).then((token) => assert.ok(token === undefined || userOf(token.accessToken) === user.name)));
      }
    }
    await Promise.all(calls);
  });

  it("bounds the in-flight bookkeeping: past the bound, calls run on their own", async () => {
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now, maxInFlight: 4 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const calls = Array.from({ length: 10 }, (_, i) =>
      cache.getOrAcquire(fakeAssertion(`user-${i}`), GRAPH, undefined, new Date(clock.now() + HOUR), async () => {
        await gate;
        return tokenFor(`user-${i}`, clock);
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(cache.stats.inFlight, 4);
    release();
    await Promise.all(calls);
    assert.equal(cache.stats.inFlight, 0);
  });
});

describe("OBO cache: shared layer through a fake store", () => {
  it("fills memory from the shared layer, so a second instance asks nobody", async () => {
    const clock = new ManualClock();
    const store = new FakeSharedStore();
    const first = new OboTokenCache({ now: clock.now, shared: store });
    const second = new OboTokenCache({ now: clock.now, shared: store });
    const assertion = fakeAssertion("alice");
    await first.getOrAcquire(assertion, GRAPH, undefined, new Date(clock.now() + HOUR), async () => tokenFor("alice", clock));
    let requests = 0;
    const fromShared = await second.getOrAcquire(assertion, GRAPH, undefined, new Date(clock.now() + HOUR), async () => {
      requests += 1;
      return tokenFor("alice", clock);
    });
    assert.equal(requests, 0);
    assert.equal(fromShared.source, "shared");
    const callsBefore = store.calls;
    assert.equal((await second.get(assertion, GRAPH))?.source, "memory");
    assert.equal(store.calls, callsBefore);
  });

  it("keeps working from memory during an outage, with one warning, and one info line when the store is back", async () => {
    const clock = new ManualClock();
    const store = new FakeSharedStore();
    const logs = new LogCapture();
    const cache = new OboTokenCache({ now: clock.now, shared: store, log: createLogger("debug", logs.sink), sharedRetryAfterMs: 1000 });
    const alice = fakeAssertion("alice");
    await cache.set(alice, GRAPH, undefined, tokenFor("alice", clock), new Date(clock.now() + HOUR));

    store.failure = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
    for (let i = 0; i < 20; i += 1) {
      assert.equal((await cache.get(alice, GRAPH))?.source, "memory");
      const user = fakeAssertion(`user-${i}`);
      assert.equal(await cache.get(user, GRAPH), undefined);
      assert.equal(await cache.set(user, GRAPH, undefined, tokenFor(`user-${i}`, clock), new Date(clock.now() + HOUR)), true);
    }
    assert.equal(logs.matching("obo_cache.shared_unavailable").length, 1);
    assert.equal(logs.matching("obo_cache.shared_unavailable")[0]?.level, "warn");
    assert.equal(store.calls, 2, "after the first failure the store is left alone until the retry time");
    assert.equal(cache.stats.shared, "down");

    clock.advance(1000);
    await cache.get(fakeAssertion("probe-1"), GRAPH); // the probe fails: no second warning, a longer wait
    assert.equal(logs.matching("obo_cache.shared_unavailable").length, 1);
    store.failure = undefined;
    clock.advance(1000);
    await cache.get(fakeAssertion("probe-2"), GRAPH); // still waiting (backoff doubled to 2 s)
    assert.equal(cache.stats.shared, "down");
    clock.advance(1000);
    await cache.get(fakeAssertion("probe-3"), GRAPH);
    assert.equal(cache.stats.shared, "up");
    assert.equal(logs.matching("obo_cache.shared_recovered").length, 1);
    assert.equal(logs.matching("obo_cache.shared_recovered")[0]?.level, "info");
    assert.ok(!logs.text().includes("obo-for-"), "no token in the log");
    assert.ok(!logs.text().includes(alice.slice(0, 30)), "no assertion in the log");
  });

  it("does not wait longer than its own limit for a store that hangs", async () => {
    const clock = new ManualClock();
    const store = new FakeSharedStore();
    const logs = new LogCapture();
    const cache = new OboTokenCache({ now: clock.now, shared: store, log: createLogger("info", logs.sink), sharedCallTimeoutMs: 100 });
    store.hang = true;
    const started = Date.now();
    const token = await cache.getOrAcquire(fakeAssertion("alice"), GRAPH, undefined, new Date(clock.now() + HOUR), async () => tokenFor("alice", clock));
    assert.equal(token.source, "acquired");
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    assert.equal(logs.matching("obo_cache.shared_unavailable").length, 1);
    assert.match(logs.matching("obo_cache.shared_unavailable")[0]!.text, /OBO_CACHE_STORE_TIMEOUT/);
  });

  it("treats a value that does not open as a miss, warns once, and keeps using the store", async () => {
    const clock = new ManualClock();
    const store = new FakeSharedStore();
    const logs = new LogCapture();
    const cache = new OboTokenCache({ now: clock.now, shared: store, log: createLogger("info", logs.sink) });
    const writer = new OboTokenCache({ now: clock.now, shared: store });
    const users = ["alice", "bob", "carol"].map((name) => fakeAssertion(name));
    for (const assertion of users) await writer.set(assertion, GRAPH, undefined, tokenFor("x", clock), new Date(clock.now() + HOUR));
    for (const [id, stored] of store.values) {
      const altered = Uint8Array.from(stored.value);
      altered[altered.length - 1] = altered[altered.length - 1]! ^ 0xff;
      store.values.set(id, { ...stored, value: altered });
    }
    for (const assertion of users) assert.equal(await cache.get(assertion, GRAPH), undefined);
    assert.equal(logs.matching("obo_cache.shared_value_rejected").length, 1);
    assert.equal(logs.matching("obo_cache.shared_unavailable").length, 0);
    assert.equal(cache.stats.shared, "up");
  });

  it("ignores a shared value past its sealed expiry even if the store's plain expiry says otherwise", async () => {
    const clock = new ManualClock();
    const store = new FakeSharedStore();
    const writer = new OboTokenCache({ now: clock.now, shared: store });
    const assertion = fakeAssertion("alice");
    await writer.set(assertion, GRAPH, undefined, tokenFor("alice", clock), new Date(clock.now() + 10 * 60_000));
    for (const [id, stored] of store.values) store.values.set(id, { ...stored, expiresOn: clock.now() + 10 * HOUR });
    clock.advance(10 * 60_000);
    const reader = new OboTokenCache({ now: clock.now, shared: store });
    assert.equal(await reader.get(assertion, GRAPH), undefined);
  });

  it("closes the store on dispose and serves nothing afterwards", async () => {
    const clock = new ManualClock();
    const store = new FakeSharedStore();
    const cache = new OboTokenCache({ now: clock.now, shared: store });
    const assertion = fakeAssertion("alice");
    await cache.set(assertion, GRAPH, undefined, tokenFor("alice", clock), new Date(clock.now() + HOUR));
    await cache.dispose();
    assert.equal(store.closed, true);
    assert.equal(await cache.get(assertion, GRAPH), undefined);
    assert.equal(cache.stats.entries, 0);
  });
});

describe("OBO cache: memory stays flat", () => {
  it("stays within the default bounds through 10,000 distinct users", async function () {
    this.timeout(60_000);
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const { maxEntries, maxBytes } = cache.stats;
    let peakEntries = 0;
    let peakBytes = 0;
    for (let i = 0; i < 10_000; i += 1) {
      const token = await cache.getOrAcquire(fakeAssertion(`user-${i}`), GRAPH, undefined, new Date(clock.now() + HOUR), async () => tokenFor(`user-${i}`, clock));
      assert.equal(userOf(token.accessToken), `user-${i}`);
      peakEntries = Math.max(peakEntries, cache.stats.entries);
      peakBytes = Math.max(peakBytes, cache.stats.bytes);
    }
    assert.ok(peakEntries <= maxEntries, `entries peaked at ${peakEntries} > ${maxEntries}`);
    assert.ok(peakBytes <= maxBytes, `bytes peaked at ${peakBytes} > ${maxBytes}`);
    assert.equal(cache.stats.entries, maxEntries, "the entry bound is what binds for ordinary tokens");
    assert.equal(cache.stats.evictions, 10_000 - maxEntries);
    assert.equal(cache.stats.inFlight, 0);
  });

  it("stays within the byte bound when tokens are large", async function () {
    this.timeout(60_000);
    const clock = new ManualClock();
    const cache = new OboTokenCache({ now: clock.now });
    const { maxEntries, maxBytes } = cache.stats;
    for (let i = 0; i < 10_000; i += 1) {
      await cache.set(fakeAssertion(`user-${i}`), GRAPH, undefined, tokenFor(`user-${i}`, clock, HOUR, 12_000), new Date(clock.now() + HOUR));
      assert.ok(cache.stats.bytes <= maxBytes);
    }
    assert.ok(cache.stats.entries < maxEntries, "the byte bound is what binds for 12 KB tokens");
    assert.ok(cache.stats.bytes > maxBytes - 13_000, "and the cache fills up to it");
  });
});
