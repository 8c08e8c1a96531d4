/**
 * A real browser for the tests that need one: Debian's `chromium`, driven by
 * playwright-core, trusting exactly one certificate it would otherwise
 * refuse, the development certificate the local HTTPS stand-ins serve.
 */
import { createHash, X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { ensureDevTls } from "../../dev/tls.js";

/** Where Debian and Ubuntu put chromium; CHROMIUM_PATH overrides it (another distribution, a Chrome build). */
export const CHROMIUM_PATH = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/**
 * Switches that keep a test browser quiet and deterministic: no GPU, no
 * QUIC, no first-run or sync UI, no background calls to Google's services.
 */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * The base64 SHA-256 of a certificate's SubjectPublicKeyInfo: the form
 * Chromium's `--ignore-certificate-errors-spki-list` takes.
 */
export function spkiHash(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

/**
 * Launches chromium headless with a fresh profile (playwright creates a
 * temporary user-data directory per launch and removes it on close).
 *
 * The development certificate is trusted by its public key alone
 * (`--ignore-certificate-errors-spki-list`), not by turning certificate
 * checks off for the whole browser: any other bad certificate still fails.
 *
 * @example
 * const browser = await launchChromium();
 * const page = await (await browser.newContext()).newPage();
 * await page.goto(standIn.origin);
 * await browser.close();
 * @throws Error naming how to install chromium when it is not at CHROMIUM_PATH.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      [
        `No chromium at ${CHROMIUM_PATH}. The browser tests drive Debian's chromium with playwright-core.`,
        "`npm test` finds or installs it (scripts/with-test-peers); for a single test file, install it with",
        "`sudo apt-get install chromium` (Debian, Ubuntu) or set CHROMIUM_PATH to a Chromium or Google Chrome binary.",
      ].join("\n"),
    );
  }
  const tls = await ensureDevTls();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spkiHash(tls.cert)}`],
    timeout: 30_000,
  });
}
