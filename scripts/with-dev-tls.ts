/**
 * `node dist/scripts/with-dev-tls.js <command> [args...]`: makes sure the
 * development certificate exists, then runs the command with
 * `NODE_EXTRA_CA_CERTS` pointing at it, so Node processes in that command
 * trust the local HTTPS stand-ins.
 *
 * Node reads `NODE_EXTRA_CA_CERTS` only when a process starts, which is why
 * this wrapper exists instead of setting the variable from inside the tests.
 * The child inherits stdio; its exit code (or the signal that ended it) is
 * passed on, and SIGINT/SIGTERM/SIGHUP received here are forwarded to it.
 */
import { ensureDevTls } from "../dev/tls.js";
import { runAsChild } from "./forward-to-child.js";

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === undefined) {
    console.error("usage: node dist/scripts/with-dev-tls.js <command> [args...]");
    process.exit(2);
  }
  const tls = await ensureDevTls();
  runAsChild("with-dev-tls", command, args, { NODE_EXTRA_CA_CERTS: tls.certPath });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
