/**
 * The one development TLS certificate every local HTTPS stand-in serves
 * (the Entra stand-in, and later the fake Key Vault and CIMD server).
 *
 * Why a certificate at all: msal-node refuses `http` authorities and the Azure
 * SDKs refuse `http` vault URLs, so the stand-ins must speak HTTPS. Processes
 * that call them trust the certificate through `NODE_EXTRA_CA_CERTS`, which
 * Node reads only at process start: `scripts/with-dev-tls.ts` sets it before
 * spawning the command it wraps.
 *
 * The certificate is self-signed for `localhost`, `127.0.0.1` and `::1`, kept
 * in `.local/dev-tls/` (gitignored), reused while valid and regenerated when
 * missing, unreadable, lacking one of those names, or expiring within 7 days.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "selfsigned";

/** Names the certificate must cover; anything else is not a local stand-in. */
export const DEV_TLS_HOSTS = { dns: ["localhost"], ip: ["127.0.0.1", "::1"] } as const;

/** Regenerate when fewer than this many days of validity remain. */
export const DEV_TLS_RENEW_DAYS = 7;

const VALIDITY_DAYS = 365;
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 20_000;

export interface DevTlsMaterial {
  /** PEM certificate, also the trust anchor for clients. */
  readonly cert: string;
  /** PEM private key (PKCS#8). */
  readonly key: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly notAfter: Date;
  /** SHA-256 fingerprint, colon-separated hex, as `X509Certificate.fingerprint256`. */
  readonly fingerprint256: string;
  /** True when this call created the files. */
  readonly generated: boolean;
}

export interface EnsureDevTlsOptions {
  /** Directory for cert.pem and key.pem; default `<repo>/.local/dev-tls`. */
  readonly dir?: string;
  /** Clock for the expiry check, in epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The repository root, found from this module's own location so the answer
 * does not depend on the working directory (this file runs from `dist/dev/`).
 */
export function repoRoot(): string {
  return fileURLToPath(new URL("../../", import.meta.url));
}

/** Where the certificate lives unless told otherwise. */
export function defaultDevTlsDir(): string {
  return join(repoRoot(), ".local", "dev-tls");
}

/**
 * Returns the development certificate, creating or renewing it first when needed.
 *
 * Safe to call from several processes at once: generation happens under a
 * lock file and files are replaced by rename, so nobody reads a certificate
 * that does not match its key.
 *
 * @example
 * const tls = await ensureDevTls();
 * https.createServer({ cert: tls.cert, key: tls.key }, handler);
 */
export async function ensureDevTls(options: EnsureDevTlsOptions = {}): Promise<DevTlsMaterial> {
  const dir = options.dir ?? defaultDevTlsDir();
  const now = options.now ?? Date.now;
  const existing = await readUsable(dir, now());
  if (existing !== undefined) return existing;

  await mkdir(dir, { recursive: true });
  const release = await acquireLock(join(dir, ".lock"));
  try {
    // Another process may have generated it while we waited for the lock.
    const raced = await readUsable(dir, now());
    if (raced !== undefined) return raced;
    return await generateInto(dir, now());
  } finally {
    await release();
  }
}

async function readUsable(dir: string, nowMs: number): Promise<DevTlsMaterial | undefined> {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([readFile(certPath, "utf8"), readFile(keyPath, "utf8")]);
  } catch {
    return undefined;
  }
  try {
    const x509 = new X509Certificate(cert);
    const notAfter = new Date(x509.validTo);
    if (notAfter.getTime() - nowMs < DEV_TLS_RENEW_DAYS * 86_400_000) return undefined;
    if (new Date(x509.validFrom).getTime() > nowMs) return undefined;
    if (!coversDevHosts(x509)) return undefined;
    if (!x509.checkPrivateKey(createPrivateKey(key))) return undefined;
    return { cert, key, certPath, keyPath, notAfter, fingerprint256: x509.fingerprint256, generated: false };
  } catch {
    return undefined;
  }
}

function coversDevHosts(x509: X509Certificate): boolean {
  return (
    DEV_TLS_HOSTS.dns.every((name) => x509.checkHost(name) !== undefined) &&
    DEV_TLS_HOSTS.ip.every((ip) => x509.checkIP(ip) !== undefined)
  );
}

async function generateInto(dir: string, nowMs: number): Promise<DevTlsMaterial> {
  // A day of slack before "now" so a client whose clock lags a little still accepts it.
  const notBeforeDate = new Date(nowMs - 86_400_000);
  const notAfterDate = new Date(nowMs + VALIDITY_DAYS * 86_400_000);
  const pems = await generate([{ name: "commonName", value: "MCP Functions Kit local development" }], {
    keyType: "rsa",
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      // cA:true lets OpenSSL use this self-signed certificate as its own trust
      // anchor from NODE_EXTRA_CA_CERTS; pathLen 0 keeps it from vouching for anything else.
      { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          ...DEV_TLS_HOSTS.dns.map((value) => ({ type: 2 as const, value })),
          ...DEV_TLS_HOSTS.ip.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  await writeFile(keyPath + suffix, pems.private, { mode: 0o600 });
  await writeFile(certPath + suffix, pems.cert, { mode: 0o644 });
  // Key first: a reader that sees the new certificate also finds its key.
  await rename(keyPath + suffix, keyPath);
  await rename(certPath + suffix, certPath);
  const x509 = new X509Certificate(pems.cert);
  return {
    cert: pems.cert,
    key: pems.private,
    certPath,
    keyPath,
    notAfter: new Date(x509.validTo),
    fingerprint256: x509.fingerprint256,
    generated: true,
  };
}

async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    // A lock left behind by a killed process must not block everyone forever.
    const age = await stat(lockPath).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > LOCK_STALE_MS) await rm(lockPath, { force: true });
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockPath}; delete it if no other process is generating the dev certificate.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
