import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ConfigError, loadConfig, type Environment } from "../../lib/config.js";
import { createOboTokenCache, RedisTokenStore, TableTokenStore } from "../../lib/cache/index.js";
import { createSharedTokenStore } from "../../lib/cache/create.js";
import { silentLogger } from "../../lib/log.js";

const AZURE: Environment = { AUTH_MODE: "direct", ENTRA_TENANT_ID: "72f988bf-86f1-41af-91ab-2d7cd011db47", ENTRA_CLIENT_ID: "3f2504e0-4f89-11d3-9a0c-0305e82c3301", FIC_IDENTITY_CLIENT_ID: "f1c00000-0000-4000-8000-0000000000f1", WEBSITE_INSTANCE_ID: "abc", WEBSITE_HOSTNAME: "contoso-mcp.azurewebsites.net" };
const LOCAL_KEY = "AccountName=devacct;AccountKey=c2VjcmV0LWtleS1ub3QtdG8tYmUtc2hvd24=;TableEndpoint=http://127.0.0.1:10002/devacct";

function configError(env: Environment): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail("loadConfig accepted a bad configuration");
}

describe("OBO cache configuration", () => {
  it("defaults to memory only, 5,000 entries and 32 MiB", () => {
    const { cache } = loadConfig({ AUTH_MODE: "none" });
    assert.deepEqual(cache, { maxEntries: 5000, maxBytes: 32 * 1024 * 1024 });
  });

  it("reads the memory bounds and names the setting of a bad one", () => {
    const { cache } = loadConfig({ AUTH_MODE: "none", OBO_CACHE_MAX_ENTRIES: "200", OBO_CACHE_MAX_BYTES: "1048576" });
    assert.equal(cache.maxEntries, 200);
    assert.equal(cache.maxBytes, 1048576);
    assert.equal(configError({ AUTH_MODE: "none", OBO_CACHE_MAX_ENTRIES: "0" }).setting, "OBO_CACHE_MAX_ENTRIES");
    assert.equal(configError({ AUTH_MODE: "none", OBO_CACHE_MAX_ENTRIES: "many" }).setting, "OBO_CACHE_MAX_ENTRIES");
    assert.equal(configError({ AUTH_MODE: "none", OBO_CACHE_MAX_BYTES: "1000" }).setting, "OBO_CACHE_MAX_BYTES");
    assert.equal(configError({ AUTH_MODE: "none", OBO_CACHE: "memcached" }).setting, "OBO_CACHE");
  });

  it("uses the table endpoint with the managed identity in Azure, and refuses a connection string there", () => {
    const { cache } = loadConfig({ ...AZURE, OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://stcontoso.table.core.windows.net/" });
    assert.equal(cache.shared?.kind, "table");
    assert.ok(cache.shared?.kind === "table" && cache.shared.endpoint?.href === "https://stcontoso.table.core.windows.net/" && cache.shared.connectionString === undefined);
    assert.ok(cache.shared?.kind === "table" && cache.shared.tableName === "obocache");
    assert.equal(configError({ ...AZURE, OBO_CACHE: "table" }).setting, "OBO_CACHE_TABLE_ENDPOINT");
    assert.equal(configError({ ...AZURE, OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "http://stcontoso.table.core.windows.net" }).setting, "OBO_CACHE_TABLE_ENDPOINT");
    assert.equal(configError({ ...AZURE, OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://stcontoso.table.core.windows.net/obocache" }).setting, "OBO_CACHE_TABLE_ENDPOINT");
    const refused = configError({ ...AZURE, OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://stcontoso.table.core.windows.net", OBO_CACHE_CONNECTION_STRING: LOCAL_KEY });
    assert.equal(refused.setting, "OBO_CACHE_CONNECTION_STRING");
    assert.match(refused.message, /refused in Azure/);
  });

  it("reaches the deployed table as the signed-in developer when run locally with the endpoint", () => {
    const { cache } = loadConfig({ AUTH_MODE: "none", OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://stcontoso.table.core.windows.net/" });
    assert.ok(cache.shared?.kind === "table" && cache.shared.identity === "developer" && cache.shared.endpoint !== undefined);
    const inAzure = loadConfig({ ...AZURE, OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://stcontoso.table.core.windows.net/" }).cache;
    assert.ok(inAzure.shared?.kind === "table" && inAzure.shared.identity === "managed-identity");
    const both = configError({ AUTH_MODE: "none", OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://stcontoso.table.core.windows.net/", OBO_CACHE_CONNECTION_STRING: LOCAL_KEY });
    assert.match(both.message, /set one/);
    assert.ok(!both.message.includes("c2VjcmV0"));
  });

  it("uses a connection string locally, and never repeats it in an error", () => {
    const { cache } = loadConfig({ AUTH_MODE: "none", OBO_CACHE: "table", OBO_CACHE_CONNECTION_STRING: LOCAL_KEY, OBO_CACHE_TABLE_NAME: "TokensDev" });
    assert.ok(cache.shared?.kind === "table" && cache.shared.connectionString === LOCAL_KEY && cache.shared.tableName === "TokensDev");
    assert.equal(loadConfig({ AUTH_MODE: "none", OBO_CACHE: "table", OBO_CACHE_CONNECTION_STRING: "UseDevelopmentStorage=true" }).cache.shared?.kind, "table");
    assert.equal(configError({ AUTH_MODE: "none", OBO_CACHE: "table" }).setting, "OBO_CACHE_CONNECTION_STRING");
    const bad = configError({ AUTH_MODE: "none", OBO_CACHE: "table", OBO_CACHE_CONNECTION_STRING: "AccountKey=c2VjcmV0LWtleS1ub3QtdG8tYmUtc2hvd24=" });
    assert.equal(bad.setting, "OBO_CACHE_CONNECTION_STRING");
    assert.ok(!bad.message.includes("c2VjcmV0"), "the key is not in the message");
  });

  it("checks the table name against Azure's rules", () => {
    for (const name of ["ab", "1tokens", "obo-cache", "tables", "a".repeat(64)]) {
      assert.equal(configError({ AUTH_MODE: "none", OBO_CACHE: "table", OBO_CACHE_CONNECTION_STRING: LOCAL_KEY, OBO_CACHE_TABLE_NAME: name }).setting, "OBO_CACHE_TABLE_NAME", name);
    }
  });

  it("needs REDIS_URL for redis, TLS in Azure, and never repeats its password", () => {
    const { cache } = loadConfig({ AUTH_MODE: "none", OBO_CACHE: "redis", REDIS_URL: "redis://127.0.0.1:6379" });
    assert.ok(cache.shared?.kind === "redis" && cache.shared.url.href === "redis://127.0.0.1:6379");
    assert.equal(loadConfig({ ...AZURE, OBO_CACHE: "redis", REDIS_URL: "rediss://:p4ss@contoso.redis.cache.windows.net:6380" }).cache.shared?.kind, "redis");
    assert.equal(configError({ AUTH_MODE: "none", OBO_CACHE: "redis" }).setting, "REDIS_URL");
    const plain = configError({ ...AZURE, OBO_CACHE: "redis", REDIS_URL: "redis://:p4ss-word@contoso.redis.cache.windows.net:6379" });
    assert.equal(plain.setting, "REDIS_URL");
    assert.match(plain.message, /rediss/);
    for (const raw of ["http://:p4ss-word@host:6379", "redis://:p4ss-word@host:6379/some/path", "not a url p4ss-word"]) {
      const error = configError({ AUTH_MODE: "none", OBO_CACHE: "redis", REDIS_URL: raw });
      assert.equal(error.setting, "REDIS_URL");
      assert.ok(!error.message.includes("p4ss-word"), error.message);
    }
  });

  it("ignores the shared-layer settings when OBO_CACHE=memory", () => {
    const { cache } = loadConfig({ ...AZURE, OBO_CACHE: "memory", OBO_CACHE_TABLE_ENDPOINT: "https://stcontoso.table.core.windows.net/", OBO_CACHE_TABLE_NAME: "obocache" });
    assert.equal(cache.shared, undefined);
  });

  it("builds the cache and store the settings name", async () => {
    const table = loadConfig({ ...AZURE, OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://stcontoso.table.core.windows.net/" }).cache;
    const redis = loadConfig({ AUTH_MODE: "none", OBO_CACHE: "redis", REDIS_URL: "redis://127.0.0.1:6379" }).cache;
    assert.ok(createSharedTokenStore(table.shared!, { log: silentLogger, managedIdentityClientId: "3f2504e0-4f89-11d3-9a0c-0305e82c3302" }) instanceof TableTokenStore);
    assert.ok(createSharedTokenStore(redis.shared!, { log: silentLogger }) instanceof RedisTokenStore);
    const cache = createOboTokenCache(table, { log: silentLogger });
    assert.equal(cache.stats.shared, "up");
    assert.equal(cache.stats.maxEntries, 5000);
    await cache.dispose();
  });

  it("loads neither redis nor @azure/data-tables nor @azure/identity until the shared layer is first used", async function () {
    this.timeout(30_000);
    const blocked = ["redis", "@azure/data-tables", "@azure/identity"];
    // A resolve hook that refuses the heavy packages: any static import of them would make the imports below fail.
    const hooks = `export async function resolve(specifier, context, next) { if (${JSON.stringify(blocked)}.includes(specifier)) throw new Error("blocked " + specifier); return next(specifier, context); }`;
    const script = `
      import { register } from "node:module";
      register(${JSON.stringify("data:text/javascript," + encodeURIComponent(hooks))});
      const { createOboTokenCache } = await import(${JSON.stringify(new URL("../../lib/cache/index.js", import.meta.url).href)});
      const { loadConfig } = await import(${JSON.stringify(new URL("../../lib/config.js", import.meta.url).href)});
      const { silentLogger } = await import(${JSON.stringify(new URL("../../lib/log.js", import.meta.url).href)});
      for (const env of [
        { AUTH_MODE: "none", OBO_CACHE: "redis", REDIS_URL: "redis://127.0.0.1:1" },
        { AUTH_MODE: "none", OBO_CACHE: "table", OBO_CACHE_CONNECTION_STRING: "UseDevelopmentStorage=true" },
        { AUTH_MODE: "none", OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://x.table.core.windows.net" },
        { ...${JSON.stringify(AZURE)}, OBO_CACHE: "table", OBO_CACHE_TABLE_ENDPOINT: "https://x.table.core.windows.net" },
      ]) await createOboTokenCache(loadConfig(env).cache, { log: silentLogger }).dispose();
      const control = await import("redis").then(() => "loaded", () => "blocked");
      process.stdout.write(control);
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
    assert.equal(stdout, "blocked", "the hook works, and nothing above needed the packages");
  });
});
