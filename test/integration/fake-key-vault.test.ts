/**
 * The fake Key Vault (dev/key-vault) against the real `@azure/keyvault-secrets`
 * SecretClient: the operations the app and the deployment hooks use, answered
 * the way Key Vault answers them. Run through `node dist/scripts/with-dev-tls.js`.
 */
import assert from "node:assert/strict";
import { SecretClient } from "@azure/keyvault-secrets";
import { startFakeKeyVault, type FakeKeyVault } from "../../dev/key-vault/index.js";
import { KeyVaultSecretStore } from "../../scripts/hooks/azure.js";
import { SecretStoreAccessDenied } from "../../scripts/hooks/sealing-keyring.js";
import { requireDevTlsTrust } from "../support/entra.js";

/** The fields of the SDK's RestError the tests read. */
interface RestErrorFields {
  readonly name: string;
  readonly statusCode?: number;
  readonly code?: string;
  readonly details?: { error?: { code?: string; innerError?: { code?: string } } };
}

async function restError(promise: Promise<unknown>): Promise<RestErrorFields> {
  try {
    await promise;
  } catch (error) {
    return error as RestErrorFields;
  }
  assert.fail("expected the call to fail");
}

describe("fake Key Vault", function () {
  this.timeout(20_000);
  let vault: FakeKeyVault;
  let client: SecretClient;

  before(async () => {
    requireDevTlsTrust();
    vault = await startFakeKeyVault();
  });
  after(() => vault.close());
  beforeEach(async () => {
    vault.clearFaults();
    vault.reset();
    vault.store.clear();
    await vault.up();
    client = new SecretClient(vault.vaultUrl, vault.credential(), {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    });
  });

  it("writes versions and reads the current one or a named one, with Key Vault's properties", async () => {
    const first = await client.setSecret("Sealing-Keyring", "ring-1", { contentType: "application/json", tags: { "managed-by": "test" } });
    const second = await client.setSecret("sealing-keyring", "ring-2");
    assert.match(first.properties.version ?? "", /^[0-9a-f]{32}$/);
    assert.notEqual(first.properties.version, second.properties.version);

    const current = await client.getSecret("SEALING-KEYRING");
    assert.equal(current.value, "ring-2");
    assert.equal(current.name, "Sealing-Keyring", "the name as first written");
    assert.equal(current.properties.version, second.properties.version);
    assert.equal(current.properties.vaultUrl, vault.vaultUrl.replace(/\/$/, ""));
    assert.equal(current.properties.enabled, true);
    assert.equal(current.properties.recoveryLevel, "Recoverable");
    assert.ok(current.properties.createdOn instanceof Date);

    const pinned = await client.getSecret("sealing-keyring", { version: first.properties.version! });
    assert.equal(pinned.value, "ring-1");
    assert.equal(pinned.properties.contentType, "application/json");
    assert.deepEqual(pinned.properties.tags, { "managed-by": "test" });
    assert.equal(vault.reads("sealing-keyring"), 2);
  });

  it("answers 404 SecretNotFound, 403 SecretDisabled, and returns expired versions with their expiry", async () => {
    const missing = await restError(client.getSecret("missing"));
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.code, "SecretNotFound");

    const written = await client.setSecret("alpha", "a");
    await client.updateSecretProperties("alpha", written.properties.version!, { enabled: false });
    const disabled = await restError(client.getSecret("alpha"));
    assert.equal(disabled.statusCode, 403);
    assert.equal(disabled.code, "Forbidden");
    assert.equal(disabled.details?.error?.innerError?.code, "SecretDisabled");

    const expiresOn = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    await client.setSecret("old", "o", { expiresOn });
    const expired = await client.getSecret("old");
    assert.equal(expired.value, "o");
    assert.equal(expired.properties.expiresOn?.getTime(), expiresOn.getTime());

    const unknownVersion = await restError(client.getSecret("old", { version: "0".repeat(32) }));
    assert.equal(unknownVersion.statusCode, 404);
  });

  it("soft-deletes, refuses to reuse a deleted name, recovers and purges", async () => {
    await client.setSecret("gamma", "g");
    await (await client.beginDeleteSecret("gamma")).pollUntilDone();
    assert.equal((await restError(client.getSecret("gamma"))).statusCode, 404);
    const deleted = await client.getDeletedSecret("gamma");
    assert.equal(deleted.properties.recoveryId, `${vault.vaultUrl}deletedsecrets/gamma`);
    assert.ok(deleted.properties.scheduledPurgeDate instanceof Date);

    const conflict = await restError(client.setSecret("gamma", "new"));
    assert.equal(conflict.statusCode, 409);
    assert.equal(conflict.details?.error?.innerError?.code, "ObjectIsDeletedButRecoverable");

    await (await client.beginRecoverDeletedSecret("gamma")).pollUntilDone();
    assert.equal((await client.getSecret("gamma")).value, "g");

    await (await client.beginDeleteSecret("gamma")).pollUntilDone();
    await client.purgeDeletedSecret("gamma");
    assert.equal((await restError(client.getDeletedSecret("gamma"))).statusCode, 404);
    assert.equal((await client.setSecret("gamma", "fresh")).value, "fresh");
  });

  it("serves the deployment hooks' KeyVaultSecretStore: missing, written, soft-deleted, recovered, denied", async () => {
    const store = new KeyVaultSecretStore(client);
    assert.equal(await store.get("sealing-keyring"), undefined);
    assert.equal(await store.set("sealing-keyring", '{"current":"k1"}', "application/json"), "written");
    assert.equal(await store.get("sealing-keyring"), '{"current":"k1"}');

    await (await client.beginDeleteSecret("sealing-keyring")).pollUntilDone();
    assert.equal(await store.set("sealing-keyring", '{"current":"k2"}', "application/json"), "soft-deleted");
    await store.recoverDeleted("sealing-keyring");
    assert.equal(await store.get("sealing-keyring"), '{"current":"k1"}');

    vault.fail({ kind: "forbidden" });
    await assert.rejects(store.get("sealing-keyring"), SecretStoreAccessDenied);
  });

  it("refuses connections while down and answers again on the same URL when up", async () => {
    await client.setSecret("alpha", "a");
    const url = vault.vaultUrl;
    await vault.down();
    assert.equal(vault.listening, false);
    // A connection the client kept alive is reset; new ones are refused.
    assert.match((await restError(client.getSecret("alpha"))).code ?? "", /^(ECONNRESET|ECONNREFUSED)$/);
    assert.equal((await restError(client.getSecret("alpha"))).code, "ECONNREFUSED");
    await vault.up();
    assert.equal(vault.vaultUrl, url);
    assert.equal((await client.getSecret("alpha")).value, "a");
  });

  it("injects 5xx, 429 with Retry-After, slow answers and dropped connections", async () => {
    await client.setSecret("alpha", "a");
    vault.fail({ kind: "status", status: 503 }, 1);
    assert.equal((await restError(client.getSecret("alpha"))).statusCode, 503);
    assert.equal((await client.getSecret("alpha")).value, "a", "the fault was for one request");

    vault.fail({ kind: "status", status: 429, retryAfterSeconds: 7 }, 1);
    const throttled = await restError(client.getSecret("alpha"));
    assert.equal(throttled.statusCode, 429);
    assert.equal(throttled.code, "Throttled");

    vault.fail({ kind: "delay", ms: 150 }, 1);
    const started = Date.now();
    await client.getSecret("alpha");
    assert.ok(Date.now() - started >= 140);

    vault.fail({ kind: "drop" }, 1);
    const dropped = await restError(client.getSecret("alpha"));
    assert.equal(dropped.statusCode, undefined);
    assert.equal(dropped.name, "RestError");
  });

  it("accepts only the token it was given, and records requests without tokens or values", async () => {
    await client.setSecret("alpha", "value-never-recorded");
    const stranger = new SecretClient(vault.vaultUrl, { getToken: async () => ({ token: "someone-else", expiresOnTimestamp: Date.now() + 3_600_000 }) }, {
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    });
    const refused = await restError(stranger.getSecret("alpha"));
    assert.equal(refused.statusCode, 401);
    const recorded = JSON.stringify(vault.requests);
    assert.doesNotMatch(recorded, /value-never-recorded/);
    assert.ok(!recorded.includes(vault.token));
    assert.ok(vault.requests.some((request) => request.status === 401 && request.errorCode === "Unauthorized"));
  });
});
