/**
 * The caching rules of lib/secrets/cache.ts, against a scripted fetcher and
 * a hand-driven clock (the Key Vault tests drive the same cache through the
 * real SDK and the fake vault).
 */
import assert from "node:assert/strict";
import { createLogger } from "../../lib/log.js";
import { CachedSecretSource, type FetchResult, type SecretCacheOptions } from "../../lib/secrets/cache.js";
import { SecretUnavailableError } from "../../lib/secrets/source.js";
import { LogCapture } from "../support/log-capture.js";

const TTL = 60_000;

/** A fetcher whose answers the test sets, and that can be held until released. */
class ScriptedFetcher {
  readonly calls: string[] = [];
  readonly signals: AbortSignal[] = [];
  answer: FetchResult | (() => Promise<FetchResult>) = { kind: "value", value: "v1", version: "1" };
  #held: (() => void)[] = [];
  #holding = false;

  readonly fetch = async (name: string, signal: AbortSignal): Promise<FetchResult> => {
    this.calls.push(name);
    this.signals.push(signal);
    if (this.#holding) await new Promise<void>((resolve) => this.#held.push(resolve));
    return typeof this.answer === "function" ? this.answer() : this.answer;
  };

  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    for (const resolve of this.#held.splice(0)) resolve();
  }
}

/** Lets background fetches finish. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function unavailable(promise: Promise<unknown>): Promise<SecretUnavailableError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SecretUnavailableError, `expected SecretUnavailableError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the read to fail");
}

describe("secret cache", () => {
  let clock: number;
  let fetcher: ScriptedFetcher;
  let logs: LogCapture;
  const source = (options: SecretCacheOptions = {}): CachedSecretSource =>
    new CachedSecretSource("https://kv.example/", fetcher.fetch, createLogger("debug", logs.sink), {
      ttlMs: TTL,
      refreshAheadMs: 5_000,
      retryAfterFailureMs: 1_000,
      now: () => clock,
      ...options,
    });

  beforeEach(() => {
    clock = 1_000_000;
    fetcher = new ScriptedFetcher();
    logs = new LogCapture();
  });

  it("shares one fetch among concurrent first reads", async () => {
    const secrets = source();
    fetcher.hold();
    const reads = Promise.all([secrets.get("alpha"), secrets.get("alpha"), secrets.get("ALPHA")]);
    await settle();
    fetcher.release();
    assert.deepEqual(await reads, ["v1", "v1", "v1"]);
    assert.equal(fetcher.calls.length, 1);
  });

  it("serves reads within the TTL from memory", async () => {
    const secrets = source();
    await secrets.get("alpha");
    clock += TTL - 5_001;
    fetcher.answer = { kind: "value", value: "v2", version: "2" };
    assert.equal(await secrets.get("alpha"), "v1");
    await settle();
    assert.equal(fetcher.calls.length, 1);
  });

  it("refreshes ahead of expiry in the background, serving the cached value meanwhile", async () => {
    const secrets = source();
    await secrets.get("alpha");
    clock += TTL - 4_000;
    fetcher.answer = { kind: "value", value: "v2", version: "2" };
    fetcher.hold();
    assert.equal(await secrets.get("alpha"), "v1", "not blocked by the refresh");
    assert.equal(await secrets.get("alpha"), "v1");
    fetcher.release();
    await settle();
    assert.equal(await secrets.get("alpha"), "v2");
    assert.equal(fetcher.calls.length, 2, "one refresh for several reads");
    assert.equal(logs.matching('"secret.updated"').length, 1);
  });

  it("after the TTL serves the last value at once while one refresh runs", async () => {
    const secrets = source();
    await secrets.get("alpha");
    clock += 10 * TTL;
    fetcher.answer = { kind: "value", value: "v2", version: "2" };
    fetcher.hold();
    assert.deepEqual(await Promise.all([secrets.get("alpha"), secrets.get("alpha")]), ["v1", "v1"]);
    fetcher.release();
    await settle();
    assert.equal(await secrets.get("alpha"), "v2");
    assert.equal(fetcher.calls.length, 2);
  });

  it("keeps the last good value through failed refreshes, with one warning per outage and one info line when it ends", async () => {
    const secrets = source();
    await secrets.get("alpha");
    fetcher.answer = { kind: "failed", reason: "vault unreachable (ECONNREFUSED)" };
    for (let i = 0; i < 5; i++) {
      clock += TTL;
      assert.equal(await secrets.get("alpha"), "v1");
      await settle();
    }
    assert.equal(fetcher.calls.length, 6, "one attempt per read past the retry interval");
    const warnings = logs.lines.filter((line) => line.level === "warn");
    assert.equal(warnings.length, 1, logs.text());
    assert.match(warnings[0]!.text, /"event":"secret.refresh_failed".*"name":"alpha".*ECONNREFUSED/);

    fetcher.answer = { kind: "value", value: "v1", version: "1" };
    clock += TTL;
    await secrets.get("alpha");
    await settle();
    const recovered = logs.matching('"secret.recovered"');
    assert.equal(recovered.length, 1);
    assert.match(recovered[0]!.text, /"failedAttempts":5/);

    fetcher.answer = { kind: "failed", reason: "vault unreachable (ECONNREFUSED)" };
    clock += TTL;
    await secrets.get("alpha");
    await settle();
    assert.equal(logs.lines.filter((line) => line.level === "warn").length, 2, "a new outage warns again");
  });

  it("starts no new fetch within the retry interval after a failure", async () => {
    const secrets = source();
    await secrets.get("alpha");
    fetcher.answer = { kind: "failed", reason: "503" };
    clock += TTL;
    await secrets.get("alpha");
    await settle();
    for (let i = 0; i < 10; i++) {
      clock += 50;
      assert.equal(await secrets.get("alpha"), "v1");
      await settle();
    }
    assert.equal(fetcher.calls.length, 2);
  });

  it("with nothing cached, fails naming the secret and the reason, fast within the retry interval, then tries again", async () => {
    const secrets = source();
    fetcher.answer = { kind: "failed", reason: "vault unreachable (ECONNREFUSED)" };
    const first = await unavailable(secrets.get("sealing-keyring"));
    assert.equal(first.secretName, "sealing-keyring");
    assert.match(first.message, /sealing-keyring.*ECONNREFUSED/);
    await unavailable(secrets.get("sealing-keyring"));
    assert.equal(fetcher.calls.length, 1, "the second read failed fast");
    assert.equal(logs.lines.filter((line) => line.level === "warn").length, 0, "the error is the caller's to log");

    clock += 1_000;
    fetcher.answer = { kind: "value", value: "ring", version: "7" };
    assert.equal(await secrets.get("sealing-keyring"), "ring");
    assert.equal(logs.matching('"secret.recovered"').length, 1);
  });

  it("withdraws a cached value the store no longer has, with one warning", async () => {
    const secrets = source();
    await secrets.get("alpha");
    fetcher.answer = { kind: "absent", reason: "the secret is disabled (SecretDisabled)" };
    clock += TTL;
    assert.equal(await secrets.get("alpha"), "v1", "served while the refresh runs");
    await settle();
    const error = await unavailable(secrets.get("alpha"));
    assert.match(error.message, /SecretDisabled/);
    const warnings = logs.lines.filter((line) => line.level === "warn");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!.text, /secret.withdrawn/);
  });

  it("never serves an expired or not-yet-valid value", async () => {
    const secrets = source();
    fetcher.answer = { kind: "value", value: "old", version: "1", expiresOn: new Date(clock - 1) };
    assert.match((await unavailable(secrets.get("alpha"))).message, /expired on/);

    clock += 1_000;
    fetcher.answer = { kind: "value", value: "soon", version: "2", notBefore: new Date(clock + 60_000) };
    assert.match((await unavailable(secrets.get("alpha"))).message, /not valid before/);

    clock += 1_000;
    fetcher.answer = { kind: "value", value: "short", version: "3", expiresOn: new Date(clock + 10_000) };
    assert.equal(await secrets.get("alpha"), "short");
    clock += 10_000;
    fetcher.answer = { kind: "value", value: "renewed", version: "4" };
    assert.equal(await secrets.get("alpha"), "renewed", "an expired value is refetched, not served");
  });

  it("gives up on a fetch at the deadline and aborts its signal", async () => {
    const secrets = source({ fetchTimeoutMs: 50 });
    fetcher.answer = () => new Promise<FetchResult>(() => undefined);
    const started = Date.now();
    const error = await unavailable(secrets.get("alpha"));
    assert.ok(Date.now() - started < 1_000);
    assert.match(error.message, /did not answer within 50 ms/);
    assert.equal(fetcher.signals[0]?.aborted, true);
  });

  it("stops waiting when the reader aborts, leaving the shared fetch to the others", async () => {
    const secrets = source();
    fetcher.hold();
    const controller = new AbortController();
    const impatient = secrets.get("alpha", controller.signal);
    const patient = secrets.get("alpha");
    controller.abort(new Error("client went away"));
    await assert.rejects(impatient, /client went away/);
    fetcher.release();
    assert.equal(await patient, "v1");
    assert.equal(fetcher.signals[0]?.aborted, false);
  });

  it("reports a fetcher that throws by the error's class name only", async () => {
    const secrets = source();
    fetcher.answer = () => Promise.reject(new TypeError("body: {\"value\":\"do-not-log\"}"));
    const error = await unavailable(secrets.get("alpha"));
    assert.match(error.message, /TypeError/);
    assert.doesNotMatch(error.message, /do-not-log/);
  });

  it("refuses an invalid secret name without fetching", async () => {
    await unavailable(source().get("no/such name"));
    assert.equal(fetcher.calls.length, 0);
  });

  it("refuses inconsistent timing", () => {
    assert.throws(() => source({ ttlMs: 1_000, refreshAheadMs: 1_000 }), RangeError);
    assert.throws(() => source({ fetchTimeoutMs: 0 }), RangeError);
    assert.throws(() => source({ ttlMs: Number.NaN }), RangeError);
  });
});
