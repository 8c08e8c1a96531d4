/**
 * The refresh-token ledger's rules, one instance or several sharing one
 * store, with a clock moved by hand. The end-to-end behaviour over HTTP with
 * real clients is in test/integration/refresh-rotation.test.ts.
 */
import assert from "node:assert/strict";
import { MemoryTokenStore } from "../../lib/cache/memory-store.js";
import { createLogger } from "../../lib/log.js";
import { randomBytes } from "node:crypto";
import { derivedFamilyId, LedgerUnavailableError, RefreshLedger, type PresentedRefreshToken, type RefreshLedgerOptions, type TokenResponseBody } from "../../lib/oauth/refresh-ledger.js";
import { LogCapture } from "../support/log-capture.js";
import { FakeSharedStore, ManualClock } from "../support/obo-cache-fixtures.js";

const DAY = 24 * 3600_000;

function newFamilyId(): string {
  return randomBytes(16).toString("base64url");
}

interface Rig {
  readonly clock: ManualClock;
  readonly store: MemoryTokenStore;
  readonly logs: LogCapture;
  ledger(options?: Partial<RefreshLedgerOptions>): RefreshLedger;
}

function rig(): Rig {
  const clock = new ManualClock();
  const store = new MemoryTokenStore({ now: clock.now });
  const logs = new LogCapture();
  return {
    clock,
    store,
    logs,
    ledger: (options = {}) => new RefreshLedger({ store, graceMs: 30_000, denyMs: 90 * DAY, log: createLogger("debug", logs.sink), now: clock.now, pollMs: 5, ...options }),
  };
}

function presented(clock: ManualClock, family = newFamilyId(), value = `sealed-refresh-${newFamilyId()}`): PresentedRefreshToken {
  return { value, expiresOn: clock.now() + 90 * DAY, family };
}

/** An `issue` callback that counts its calls and answers with a body naming the call. */
function issuer(options: { delayMs?: number; fail?: Error } = {}): { calls: number; issue: (signal: AbortSignal) => Promise<TokenResponseBody> } {
  const state = {
    calls: 0,
    issue: async (): Promise<TokenResponseBody> => {
      state.calls += 1;
      const call = state.calls;
      if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (options.fail !== undefined) throw options.fail;
      return { access_token: `access-${call}`, refresh_token: `next-refresh-${call}`, expires_in: 3600 };
    },
  };
  return state;
}

describe("refresh-token ledger", () => {
  it("answers a token's first use by issuing, and a repeat within the grace window with the very same answer", async () => {
    const { clock, ledger: make } = rig();
    const ledger = make();
    const token = presented(clock);
    const work = issuer();
    const first = await ledger.rotate(token, work.issue);
    assert.deepEqual(first, { outcome: "rotated", body: { access_token: "access-1", refresh_token: "next-refresh-1", expires_in: 3600 }, issuedAt: clock.now(), repeated: false });
    clock.advance(29_000);
    const repeat = await ledger.rotate(token, work.issue);
    assert.equal(repeat.outcome, "rotated");
    assert.equal(repeat.outcome === "rotated" && repeat.repeated, true);
    assert.deepEqual(repeat.outcome === "rotated" && repeat.body, first.outcome === "rotated" && first.body, "the same access and refresh token, not a sibling");
    assert.equal(work.calls, 1, "Entra was asked once");
  });

  it("refuses a use after the grace window as a replay, and then every token of the family", async () => {
    const { clock, ledger: make, logs } = rig();
    const ledger = make();
    const family = newFamilyId();
    const stolen = presented(clock, family);
    const work = issuer();
    await ledger.rotate(stolen, work.issue);
    const successor = presented(clock, family);
    clock.advance(30_001);
    assert.deepEqual(await ledger.rotate(stolen, work.issue), { outcome: "replayed" });
    assert.deepEqual(await ledger.rotate(successor, work.issue), { outcome: "revoked" }, "the legitimate successor is refused too");
    assert.equal(work.calls, 1);
    assert.equal(logs.matching("oauth.refresh_replayed").length, 1);
    assert.doesNotMatch(logs.text(), new RegExp(stolen.value), "no token in the log");
    assert.equal((await ledger.rotate(presented(clock), work.issue)).outcome, "rotated", "other families are untouched");
  });

  it("keeps a family revoked until the deny-list entry expires, and no longer", async () => {
    const { clock, ledger: make } = rig();
    const ledger = make({ denyMs: 10 * DAY });
    const family = newFamilyId();
    await ledger.revokeFamily(family);
    clock.advance(10 * DAY - 1);
    assert.deepEqual(await ledger.rotate(presented(clock, family), issuer().issue), { outcome: "revoked" });
    clock.advance(1);
    assert.equal((await ledger.rotate(presented(clock, family), issuer().issue)).outcome, "rotated");
  });

  it("treats every second use as a replay when the grace window is 0, parallel ones included", async () => {
    const { clock, ledger: make } = rig();
    const ledger = make({ graceMs: 0 });
    const token = presented(clock);
    await ledger.rotate(token, issuer().issue);
    assert.deepEqual(await ledger.rotate(token, issuer().issue), { outcome: "replayed" });
    const parallel = presented(clock);
    const work = issuer({ delayMs: 20 });
    const outcomes = (await Promise.all([ledger.rotate(parallel, work.issue), ledger.rotate(parallel, work.issue)])).map((answer) => answer.outcome).sort();
    assert.deepEqual(outcomes, ["replayed", "rotated"]);
  });

  it("gives the token back when issuing fails, so the client can retry with it", async () => {
    const { clock, ledger: make } = rig();
    const ledger = make();
    const token = presented(clock);
    await assert.rejects(ledger.rotate(token, issuer({ fail: new Error("Entra is down") }).issue), /Entra is down/);
    clock.advance(60_000);
    const retry = await ledger.rotate(token, issuer().issue);
    assert.equal(retry.outcome, "rotated", "not a replay: the failed use did not count");
  });

  it("shares one call to Entra among parallel uses on one instance", async () => {
    const { clock, ledger: make } = rig();
    const ledger = make();
    const token = presented(clock);
    const work = issuer({ delayMs: 30 });
    const answers = await Promise.all([ledger.rotate(token, work.issue), ledger.rotate(token, work.issue), ledger.rotate(token, work.issue)]);
    assert.equal(work.calls, 1);
    assert.deepEqual(new Set(answers.map((answer) => JSON.stringify(answer.outcome === "rotated" && answer.body))).size, 1);
  });

  it("lets a use on another instance wait for the first use's answer in the shared store", async () => {
    const { clock, ledger: make } = rig();
    const [one, two] = [make(), make()];
    const token = presented(clock);
    const slow = issuer({ delayMs: 60 });
    const other = issuer();
    const [first, second] = await Promise.all([one.rotate(token, slow.issue), new Promise((resolve) => setTimeout(resolve, 10)).then(() => two.rotate(token, other.issue))]);
    assert.equal(other.calls, 0, "the second instance did not ask Entra");
    assert.equal(second.outcome === "rotated" && second.repeated, true);
    assert.deepEqual(second.outcome === "rotated" && second.body, first.outcome === "rotated" && first.body);
  });

  it("lets a waiting instance claim the token when the first use gives it back", async () => {
    const { clock, ledger: make } = rig();
    const [one, two] = [make(), make()];
    const token = presented(clock);
    const failing = issuer({ delayMs: 40, fail: new Error("throttled") });
    const other = issuer();
    const [first, second] = await Promise.allSettled([one.rotate(token, failing.issue), new Promise((resolve) => setTimeout(resolve, 10)).then(() => two.rotate(token, other.issue))]);
    assert.equal(first.status, "rejected");
    assert.equal(second.status === "fulfilled" && second.value.outcome, "rotated");
    assert.equal(other.calls, 1, "the waiter issued once the token was given back");
  });

  it("issues a sibling when the first use's instance never answers within the wait", async () => {
    const { clock, ledger: make, logs } = rig();
    const [one, two] = [make(), make({ waitMs: 80 })];
    const token = presented(clock);
    // The first instance claims the token and then hangs (it was killed mid-refresh).
    void one.rotate(token, () => new Promise<TokenResponseBody>(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const other = issuer();
    const second = await two.rotate(token, other.issue);
    assert.equal(second.outcome === "rotated" && second.repeated, false);
    assert.equal(other.calls, 1);
    assert.equal(logs.matching("oauth.refresh_sibling_issued").length, 1);
  });

  it("keeps in the store only ids and ciphertext: no token, no answer in clear", async () => {
    const { clock, ledger: make } = rig();
    const store = new FakeSharedStore();
    const ledger = make({ store });
    const token = presented(clock);
    await ledger.rotate(token, issuer().issue);
    await ledger.revokeFamily(token.family);
    const everything = [...store.values].map(([id, stored]) => `${id} ${Buffer.from(stored.value).toString("latin1")}`).join("\n");
    assert.equal(store.values.size, 3, "the used-marker, the answer for repeats, the family's deny-list entry");
    for (const secret of [token.value, token.family, "access-1", "next-refresh-1"]) assert.ok(!everything.includes(secret), `${secret} is not in the store`);
  });

  it("refuses to work without its store: a refresh is not let through unchecked, a revocation not reported done", async () => {
    const { clock, ledger: make } = rig();
    const store = new FakeSharedStore();
    const ledger = make({ store });
    store.failure = new Error("ECONNREFUSED");
    const work = issuer();
    await assert.rejects(ledger.rotate(presented(clock), work.issue), LedgerUnavailableError);
    await assert.rejects(ledger.revokeFamily(newFamilyId()), LedgerUnavailableError);
    assert.equal(work.calls, 0);
    store.failure = undefined;
    await assert.rejects(ledger.rotate(presented(clock), work.issue), LedgerUnavailableError, "during the outage calls do not wait on the store");
    clock.advance(5_001);
    assert.equal((await ledger.rotate(presented(clock), work.issue)).outcome, "rotated", "a probe after the back-off finds it again");
  });

  it("derives one family per code (or pre-rotation token), so a replay of it finds the tokens it led to", () => {
    assert.equal(derivedFamilyId("sealed-code"), derivedFamilyId("sealed-code"));
    assert.notEqual(derivedFamilyId("sealed-code"), derivedFamilyId("other-code"));
    assert.match(derivedFamilyId("sealed-code"), /^[A-Za-z0-9_-]{22}$/);
  });

  it("gives a value used without repeats (an authorization code) no grace: its second use revokes the family at once", async () => {
    const { clock, ledger: make } = rig();
    const ledger = make();
    const code = presented(clock);
    const work = issuer();
    assert.equal((await ledger.rotate(code, work.issue, undefined, { repeats: false })).outcome, "rotated");
    assert.deepEqual(await ledger.rotate(code, work.issue, undefined, { repeats: false }), { outcome: "replayed" });
    assert.deepEqual(await ledger.rotate(presented(clock, code.family), work.issue), { outcome: "revoked" }, "the refresh token the code led to");
    assert.equal(work.calls, 1);
  });
});
