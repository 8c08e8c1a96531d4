/**
 * `node dist/scripts/dev-tls.js [--print-path]`: creates or renews the local
 * development certificate and says where it is and until when it is valid.
 * With `--print-path`, prints only the certificate path (for shells:
 * `NODE_EXTRA_CA_CERTS=$(node dist/scripts/dev-tls.js --print-path) ...`).
 */
import { ensureDevTls } from "../dev/tls.js";

async function main(): Promise<void> {
  const tls = await ensureDevTls();
  if (process.argv.includes("--print-path")) {
    console.log(tls.certPath);
    return;
  }
  console.log(
    [
      `Development certificate ${tls.generated ? "created" : "reused"}: ${tls.certPath}`,
      `  valid until  ${tls.notAfter.toISOString()}`,
      `  SHA-256      ${tls.fingerprint256}`,
      `  trust it     NODE_EXTRA_CA_CERTS=${tls.certPath} (or run through dist/scripts/with-dev-tls.js)`,
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
