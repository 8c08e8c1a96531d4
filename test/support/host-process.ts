/**
 * The kit as `npm start` runs it, in a process of its own: for tests and
 * benchmarks that need several instances, or the kit's own memory figures.
 *
 * With ENTRA_TENANT_ID in `env` the process starts no stand-in of its own; it
 * inherits this process's environment, NODE_EXTRA_CA_CERTS included, so run
 * the caller through scripts/with-dev-tls.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Environment } from "../../lib/config.js";
import { freePort } from "./kit.js";

const START_SCRIPT = fileURLToPath(new URL("../../scripts/start.js", import.meta.url));
/** What start.ts prints once it listens. */
const READY_LINE = "Press Ctrl+C";

/** A running host process. */
export interface HostProcess {
  readonly port: number;
  readonly pid: number;
  /** `http://localhost:<port>`. */
  readonly baseUrl: URL;
  readonly child: ChildProcess;
  /** Resolves with the epoch ms at which the process exited. */
  readonly exited: Promise<number>;
  /** The last 64 KiB it printed, for failure messages. */
  output(): string;
  /** Sends `signal` (default SIGTERM) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export interface HostProcessOptions {
  /** Settings on top of this process's environment; PORT is chosen here. */
  readonly env: Environment;
  /** Longest wait for the ready line, ms (default 20,000). */
  readonly startTimeoutMs?: number;
  /**
   * Keep what the process prints (default true). A benchmark turns it off so
   * that reading the per-request log lines costs it nothing.
   */
  readonly captureOutput?: boolean;
  /** Node options before the script, e.g. ["--trace-gc"] (some are refused in NODE_OPTIONS). */
  readonly nodeArgs?: readonly string[];
  /** Receives every complete line the process prints once it listens (its access log among them). */
  readonly onLine?: (line: string) => void;
}

/**
 * Starts `node dist/scripts/start.js` on a free port and waits until it listens.
 *
 * @example
 * const host = await startHostProcess({ env: { ...proxyEnv(standIn), PUBLIC_BASE_URL: proxy.url.origin } });
 * await host.stop("SIGKILL");
 */
export async function startHostProcess(options: HostProcessOptions): Promise<HostProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), START_SCRIPT], {
    env: { ...process.env, LOG_LEVEL: "warn", ...options.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = (): void => void child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<number>((resolve) => {
    child.once("exit", () => {
      process.removeListener("exit", killOnExit);
      resolve(Date.now());
    });
  });
  let output = "";
  let ready = false;
  const capture = options.captureOutput !== false;
  const onLine = options.onLine;
  // Always read: a host blocks on a full stdout pipe, and it logs a line per request.
  const reader = (): ((chunk: Buffer) => void) => {
    let partial = "";
    return (chunk) => {
      const text = chunk.toString("utf8");
      if (ready && onLine !== undefined) {
        const lines = (partial + text).split("\n");
        partial = lines.pop()!;
        for (const line of lines) onLine(line);
      }
      if (ready && !capture) return;
      output = (output + text).slice(-64 * 1024);
    };
  };
  child.stdout!.on("data", reader());
  child.stderr!.on("data", reader());

  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  while (!output.includes(READY_LINE)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the host process exited before it listened:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the host process did not listen within ${options.startTimeoutMs ?? 20_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  ready = true;
  if (!capture) output = "";

  return {
    port,
    pid: child.pid!,
    baseUrl: new URL(`http://localhost:${port}`),
    child,
    exited,
    output: () => output,
    stop: (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
