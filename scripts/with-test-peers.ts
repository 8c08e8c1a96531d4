/**
 * `node dist/scripts/with-test-peers.js <command> [args...]`: what `npm test`
 * runs first. Finds redis-server and Chromium, which the suite starts as real
 * peers, installs them with Debian's apt-get when they are missing and this
 * runs as root, and runs the command with REDIS_SERVER and CHROMIUM_PATH set
 * to them (scripts/test-peers.ts). When they are missing and cannot be
 * installed here it prints one line saying what to install and exits 1,
 * before any test runs.
 */
import { runAsChild } from "./forward-to-child.js";
import { provisionTestPeers, TestPeersMissingError, thisMachine } from "./test-peers.js";

const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error("usage: node dist/scripts/with-test-peers.js <command> [args...]");
  process.exit(2);
}
try {
  runAsChild("with-test-peers", command, args, provisionTestPeers(thisMachine()));
} catch (error) {
  console.error(error instanceof TestPeersMissingError ? error.message : error);
  process.exit(1);
}
