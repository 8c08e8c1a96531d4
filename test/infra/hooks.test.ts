/**
 * The azd hooks (scripts/hooks/), against fakes: a Key Vault in memory, an
 * account probe, temporary project directories.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HookError, parseDotenv, withAzdEnvironment, type HookLog } from "../../scripts/hooks/hook-env.js";
import { mcpServerName, postprovision } from "../../scripts/hooks/postprovision.js";
import { checkAccount, checkEnvironmentValues, preprovision, type AccountClaims } from "../../scripts/hooks/preprovision.js";
import {
  ensureSealingKeyring,
  generateKeyring,
  parseKeyring,
  retireKey,
  rotateKeyring,
  SecretStoreAccessDenied,
  serializeKeyring,
  updateKeyring,
  type KeyringDeps,
  type RetryPolicy,
  type SecretStore,
} from "../../scripts/hooks/sealing-keyring.js";
import { danglingImports, shipsInPackage, stagePackage } from "../../scripts/hooks/stage-package.js";
import { mergeMcpServer } from "../../scripts/hooks/vscode-mcp.js";

/** An in-memory Key Vault: live secrets with versions, soft-deleted ones, and a number of 403s to answer first. */
class FakeKeyVault implements SecretStore {
  readonly versions = new Map<string, string[]>();
  readonly deleted = new Map<string, string[]>();
  readonly calls: string[] = [];
  forbiddenAnswersLeft = 0;

  private gate(call: string): void {
    this.calls.push(call);
    if (this.forbiddenAnswersLeft > 0) {
      this.forbiddenAnswersLeft--;
      throw new SecretStoreAccessDenied("Forbidden: caller is not authorized");
    }
  }

  async get(name: string): Promise<string | undefined> {
    this.gate(`get ${name}`);
    return this.versions.get(name)?.at(-1);
  }

  async set(name: string, value: string): Promise<"written" | "soft-deleted"> {
    this.gate(`set ${name}`);
    if (this.deleted.has(name)) {
      return "soft-deleted";
    }
    this.versions.set(name, [...(this.versions.get(name) ?? []), value]);
    return "written";
  }

  async recoverDeleted(name: string): Promise<void> {
    this.gate(`recover ${name}`);
    const versions = this.deleted.get(name);
    if (versions === undefined) {
      throw new Error("not deleted");
    }
    this.deleted.delete(name);
    this.versions.set(name, versions);
  }
}

class MemoryLog implements HookLog {
  readonly lines: string[] = [];
  readonly warnings: string[] = [];
  info(line: string): void {
    this.lines.push(line);
  }
  warn(line: string): void {
    this.warnings.push(line);
  }
}

/** Deterministic randomness: byte i of call n is (n * 31 + i) % 256. */
function fakeDeps(date = "2026-03-01T10:00:00Z"): KeyringDeps {
  let call = 0;
  return {
    randomBytes: (size) => {
      call++;
      return Buffer.from(Array.from({ length: size }, (_, i) => (call * 31 + i) % 256));
    },
    now: () => new Date(date),
  };
}

const noWait: RetryPolicy = { attempts: 5, delayMs: 1, sleep: async () => {} };

describe("hooks: sealing keyring in Key Vault", () => {
  it("creates the keyring when the secret is missing", async () => {
    const vault = new FakeKeyVault();
    assert.equal(await ensureSealingKeyring(vault, "sealing-keyring", { log: new MemoryLog(), deps: fakeDeps(), retry: noWait }), "created");
    const keyring = parseKeyring(vault.versions.get("sealing-keyring")![0]!);
    assert.equal(Object.keys(keyring.keys).length, 1);
    assert.equal(Buffer.from(keyring.keys[keyring.current]!, "base64url").length, 32);
  });

  it("is idempotent: a second run leaves the keyring exactly as it was, with no new version", async () => {
    const vault = new FakeKeyVault();
    await ensureSealingKeyring(vault, "sealing-keyring", { log: new MemoryLog(), retry: noWait });
    const first = [...vault.versions.get("sealing-keyring")!];
    assert.equal(await ensureSealingKeyring(vault, "sealing-keyring", { log: new MemoryLog(), retry: noWait }), "existing");
    assert.deepEqual(vault.versions.get("sealing-keyring"), first);
    assert.equal(vault.calls.filter((c) => c.startsWith("set")).length, 1);
  });

  it("never replaces an existing keyring, even one holding several keys", async () => {
    const vault = new FakeKeyVault();
    const ring = rotateKeyring(generateKeyring(fakeDeps("2026-01-01T00:00:00Z")), fakeDeps("2026-02-01T00:00:00Z"));
    vault.versions.set("sealing-keyring", [serializeKeyring(ring)]);
    await ensureSealingKeyring(vault, "sealing-keyring", { log: new MemoryLog(), retry: noWait });
    assert.deepEqual(parseKeyring(vault.versions.get("sealing-keyring")!.at(-1)!), ring);
  });

  it("leaves alone a secret of that name that is not a keyring, and says so", async () => {
    const vault = new FakeKeyVault();
    vault.versions.set("sealing-keyring", ["hunter2"]);
    await assert.rejects(ensureSealingKeyring(vault, "sealing-keyring", { log: new MemoryLog(), retry: noWait }), HookError);
    assert.deepEqual(vault.versions.get("sealing-keyring"), ["hunter2"]);
  });

  it("recovers a soft-deleted keyring instead of creating a new key", async () => {
    const vault = new FakeKeyVault();
    const ring = generateKeyring(fakeDeps());
    vault.deleted.set("sealing-keyring", [serializeKeyring(ring)]);
    assert.equal(await ensureSealingKeyring(vault, "sealing-keyring", { log: new MemoryLog(), retry: noWait }), "recovered");
    assert.deepEqual(parseKeyring(vault.versions.get("sealing-keyring")!.at(-1)!), ring);
  });

  it("waits for a fresh role assignment to apply, then creates the keyring", async () => {
    const vault = new FakeKeyVault();
    vault.forbiddenAnswersLeft = 3;
    const slept: number[] = [];
    const log = new MemoryLog();
    const outcome = await ensureSealingKeyring(vault, "sealing-keyring", {
      log,
      retry: { attempts: 5, delayMs: 15_000, sleep: async (ms) => void slept.push(ms) },
    });
    assert.equal(outcome, "created");
    assert.deepEqual(slept, [15_000, 15_000, 15_000]);
    assert.ok(log.lines.some((l) => l.includes("role assignment")));
  });

  it("gives up after the last attempt with a message naming the role", async () => {
    const vault = new FakeKeyVault();
    vault.forbiddenAnswersLeft = 100;
    await assert.rejects(ensureSealingKeyring(vault, "sealing-keyring", { log: new MemoryLog(), retry: noWait }), /Key Vault Secrets Officer/);
    assert.equal(vault.calls.length, noWait.attempts);
  });
});

describe("hooks: keyring format, rotation and retirement", () => {
  it("writes the documented JSON form with a 32-byte base64url key", () => {
    const ring = generateKeyring(fakeDeps());
    const stored = JSON.parse(serializeKeyring(ring)) as { current: string; keys: Record<string, string> };
    assert.deepEqual(Object.keys(stored), ["current", "keys"]);
    assert.match(stored.current, /^k20260301-[0-9a-f]{8}$/);
    assert.match(stored.keys[stored.current]!, /^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a keyring whose current key is not among its keys, or whose key is not 32 bytes", () => {
    const key = Buffer.alloc(32, 1).toString("base64url");
    assert.throws(() => parseKeyring(JSON.stringify({ current: "b", keys: { a: key } })), /is not among the keys/);
    assert.throws(() => parseKeyring(JSON.stringify({ current: "a", keys: { a: Buffer.alloc(16).toString("base64url") } })), /32 bytes/);
    assert.throws(() => parseKeyring("not json"), /not JSON/);
  });

  it("rotates by adding a new current key and keeping the previous one", () => {
    const ring = generateKeyring(fakeDeps("2026-01-01T00:00:00Z"));
    const rotated = rotateKeyring(ring, fakeDeps("2026-04-01T00:00:00Z"));
    assert.notEqual(rotated.current, ring.current);
    assert.equal(rotated.keys[ring.current], ring.keys[ring.current]);
    assert.equal(Object.keys(rotated.keys).length, 2);
  });

  it("retires an old key but never the current one", () => {
    const ring = rotateKeyring(generateKeyring(fakeDeps("2026-01-01T00:00:00Z")), fakeDeps("2026-04-01T00:00:00Z"));
    const old = Object.keys(ring.keys).find((kid) => kid !== ring.current)!;
    assert.deepEqual(Object.keys(retireKey(ring, old).keys), [ring.current]);
    assert.throws(() => retireKey(ring, ring.current), /current key/);
    assert.throws(() => retireKey(ring, "k-unknown"), /not in the keyring/);
  });

  it("stores a rotation as a new secret version", async () => {
    const vault = new FakeKeyVault();
    await ensureSealingKeyring(vault, "sealing-keyring", { log: new MemoryLog(), retry: noWait });
    const before = parseKeyring(vault.versions.get("sealing-keyring")![0]!);
    const after = await updateKeyring(vault, "sealing-keyring", (ring) => rotateKeyring(ring));
    assert.equal(vault.versions.get("sealing-keyring")!.length, 2);
    assert.ok(before.current in after.keys);
  });
});

describe("hooks: .vscode/mcp.json", () => {
  it("creates the file with the deployed server", () => {
    const { text, changed } = mergeMcpServer(undefined, "mcp-functions-kit-dev", "https://func.azurewebsites.net/mcp");
    assert.equal(changed, true);
    assert.deepEqual(JSON.parse(text), { servers: { "mcp-functions-kit-dev": { type: "http", url: "https://func.azurewebsites.net/mcp" } } });
  });

  it("keeps the other servers and inputs, and changes nothing on a second run", () => {
    const existing = JSON.stringify({ inputs: [{ id: "x" }], servers: { other: { type: "stdio", command: "node" } } });
    const first = mergeMcpServer(existing, "mine", "https://a.example/mcp");
    const parsed = JSON.parse(first.text) as { inputs: unknown; servers: Record<string, unknown> };
    assert.deepEqual(parsed.inputs, [{ id: "x" }]);
    assert.deepEqual(parsed.servers["other"], { type: "stdio", command: "node" });
    assert.equal(mergeMcpServer(first.text, "mine", "https://a.example/mcp").changed, false);
  });

  it("updates the URL of its own entry after a redeploy to another app", () => {
    const first = mergeMcpServer(undefined, "mine", "https://a.example/mcp").text;
    const second = mergeMcpServer(first, "mine", "https://b.example/mcp");
    assert.equal(second.changed, true);
    assert.equal((JSON.parse(second.text) as { servers: Record<string, { url: string }> }).servers["mine"]!.url, "https://b.example/mcp");
  });

  it("does not rewrite a file with comments, and hands the snippet over instead", () => {
    assert.throws(() => mergeMcpServer('{ // mine\n "servers": {} }', "mine", "https://a.example/mcp"), /"url": "https:\/\/a\.example\/mcp"/);
  });
});

describe("hooks: postprovision", () => {
  let project: string;
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), "mcp-kit-postprovision-"));
  });
  afterEach(async () => {
    await rm(project, { recursive: true, force: true });
  });

  const env = {
    AZURE_ENV_NAME: "dev",
    KEY_VAULT_URL: "https://kv-mcp-x.vault.azure.net/",
    SEALING_KEYRING_SECRET_NAME: "sealing-keyring",
    MCP_URL: "https://func-mcp-x.azurewebsites.net/mcp",
  };

  it("creates the keyring in the vault azd names, writes .vscode/mcp.json and prints the MCP URL", async () => {
    const vault = new FakeKeyVault();
    const opened: string[] = [];
    const log = new MemoryLog();
    await postprovision({ env, openSecretStore: (url) => (opened.push(url), vault), projectRoot: project, log, retry: noWait });
    assert.deepEqual(opened, [env.KEY_VAULT_URL]);
    assert.equal(vault.versions.get("sealing-keyring")?.length, 1);
    const mcpJson = JSON.parse(await readFile(join(project, ".vscode", "mcp.json"), "utf8")) as { servers: Record<string, { url: string }> };
    assert.equal(mcpJson.servers[mcpServerName("dev")]!.url, env.MCP_URL);
    assert.ok(log.lines.some((l) => l.includes(env.MCP_URL)));
  });

  it("run twice, leaves the keyring and mcp.json as the first run left them", async () => {
    const vault = new FakeKeyVault();
    const run = () => postprovision({ env, openSecretStore: () => vault, projectRoot: project, log: new MemoryLog(), retry: noWait });
    await run();
    const mcpJson = await readFile(join(project, ".vscode", "mcp.json"), "utf8");
    await run();
    assert.equal(vault.versions.get("sealing-keyring")?.length, 1);
    assert.equal(await readFile(join(project, ".vscode", "mcp.json"), "utf8"), mcpJson);
  });

  it("fails with the name of a missing Bicep output", async () => {
    const { KEY_VAULT_URL: _omitted, ...withoutVault } = env;
    await assert.rejects(
      postprovision({ env: withoutVault, openSecretStore: () => new FakeKeyVault(), projectRoot: project, log: new MemoryLog(), retry: noWait }),
      /KEY_VAULT_URL is not set/,
    );
  });

  it("still creates the keyring when .vscode/mcp.json cannot be merged, with a warning", async () => {
    await mkdir(join(project, ".vscode"));
    await writeFile(join(project, ".vscode", "mcp.json"), "{ // comment\n}");
    const vault = new FakeKeyVault();
    const log = new MemoryLog();
    await postprovision({ env, openSecretStore: () => vault, projectRoot: project, log, retry: noWait });
    assert.equal(vault.versions.get("sealing-keyring")?.length, 1);
    assert.equal(log.warnings.length, 1);
    assert.equal(await readFile(join(project, ".vscode", "mcp.json"), "utf8"), "{ // comment\n}");
  });
});

describe("hooks: preprovision", () => {
  const user: AccountClaims = { tid: "7e7e7e7e-0000-4000-8000-000000000002", upn: "ada@contoso.com", wids: ["b79fbf4d-3ef9-4689-8143-76b194e85509"] };

  it("accepts a fresh environment with only the values azd sets", () => {
    assert.deepEqual(checkEnvironmentValues({ AZURE_ENV_NAME: "dev" }), []);
  });

  it("refuses values the deployment would refuse, naming the variable", () => {
    assert.throws(() => checkEnvironmentValues({ AZURE_ENV_NAME: "dev", OBO_CACHE: "disk" }), /OBO_CACHE .*memory, table, redis/);
    assert.throws(() => checkEnvironmentValues({ AZURE_ENV_NAME: "dev", AUTH_MODE: "none" }), /AUTH_MODE none/);
    assert.throws(() => checkEnvironmentValues({ AZURE_ENV_NAME: "dev", AZURE_SUBSCRIPTION_ID: "my-sub" }), /AZURE_SUBSCRIPTION_ID/);
    assert.throws(() => checkEnvironmentValues({ AZURE_ENV_NAME: "my env" }), /AZURE_ENV_NAME/);
    assert.throws(() => checkEnvironmentValues({}), /AZURE_ENV_NAME is not set/);
  });

  it("warns that a redis cache is not provisioned", () => {
    assert.equal(checkEnvironmentValues({ AZURE_ENV_NAME: "dev", OBO_CACHE: "redis" }).length, 1);
  });

  it("refuses to deploy when signed in to another tenant than the environment's", () => {
    assert.throws(() => checkAccount(user, { AZURE_TENANT_ID: "11111111-0000-4000-8000-000000000000" }), /azd auth login --tenant-id 11111111/);
  });

  it("warns, without failing, when the account holds no role that can create app registrations", () => {
    const warnings = checkAccount(user, {});
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /Application Developer/);
  });

  it("says nothing about roles to an Application Developer", () => {
    assert.deepEqual(checkAccount({ ...user, wids: ["cf1c38e5-3621-4004-a7cb-879624dced7c"] }, {}), []);
  });

  it("tells a service principal which Graph permission it needs", () => {
    assert.match(checkAccount({ tid: user.tid, idtyp: "app" }, {}).join(), /Application\.ReadWrite\.OwnedBy/);
  });

  it("names the tenant the app registration will be created in", async () => {
    const log = new MemoryLog();
    await preprovision({ AZURE_ENV_NAME: "dev" }, { signedInAccount: async () => user }, log);
    assert.ok(log.lines.some((l) => l.includes(user.tid) && l.includes("ada@contoso.com")));
  });

  it("asks to sign in when no token can be had", async () => {
    await assert.rejects(
      preprovision({ AZURE_ENV_NAME: "dev" }, { signedInAccount: async () => Promise.reject(new Error("not logged in")) }, new MemoryLog()),
      /azd auth login/,
    );
  });
});

describe("hooks: deployment package (prepackage)", () => {
  let project: string;
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), "mcp-kit-stage-"));
    const files: Record<string, string> = {
      "package.json": JSON.stringify({ name: "app", type: "module", main: "dist/functions/index.js", scripts: { build: "tsc" }, dependencies: { a: "1" }, devDependencies: { typescript: "7" } }),
      "package-lock.json": "{}",
      "host.json": '{"version":"2.0"}',
      "dist/functions/index.js": 'import "../lib/x.js";\nimport { y } from "./y.js";',
      "dist/functions/y.js": "export const y = 1;",
      "dist/functions/index.js.map": "{}",
      "dist/lib/x.js": "export {};",
      "dist/test/unit/a.test.js": "",
      "dist/dev/entra.js": "",
      "dist/scripts/hooks/main.js": "",
      "dist/bench/b.js": "",
      "dist/.tsbuildinfo": "",
      "node_modules/typescript/index.js": "",
      "lib/x.ts": "",
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(project, path, ".."), { recursive: true });
      await writeFile(join(project, path), content);
    }
  });
  afterEach(async () => {
    await rm(project, { recursive: true, force: true });
  });

  async function listed(dir: string, prefix = ""): Promise<string[]> {
    const { readdir } = await import("node:fs/promises");
    const out: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = `${prefix}${entry.name}`;
      out.push(...(entry.isDirectory() ? await listed(join(dir, entry.name), `${path}/`) : [path]));
    }
    return out.sort();
  }

  it("ships the compiled app, host.json and the manifests, and nothing of tests, dev tools, scripts or sources", async () => {
    const stageDir = join(project, ".local", "deploy");
    const installedIn: string[] = [];
    await stagePackage({ projectRoot: project, stageDir, installProductionDependencies: async (dir) => void installedIn.push(dir) });
    assert.deepEqual(await listed(stageDir), [
      ".funcignore",
      "dist/functions/index.js",
      "dist/functions/y.js",
      "dist/lib/x.js",
      "host.json",
      "package-lock.json",
      "package.json",
    ]);
    assert.deepEqual(installedIn, [stageDir]);
  });

  it("keeps the dependency lists for npm ci but drops the scripts", async () => {
    const stageDir = join(project, ".local", "deploy");
    await stagePackage({ projectRoot: project, stageDir, installProductionDependencies: async () => {} });
    const manifest = JSON.parse(await readFile(join(stageDir, "package.json"), "utf8")) as Record<string, unknown>;
    assert.equal(manifest["scripts"], undefined);
    assert.equal(manifest["main"], "dist/functions/index.js");
    assert.deepEqual(manifest["dependencies"], { a: "1" });
  });

  it("refuses to stage an app whose code imports something left out of the package", async () => {
    await writeFile(join(project, "dist/functions/index.js"), 'import "../dev/entra.js";');
    await assert.rejects(
      stagePackage({ projectRoot: project, stageDir: join(project, ".local", "deploy"), installProductionDependencies: async () => {} }),
      /dist\/functions\/index\.js imports \.\.\/dev\/entra\.js/,
    );
  });

  it("refuses to stage before the app is built", async () => {
    await rm(join(project, "dist"), { recursive: true });
    await assert.rejects(
      stagePackage({ projectRoot: project, stageDir: join(project, ".local", "deploy"), installProductionDependencies: async () => {} }),
      /npm run build/,
    );
  });

  it("leaves source maps and build info out", () => {
    assert.equal(shipsInPackage("dist/lib/x.js.map"), false);
    assert.equal(shipsInPackage("dist/.tsbuildinfo"), false);
    assert.equal(shipsInPackage("dist/lib/x.js"), true);
  });

  it("finds no dangling import in the real compiled app's production files", async () => {
    const stageDir = join(project, "real");
    const { cp } = await import("node:fs/promises");
    const root = join(import.meta.dirname, "..", "..", "..");
    await cp(join(root, "dist"), join(stageDir, "dist"), { recursive: true, filter: (src) => shipsInPackage(src.slice(root.length + 1)) });
    assert.deepEqual(await danglingImports(stageDir), []);
  });
});

describe("hooks: azd environment outside azd", () => {
  it("parses the .env azd writes", () => {
    assert.deepEqual(parseDotenv('AZURE_ENV_NAME="dev"\nKEY_VAULT_URL="https://kv.vault.azure.net/"\n# c\nEMPTY=""'), {
      AZURE_ENV_NAME: "dev",
      KEY_VAULT_URL: "https://kv.vault.azure.net/",
      EMPTY: "",
    });
  });

  it("reads the default environment's values, under the process's own", async () => {
    const project = await mkdtemp(join(tmpdir(), "mcp-kit-azd-env-"));
    try {
      await mkdir(join(project, ".azure", "dev"), { recursive: true });
      await writeFile(join(project, ".azure", "config.json"), JSON.stringify({ version: 1, defaultEnvironment: "dev" }));
      await writeFile(join(project, ".azure", "dev", ".env"), 'KEY_VAULT_URL="https://kv-dev.vault.azure.net/"\nSEALING_KEYRING_SECRET_NAME="ring"\n');
      const env = await withAzdEnvironment(project, { SEALING_KEYRING_SECRET_NAME: "override" });
      assert.equal(env["KEY_VAULT_URL"], "https://kv-dev.vault.azure.net/");
      assert.equal(env["SEALING_KEYRING_SECRET_NAME"], "override");
    } finally {
      await rm(project, { recursive: true, force: true });
    }
  });
});

describe("hooks: wiring in azure.yaml and package.json", () => {
  const root = join(import.meta.dirname, "..", "..", "..");
  type Hook = { posix?: { shell: string; run: string }; windows?: { shell: string; run: string } };
  const azureYaml = async () =>
    (await import("yaml")).parse(await readFile(join(root, "azure.yaml"), "utf8")) as {
      hooks: Record<string, Hook>;
      services: Record<string, { dist: string; remoteBuild: boolean; language: string; host: string; hooks: Record<string, Hook> }>;
    };

  it("runs each hook through the npm script that builds first, in a posix and a windows form", async () => {
    const config = await azureYaml();
    const hooks: [string, Hook | undefined][] = [
      ["preprovision", config.hooks["preprovision"]],
      ["postprovision", config.hooks["postprovision"]],
      ["prepackage", config.services["mcp"]!.hooks["prepackage"]],
    ];
    for (const [name, hook] of hooks) {
      assert.equal(hook?.posix?.run, `npm run --silent azd-hook -- ${name}`);
      assert.equal(hook?.windows?.run, `npm run --silent azd-hook -- ${name}`);
    }
    const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.match(manifest.scripts["azd-hook"]!, /^npm run --silent build && node dist\/scripts\/hooks\/main\.js$/);
  });

  it("deploys the staged package as built, with no remote build", async () => {
    const service = (await azureYaml()).services["mcp"]!;
    assert.equal(service.host, "function");
    assert.equal(service.language, "ts");
    assert.equal(service.dist, ".local/deploy");
    assert.equal(service.remoteBuild, false);
  });

  it("keeps node_modules out of .funcignore, which azd requires with remoteBuild: false", async () => {
    const ignore = await readFile(join(root, ".funcignore"), "utf8");
    const patterns = ignore.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
    assert.deepEqual(patterns.filter((p) => /^\/?node_modules\/?$/.test(p)), []);
  });

  it("stages into a gitignored directory", async () => {
    const gitignore = await readFile(join(root, ".gitignore"), "utf8");
    assert.ok(gitignore.split(/\r?\n/).includes(".local/"));
  });
});
