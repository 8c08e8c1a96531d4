/**
 * Secrets from Key Vault (lib/secrets) through the real
 * `@azure/keyvault-secrets` SecretClient, against the fake vault over HTTPS
 * (dev/key-vault). Run through `node dist/scripts/with-dev-tls.js npx mocha ...`
 * so Node trusts the development certificate.
 *
 * The TTL runs on a hand-driven clock; deadlines, retries and the vault's
 * delays are real.
 */
import assert from "node:assert/strict";
import azureFunctions, { type HttpResponseInit } from "@azure/functions";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { DEV_TENANT_ID } from "../../dev/defaults.js";
import { startFakeKeyVault, type FakeKeyVault } from "../../dev/key-vault/index.js";
import { toHttpHandler } from "../../lib/adapter/azure-functions.js";
import { createLogger, type LogSink } from "../../lib/log.js";
import { createSecretSource, SecretUnavailableError, type SecretCacheOptions, type SecretSource } from "../../lib/secrets/index.js";
import { requireDevTlsTrust } from "../support/entra.js";
import { LogCapture } from "../support/log-capture.js";

const { HttpRequest, InvocationContext } = azureFunctions;

const TTL = 60_000;

/** Polls `condition` every 10 ms for up to `ms`. */
async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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

describe("Key Vault secrets through @azure/keyvault-secrets against the fake vault", function () {
  this.timeout(20_000);
  let vault: FakeKeyVault;
  let clock: number;
  /** This test's log lines. */
  let logs: LogCapture;
  /** Every log line of the suite, and every value written to the vault: the last test checks one never shows in the other. */
  const allLines = new LogCapture();
  const values = new Set<string>();
  const sink: LogSink = (level, event, fields) => {
    logs.sink(level, event, fields);
    allLines.sink(level, event, fields);
  };

  const put = (name: string, value: string, input?: Parameters<FakeKeyVault["setSecret"]>[2]): string => {
    values.add(value);
    return vault.setSecret(name, value, input);
  };

  const secrets = (tuning: SecretCacheOptions & { credential?: TokenCredential; retryDelayMs?: number } = {}): SecretSource => {
    const { credential, ...timing } = tuning;
    return createSecretSource({
      settings: { keyVaultUrl: new URL(vault.vaultUrl) },
      credential: credential ?? vault.credential(),
      log: createLogger("debug", sink),
      tuning: { ttlMs: TTL, refreshAheadMs: 1_000, fetchTimeoutMs: 3_000, retryAfterFailureMs: 1_000, retryDelayMs: 20, now: () => clock, ...timing },
    });
  };

  before(async () => {
    requireDevTlsTrust();
    vault = await startFakeKeyVault();
  });
  after(() => vault.close());
  beforeEach(async () => {
    clock = 1_000_000;
    logs = new LogCapture();
    vault.clearFaults();
    vault.reset();
    vault.store.clear();
    await vault.up();
  });

  it("reads a value through Key Vault's challenge, with a token for https://vault.azure.net/.default", async () => {
    const version = put("alpha", "alpha-value-1");
    const source = secrets();
    assert.equal(source.description, vault.vaultUrl);
    assert.equal(await source.get("alpha"), "alpha-value-1");
    assert.deepEqual(
      vault.requests.map((request) => [request.method, request.path, request.authorized, request.status, request.errorCode]),
      [
        ["GET", "/secrets/alpha/", false, 401, "Unauthorized"],
        ["GET", "/secrets/alpha/", true, 200, undefined],
      ],
    );
    assert.ok(vault.requests.every((request) => request.apiVersion !== null));
    assert.deepEqual(vault.tokenRequests, [{ scopes: ["https://vault.azure.net/.default"], tenantId: DEV_TENANT_ID }]);
    assert.match(logs.matching('"secret.loaded"')[0]?.text ?? "", new RegExp(`"version":"${version}"`));
  });

  it("serves later reads within the TTL from memory", async () => {
    put("alpha", "alpha-value-1");
    const source = secrets();
    for (let i = 0; i < 5; i++) {
      assert.equal(await source.get("alpha"), "alpha-value-1");
      clock += 10_000;
    }
    assert.equal(vault.reads("alpha"), 1);
  });

  it("shares one request among concurrent first reads", async () => {
    put("beta", "beta-value");
    vault.fail({ kind: "delay", ms: 100 }, 1);
    const source = secrets();
    const results = await Promise.all(Array.from({ length: 20 }, () => source.get("beta")));
    assert.ok(results.every((value) => value === "beta-value"));
    assert.equal(vault.reads("beta"), 1);
  });

  it("refreshes after the TTL in the background: the caller gets the cached value at once, then the new version", async () => {
    put("alpha", "alpha-value-1");
    const source = secrets();
    await source.get("alpha");
    const version2 = put("alpha", "alpha-value-2");
    clock += TTL + 1;
    vault.fail({ kind: "delay", ms: 500 }, 1);
    const started = Date.now();
    assert.equal(await source.get("alpha"), "alpha-value-1");
    assert.equal(await source.get("alpha"), "alpha-value-1");
    assert.ok(Date.now() - started < 200, `the caller waited ${Date.now() - started} ms`);
    await waitFor(async () => (await source.get("alpha")) === "alpha-value-2", "the new version");
    assert.equal(vault.reads("alpha"), 2, "one background refresh for all those reads");
    const updated = logs.matching('"secret.updated"');
    assert.equal(updated.length, 1);
    assert.match(updated[0]!.text, new RegExp(`"version":"${version2}"`));
  });

  it("keeps serving the last good value while the vault is down, with exactly one warning, and says when it is back", async () => {
    put("alpha", "alpha-value-1");
    const source = secrets();
    await source.get("alpha");
    await vault.down();
    for (let i = 0; i < 4; i++) {
      clock += TTL;
      assert.equal(await source.get("alpha"), "alpha-value-1");
      await waitFor(() => logs.matching('"secret.refresh_failed"').length > 0, "the failed refresh");
      // Let this round's refresh (one refused connection, one retry) finish before the next.
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const warnings = logs.lines.filter((line) => line.level === "warn");
    assert.equal(warnings.length, 1, logs.text());
    assert.match(warnings[0]!.text, /"name":"alpha"/);
    assert.match(warnings[0]!.text, /could not be reached \(ECONNREFUSED\)/);
    assert.equal(logs.lines.filter((line) => line.level === "error").length, 0);

    await vault.up();
    clock += TTL;
    assert.equal(await source.get("alpha"), "alpha-value-1");
    await waitFor(() => logs.matching('"secret.recovered"').length === 1, "the recovery line");
    assert.match(logs.matching('"secret.recovered"')[0]!.text, /"failedAttempts":4/);
    assert.equal(logs.lines.filter((line) => line.level === "warn").length, 1);
  });

  it("retries a 5xx once inside a fetch, then keeps the last good value", async () => {
    put("alpha", "alpha-value-1");
    const source = secrets();
    await source.get("alpha");
    vault.reset();
    vault.fail({ kind: "status", status: 500 });
    clock += TTL;
    assert.equal(await source.get("alpha"), "alpha-value-1");
    await waitFor(() => logs.matching('"secret.refresh_failed"').length === 1, "the failed refresh");
    assert.equal(vault.requests.length, 2, "the first attempt and one retry");
    assert.match(logs.matching('"secret.refresh_failed"')[0]!.text, /answered 500 InternalServerError/);
  });

  it("fails with SecretUnavailableError naming the secret when the vault is down and nothing is cached", async () => {
    put("sealing-keyring", "keyring-value");
    await vault.down();
    const error = await unavailable(secrets().get("sealing-keyring"));
    assert.equal(error.secretName, "sealing-keyring");
    assert.equal(error.code, "SECRET_UNAVAILABLE");
    assert.match(error.message, /^Secret sealing-keyring is unavailable: Key Vault localhost:\d+ could not be reached \(ECONNREFUSED\)$/);
  });

  it("answers such a request 503 with Retry-After through the Functions adapter, and the value once the vault is back", async () => {
    put("sealing-keyring", "keyring-value");
    await vault.down();
    const source = secrets();
    const handler = toHttpHandler(async () => new Response(`keyring of ${(await source.get("sealing-keyring")).length} characters`), "info");
    const invocation = (): InstanceType<typeof InvocationContext> =>
      new InvocationContext({
        invocationId: "kv-test",
        functionName: "test",
        logHandler: (level, ...args) => {
          logs.add(level, args.join(" "));
          allLines.add(level, args.join(" "));
        },
      });
    const request = (): InstanceType<typeof HttpRequest> => new HttpRequest({ method: "GET", url: "https://app.example/token" });

    const down = (await handler(request(), invocation())) as HttpResponseInit;
    assert.equal(down.status, 503);
    assert.equal(new Headers(down.headers).get("retry-after"), "30");
    const body = JSON.parse(await new Response(down.body as ReadableStream<Uint8Array>).text()) as Record<string, string>;
    assert.equal(body.error, "temporarily_unavailable");
    assert.doesNotMatch(JSON.stringify(body), /keyring-value|ECONNREFUSED/);
    const line = logs.matching('"secret.unavailable"');
    assert.equal(line.length, 1);
    assert.match(line[0]!.text, /sealing-keyring/, "the log line names the secret");

    await vault.up();
    clock += 1_000;
    const up = (await handler(request(), invocation())) as HttpResponseInit;
    assert.equal(up.status, 200);
    assert.equal(await new Response(up.body as ReadableStream<Uint8Array>).text(), "keyring of 13 characters");
  });

  it("gives up on a slow vault within the configured timeout", async () => {
    put("alpha", "alpha-value-1");
    vault.fail({ kind: "delay", ms: 5_000 });
    const started = Date.now();
    const error = await unavailable(secrets({ fetchTimeoutMs: 300 }).get("alpha"));
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 290 && elapsed < 800, `gave up after ${elapsed} ms`);
    assert.match(error.message, /did not answer within 300 ms/);
  });

  it("serves the cached value when a refresh runs into the timeout", async () => {
    put("alpha", "alpha-value-1");
    const source = secrets({ fetchTimeoutMs: 200 });
    await source.get("alpha");
    vault.fail({ kind: "delay", ms: 5_000 });
    clock += TTL;
    const started = Date.now();
    assert.equal(await source.get("alpha"), "alpha-value-1");
    assert.ok(Date.now() - started < 100);
    await waitFor(() => logs.matching('"secret.refresh_failed"').length === 1, "the timed-out refresh");
    assert.match(logs.matching('"secret.refresh_failed"')[0]!.text, /did not answer within 200 ms/);
  });

  it("treats a missing, a disabled and an expired secret as no value", async () => {
    put("disabled", "disabled-value", { enabled: false });
    put("expired", "expired-value", { exp: Math.floor(Date.now() / 1000) - 60 });
    const source = secrets({ now: Date.now });
    assert.match((await unavailable(source.get("missing"))).message, /has no such secret \(SecretNotFound\)/);
    assert.match((await unavailable(source.get("disabled"))).message, /disabled in Key Vault .*\(SecretDisabled\)/);
    assert.match((await unavailable(source.get("expired"))).message, /expired on \d{4}-/);
  });

  it("stops serving a value once the vault says it is disabled", async () => {
    put("alpha", "alpha-value-1");
    const source = secrets();
    await source.get("alpha");
    vault.store.update("alpha", undefined, { enabled: false });
    clock += TTL;
    assert.equal(await source.get("alpha"), "alpha-value-1", "served while the refresh runs");
    await waitFor(() => logs.matching('"secret.withdrawn"').length === 1, "the withdrawal");
    assert.match((await unavailable(source.get("alpha"))).message, /SecretDisabled/);
  });

  it("gets no value with a token the vault does not accept", async () => {
    put("alpha", "alpha-value-1");
    const wrong: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: "not-the-vault-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };
    const error = await unavailable(secrets({ credential: wrong }).get("alpha"));
    assert.match(error.message, /answered 401 Unauthorized/);
    assert.equal(vault.reads("alpha"), 0);
  });

  it("reports a credential that cannot get a token without asking the vault for the secret", async () => {
    put("alpha", "alpha-value-1");
    const broken: TokenCredential = {
      getToken: async () => {
        const error = new Error("ManagedIdentityCredential: no identity endpoint");
        error.name = "CredentialUnavailableError";
        throw error;
      },
    };
    const error = await unavailable(secrets({ credential: broken }).get("alpha"));
    assert.match(error.message, /the credential could not get a token for Key Vault localhost:\d+ \(CredentialUnavailableError\)/);
  });

  it("never lets a secret value into a log line", () => {
    assert.ok(allLines.lines.length > 10, "the suite logged something to check");
    for (const value of values) {
      assert.deepEqual(allLines.matching(value), [], `a log line contains the value ${value}`);
    }
  });
});
