/**
 * KEY_VAULT_URL and MANAGED_IDENTITY_CLIENT_ID in lib/config.ts, and the
 * choice of secret source they drive (lib/secrets/index.ts).
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { ConfigError, SETTINGS, loadConfig } from "../../lib/config.js";
import { silentLogger } from "../../lib/log.js";
import { createSecretSource, SecretUnavailableError } from "../../lib/secrets/index.js";

const VAULT = "https://kv-contoso-mcp.vault.azure.net/";
const CLIENT_ID = "9E0E0000-0000-4000-8000-0000000000E1";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ AUTH_MODE: "none", ...env });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe("secret settings", () => {
  it("declares both settings as written by the infrastructure", () => {
    assert.equal(SETTINGS.KEY_VAULT_URL.azure, "set-by-infra");
    assert.equal(SETTINGS.MANAGED_IDENTITY_CLIENT_ID.azure, "set-by-infra");
  });

  it("reads no vault and no identity when neither is set", () => {
    assert.deepEqual(loadConfig({ AUTH_MODE: "none" }).secrets, {});
  });

  it("reads the vault URL as Bicep writes it (with the trailing slash) and without it", () => {
    for (const raw of [VAULT, VAULT.slice(0, -1), ` ${VAULT} `]) {
      const { secrets } = loadConfig({ AUTH_MODE: "none", KEY_VAULT_URL: raw, MANAGED_IDENTITY_CLIENT_ID: CLIENT_ID });
      assert.equal(secrets.keyVaultUrl?.href, VAULT, raw);
      assert.equal(secrets.managedIdentityClientId, CLIENT_ID.toLowerCase());
    }
  });

  it("accepts a loopback https vault (the local fake) and a vault without an identity (system-assigned)", () => {
    const { secrets } = loadConfig({ AUTH_MODE: "none", KEY_VAULT_URL: "https://localhost:7446/" });
    assert.equal(secrets.keyVaultUrl?.href, "https://localhost:7446/");
    assert.equal(secrets.managedIdentityClientId, undefined);
  });

  it("names the setting and the expected form for each malformed value", () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ KEY_VAULT_URL: "kv-contoso-mcp.vault.azure.net" }, "KEY_VAULT_URL", /expected the vault's URL such as https:\/\//],
      [{ KEY_VAULT_URL: "http://kv-contoso-mcp.vault.azure.net/" }, "KEY_VAULT_URL", /expected https/],
      [{ KEY_VAULT_URL: "http://localhost:7446/" }, "KEY_VAULT_URL", /expected https/],
      [{ KEY_VAULT_URL: `${VAULT}secrets/sealing-keyring` }, "KEY_VAULT_URL", /no path, query or credentials/],
      [{ KEY_VAULT_URL: `${VAULT}?api-version=7.5` }, "KEY_VAULT_URL", /no path, query or credentials/],
      [{ KEY_VAULT_URL: "https://user:pass@kv-contoso-mcp.vault.azure.net/" }, "KEY_VAULT_URL", /no path, query or credentials/],
      [{ MANAGED_IDENTITY_CLIENT_ID: "id-mcp-kit-runtime" }, "MANAGED_IDENTITY_CLIENT_ID", /expected a GUID/],
      [{ MANAGED_IDENTITY_CLIENT_ID: `{${CLIENT_ID}}` }, "MANAGED_IDENTITY_CLIENT_ID", /expected a GUID/],
    ];
    for (const [env, setting, expected] of cases) {
      const error = configError(env);
      assert.equal(error.setting, setting, JSON.stringify(env));
      assert.match(error.message, expected, JSON.stringify(env));
      assert.ok(error.message.includes(setting), "the message names the setting");
    }
  });
});

describe("createSecretSource", () => {
  it("uses the environment when no vault is configured", async () => {
    const secrets = createSecretSource({ settings: {}, env: { SEALING_KEYRING: "ring-from-env" }, log: silentLogger });
    assert.equal(secrets.description, "environment");
    assert.equal(await secrets.get("sealing-keyring"), "ring-from-env");
    await assert.rejects(secrets.get("entra-client-secret"), (error: unknown) => {
      assert.ok(error instanceof SecretUnavailableError);
      assert.equal(error.secretName, "entra-client-secret");
      assert.match(error.message, /ENTRA_CLIENT_SECRET/);
      return true;
    });
  });

  it("uses Key Vault when a vault is configured, and asks nothing of it until the first read", () => {
    let tokenRequests = 0;
    const credential: TokenCredential = {
      getToken: async (): Promise<AccessToken> => {
        tokenRequests++;
        return { token: "unused", expiresOnTimestamp: Date.now() + 60_000 };
      },
    };
    const { secrets: settings } = loadConfig({ AUTH_MODE: "none", KEY_VAULT_URL: VAULT, MANAGED_IDENTITY_CLIENT_ID: CLIENT_ID });
    const secrets = createSecretSource({ settings, env: { SEALING_KEYRING: "must-not-be-used" }, credential, log: silentLogger });
    assert.equal(secrets.description, VAULT);
    assert.equal(tokenRequests, 0);
  });

  it("builds the managed identity credential lazily when none is given", () => {
    const secrets = createSecretSource({ settings: { keyVaultUrl: new URL(VAULT), managedIdentityClientId: CLIENT_ID.toLowerCase() }, log: silentLogger });
    assert.equal(secrets.description, VAULT);
  });

  it("keeps the Azure SDKs out of the import graph: lib/secrets loads them with import() only", async () => {
    const dir = fileURLToPath(new URL("../../lib/secrets/", import.meta.url));
    const files = (await readdir(dir)).filter((file) => file.endsWith(".js"));
    assert.ok(files.length >= 4, `compiled modules in ${dir}`);
    for (const file of files) {
      const text = await readFile(`${dir}${file}`, "utf8");
      assert.doesNotMatch(text, /^\s*(import|export)\b[^;(]*\bfrom\s*["']@azure\//m, `${file} imports an Azure SDK statically`);
      assert.doesNotMatch(text, /^\s*import\s*["']@azure\//m, `${file} imports an Azure SDK for its side effects`);
    }
  });
});
