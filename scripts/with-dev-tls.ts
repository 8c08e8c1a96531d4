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
import { spawn } from "node:child_process";
import { ensureDevTls } from "../dev/tls.js";

const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === undefined) {
    console.error("usage: node dist/scripts/with-dev-tls.js <command> [args...]");
    process.exit(2);
  }
  const tls = await ensureDevTls();
  const child = spawn(command, args, {
    stdio: "inherit",
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls.certPath },
    // Windows resolves `npx`, `npm` and friends only through the shell (.cmd shims).
    shell: process.platform === "win32",
  });

  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }

  child.on("error", (error) => {
    console.error(`with-dev-tls: could not start ${command}: ${error.message}`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    if (signal !== null) {
      // Re-raise so our own parent sees the same cause of death; fall back to 128+n.
      for (const forwarded of FORWARDED_SIGNALS) process.removeAllListeners(forwarded);
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128 + signalNumber(signal)), 100).unref();
      return;
    }
    process.exit(code ?? 1);
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGHUP: 1, SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }[signal as string] ?? 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
