/**
 * The development certificate (dev/tls.ts) and the wrapper that makes child
 * processes trust it (scripts/with-dev-tls.ts).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { DEV_TLS_RENEW_DAYS, ensureDevTls, repoRoot } from "../../dev/tls.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";

const WRAPPER = join(repoRoot(), "dist", "scripts", "with-dev-tls.js");

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv, onStdout?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot(), env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function envWithout(name: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[name];
  return env;
}

describe("development TLS certificate", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dev-tls-"));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("creates one certificate for localhost, 127.0.0.1 and ::1, with a private key file", async () => {
    const tls = await ensureDevTls({ dir });
    assert.equal(tls.generated, true);
    const x509 = new X509Certificate(tls.cert);
    assert.equal(x509.checkHost("localhost"), "localhost");
    assert.equal(x509.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(x509.checkIP("::1"), "::1");
    assert.equal(x509.checkHost("example.com"), undefined);
    assert.equal(tls.certPath, join(dir, "cert.pem"));
    if (process.platform !== "win32") assert.equal((await stat(tls.keyPath)).mode & 0o077, 0, "key.pem is readable by its owner only");
  });

  it("reuses a valid certificate and renews one expiring within 7 days", async () => {
    const first = await ensureDevTls({ dir });
    const again = await ensureDevTls({ dir });
    assert.equal(again.generated, false);
    assert.equal(again.fingerprint256, first.fingerprint256);
    const safe = await ensureDevTls({ dir, now: () => first.notAfter.getTime() - (DEV_TLS_RENEW_DAYS + 1) * 86_400_000 });
    assert.equal(safe.generated, false);
    const late = await ensureDevTls({ dir, now: () => first.notAfter.getTime() - (DEV_TLS_RENEW_DAYS - 1) * 86_400_000 });
    assert.equal(late.generated, true);
    assert.notEqual(late.fingerprint256, first.fingerprint256);
  });

  it("regenerates when a file is missing or the key does not match", async () => {
    const first = await ensureDevTls({ dir });
    const other = await ensureDevTls({ dir: join(dir, "other") });
    await writeFile(first.keyPath, other.key);
    const repaired = await ensureDevTls({ dir });
    assert.equal(repaired.generated, true);
    await rm(repaired.certPath);
    assert.equal((await ensureDevTls({ dir })).generated, true);
  });

  it("hands concurrent callers the same certificate", async () => {
    const results = await Promise.all([ensureDevTls({ dir }), ensureDevTls({ dir }), ensureDevTls({ dir })]);
    assert.equal(new Set(results.map((result) => result.fingerprint256)).size, 1);
    assert.equal(results.filter((result) => result.generated).length, 1);
  });
});

describe("scripts/with-dev-tls", () => {
  let entra: EntraStandIn;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
  });
  after(() => entra.close());

  it("runs the command with NODE_EXTRA_CA_CERTS set and passes its exit code on", async () => {
    const result = await run([WRAPPER, process.execPath, "-e", "process.stdout.write(process.env.NODE_EXTRA_CA_CERTS ?? ''); process.exit(3)"], envWithout("NODE_EXTRA_CA_CERTS"));
    assert.equal(result.code, 3);
    assert.equal(result.stdout, (await ensureDevTls()).certPath);
  });

  it("makes the child trust the stand-in, which it does not without the wrapper", async () => {
    const probe = `fetch(${JSON.stringify(entra.endpoints().discovery)}).then(r => process.exit(r.status === 200 ? 0 : 1), e => { process.stdout.write(String(e.cause?.code ?? e.message)); process.exit(2); })`;
    const trusted = await run([WRAPPER, process.execPath, "-e", probe], envWithout("NODE_EXTRA_CA_CERTS"));
    assert.equal(trusted.code, 0, trusted.stdout + trusted.stderr);
    const untrusted = await run(["-e", probe], envWithout("NODE_EXTRA_CA_CERTS"));
    assert.equal(untrusted.code, 2);
    assert.match(untrusted.stdout, /SELF_SIGNED|CERT/);
  });

  it("forwards SIGTERM to the child and reports how it ended", async function () {
    if (process.platform === "win32") this.skip();
    const child = `process.on("SIGTERM", () => { process.stdout.write(" got-sigterm"); process.exit(7); }); setInterval(() => {}, 1000); process.stdout.write("ready");`;
    let sent = false;
    const result = await run([WRAPPER, process.execPath, "-e", child], process.env, (stdout, wrapper) => {
      if (!sent && stdout.includes("ready")) {
        sent = true;
        wrapper.kill("SIGTERM");
      }
    });
    assert.match(result.stdout, /got-sigterm/);
    assert.equal(result.code, 7);
  });

  it("fails with a usage message when given no command", async () => {
    const result = await run([WRAPPER], process.env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /usage/);
  });
});
