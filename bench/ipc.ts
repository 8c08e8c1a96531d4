/**
 * The channel between the benchmark and the server processes it starts: each
 * server runs as a child with an IPC channel, says where it listens, and
 * answers requests for its own CPU time and memory. Nothing of this is
 * reachable over HTTP, so the servers serve exactly what they would without
 * the benchmark.
 */
import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";

/** What a server process measured about itself. */
export interface ProcessStats {
  /** CPU time used since the process started, microseconds (user + system). */
  readonly cpuMicros: number;
  readonly rssBytes: number;
  /** Largest resident set size the process ever had. */
  readonly maxRssBytes: number;
  readonly heapUsedBytes: number;
}

/** Child → parent. */
export type ChildMessage =
  | { readonly type: "ready"; readonly url: string }
  | { readonly type: "stats"; readonly id: number; readonly stats: ProcessStats }
  | { readonly type: "failed"; readonly message: string };

/** Parent → child. */
export type ParentMessage = { readonly type: "stats"; readonly id: number };

/** The calling process's own figures. */
export function ownStats(): ProcessStats {
  const cpu = process.cpuUsage();
  const usage = process.resourceUsage();
  const memory = process.memoryUsage();
  return { cpuMicros: cpu.user + cpu.system, rssBytes: memory.rss, maxRssBytes: usage.maxRSS * 1024, heapUsedBytes: memory.heapUsed };
}

/**
 * For a server process: reports `url` as ready, answers stats requests, and
 * exits when the benchmark goes away (a server must never outlive it).
 */
export function serveBenchChannel(url: string): void {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error("Start this server from the benchmark (it needs an IPC channel).");
  process.on("message", (message: ParentMessage) => {
    if (message.type === "stats") send({ type: "stats", id: message.id, stats: ownStats() } satisfies ChildMessage);
  });
  process.on("disconnect", () => process.exit(0));
  send({ type: "ready", url } satisfies ChildMessage);
}

/** For a server process: tells the benchmark it could not start, then exits. */
export function reportStartFailure(error: unknown): never {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.send?.({ type: "failed", message } satisfies ChildMessage);
  console.error(message);
  process.exit(1);
}

export interface StartedServer {
  readonly name: string;
  readonly url: URL;
  readonly child: ChildProcess;
  /** When `fork` was called, on this process's `performance.now()` clock. */
  readonly spawnedAt: number;
  /** When the child said it was ready. */
  readonly readyAt: number;
  stats(): Promise<ProcessStats>;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  /** For messages and results. */
  readonly name: string;
  /** The compiled entry (absolute path). */
  readonly entry: string;
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly execArgv?: readonly string[];
  /** Longest wait for "ready" (default 30 s). */
  readonly timeoutMs?: number;
}

/** Starts a server process and waits until it listens. */
export function startServer(options: StartServerOptions): Promise<StartedServer> {
  const spawnedAt = performance.now();
  const child = fork(options.entry, [...(options.args ?? [])], {
    env: { ...process.env, ...options.env },
    execArgv: [...(options.execArgv ?? [])],
    // The servers log nothing per request; what they do print (warnings, failures) should be seen.
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 0;
  const waiting = new Map<number, (stats: ProcessStats) => void>();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${options.name} did not start within ${options.timeoutMs ?? 30_000} ms`));
    }, options.timeoutMs ?? 30_000);
    const exited = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited before it was ready (code ${code}, signal ${signal})`));
    };
    child.once("exit", exited);
    child.on("message", (message: ChildMessage) => {
      if (message.type === "stats") {
        waiting.get(message.id)?.(message.stats);
        waiting.delete(message.id);
      } else if (message.type === "failed") {
        clearTimeout(timer);
        reject(new Error(`${options.name} failed to start: ${message.message}`));
      } else if (message.type === "ready") {
        clearTimeout(timer);
        child.off("exit", exited);
        const readyAt = performance.now();
        resolve({
          name: options.name,
          url: new URL(message.url),
          child,
          spawnedAt,
          readyAt,
          stats: () =>
            new Promise((resolveStats, rejectStats) => {
              if (!child.connected) {
                rejectStats(new Error(`${options.name} is gone`));
                return;
              }
              const id = nextId++;
              waiting.set(id, resolveStats);
              child.send({ type: "stats", id } satisfies ParentMessage);
            }),
          stop: () => stopChild(child),
        });
      }
    });
  });
}

/** Ends a child: disconnecting makes a bench server exit; SIGKILL after a second if it does not. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 1000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill("SIGTERM");
  });
}
