/**
 * Runs a command as this process's stand-in: the child inherits stdio and
 * gets extra environment variables; SIGINT, SIGTERM and SIGHUP received here
 * are forwarded to it; its exit code (or the signal that ended it) becomes
 * this process's. The wrappers in scripts/ (with-dev-tls, with-test-peers)
 * end with it.
 */
import { spawn } from "node:child_process";

const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Runs `command` with `args` and `env` on top of this process's environment,
 * and exits with its outcome. `label` names the wrapper in messages.
 *
 * @example
 * runAsChild("with-dev-tls", "mocha", [], { NODE_EXTRA_CA_CERTS: certPath });
 */
export function runAsChild(label: string, command: string, args: readonly string[], env: Readonly<Record<string, string>>): void {
  const child = spawn(command, args, {
    stdio: "inherit",
    env: { ...process.env, ...env },
    // Windows resolves `npx`, `npm` and friends only through the shell (.cmd shims).
    shell: process.platform === "win32",
  });

  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    });
  }

  child.on("error", (error) => {
    console.error(`${label}: could not start ${command}: ${error.message}`);
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
