/**
 * `npm test` runs the suite through scripts/with-test-peers: these run that
 * script as a process, on PATHs that stand for other machines.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const WRAPPER = fileURLToPath(new URL("../../scripts/with-test-peers.js", import.meta.url));
/** What the wrapped command prints: the two variables as it received them. */
const SHOW_PATHS = "console.log(JSON.stringify({ redis: process.env.REDIS_SERVER, chromium: process.env.CHROMIUM_PATH }))";

async function runWrapper(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { REDIS_SERVER: _redis, CHROMIUM_PATH: _chromium, ...inherited } = process.env;
  const child = spawn(process.execPath, [WRAPPER, process.execPath, "-e", SHOW_PATHS], { env: { ...inherited, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

describe("npm test's peer provisioning (scripts/with-test-peers)", () => {
  let bin: string;
  before(() => {
    bin = mkdtempSync(join(tmpdir(), "test-peers-"));
    symlinkSync(process.execPath, join(bin, "node"));
  });
  after(() => rmSync(bin, { recursive: true, force: true }));

  it("on a machine without redis-server, Chromium or apt-get, prints one line saying what to install and runs nothing", async () => {
    const { code, stdout, stderr } = await runWrapper({ PATH: bin });
    assert.equal(code, 1);
    assert.equal(stdout, "", "the test command did not run");
    const lines = stderr.trim().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0]!, /^npm test needs redis-server .* and chromium .*: install them: sudo apt-get install redis-server chromium .*, or set REDIS_SERVER \/ CHROMIUM_PATH to their paths\.$/);
  });

  it("hands what it finds on PATH to the test command as REDIS_SERVER and CHROMIUM_PATH", async () => {
    const peers = mkdtempSync(join(tmpdir(), "test-peers-found-"));
    try {
      for (const name of ["redis-server", "chromium-browser"]) {
        writeFileSync(join(peers, name), "#!/bin/sh\nexit 0\n");
        chmodSync(join(peers, name), 0o755);
      }
      const { code, stdout, stderr } = await runWrapper({ PATH: `${bin}:${peers}` });
      assert.equal(code, 0, stderr);
      assert.deepEqual(JSON.parse(stdout), { redis: join(peers, "redis-server"), chromium: join(peers, "chromium-browser") });
      assert.equal(stderr, "", "nothing installed, nothing said");
    } finally {
      rmSync(peers, { recursive: true, force: true });
    }
  });

  it("refuses a CHROMIUM_PATH that names no program, in one line naming the variable", async () => {
    const { code, stdout, stderr } = await runWrapper({ CHROMIUM_PATH: join(bin, "no-such-browser") });
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(stderr, /^CHROMIUM_PATH=\S+no-such-browser is not an executable file; point it at chromium .* or unset it\.\n$/);
  });
});
