/**
 * Runs a throwaway server (Azurite, redis-server) as a child process on a
 * loopback port: started when its "ready" line appears, stopped on demand,
 * and killed if the test process exits first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface ChildServiceSpec {
  /** For messages: "Azurite", "redis-server". */
  readonly name: string;
  readonly command: string;
  /** Arguments for a given port. */
  readonly args: (port: number) => string[];
  /** Extra environment for the child. */
  readonly env?: NodeJS.ProcessEnv;
  /** A line on stdout or stderr meaning the server accepts connections. */
  readonly ready: RegExp;
  /** Longest wait for `ready`, ms (default 20000). */
  readonly startTimeoutMs?: number;
  /** Said when the command is missing. */
  readonly installHint?: string;
}

/** A started child service. */
export interface ChildService {
  readonly port: number;
  /** Stops the process (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`). */
  start(): Promise<void>;
  /** Everything it printed, for failure messages. */
  output(): string;
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts `spec` on a free port. A port taken between choosing and binding
 * (another test run) makes the child exit; then another port is tried.
 */
export async function startChildService(spec: ChildServiceSpec): Promise<ChildService> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freeLoopbackPort();
    const service = new RunningChild(spec, port);
    try {
      await service.start();
      return service;
    } catch (error) {
      lastError = error;
      if ((error as { code?: unknown }).code === "ENOENT") break;
    }
  }
  throw lastError;
}

class RunningChild implements ChildService {
  #child: ChildProcess | undefined;
  #output = "";
  readonly #killOnExit = (): void => {
    this.#child?.kill("SIGKILL");
  };

  constructor(
    readonly spec: ChildServiceSpec,
    readonly port: number,
  ) {}

  output(): string {
    return this.#output;
  }

  start(): Promise<void> {
    if (this.#child !== undefined) return Promise.reject(new Error(`${this.spec.name} is already running`));
    const child = spawn(this.spec.command, this.spec.args(this.port), {
      env: { ...process.env, ...this.spec.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.#child = child;
    process.once("exit", this.#killOnExit);
    return new Promise<void>((resolve, reject) => {
      let pending = "";
      const timer = setTimeout(() => fail(new Error(`${this.spec.name} did not start within ${this.spec.startTimeoutMs ?? 20000} ms:\n${this.#output}`)), this.spec.startTimeoutMs ?? 20000);
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString("utf8");
        // Bounded: a chatty child must not grow the test process without limit.
        this.#output = (this.#output + text).slice(-64 * 1024);
        pending = (pending + text).slice(-4096);
        if (this.spec.ready.test(pending)) {
          clearTimeout(timer);
          resolve();
        }
      };
      const fail = (error: Error): void => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(error);
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT" && this.spec.installHint !== undefined) error.message += ` (${this.spec.installHint})`;
        fail(error);
      });
      child.once("exit", (code, signal) => {
        process.removeListener("exit", this.#killOnExit);
        if (this.#child === child) this.#child = undefined;
        fail(new Error(`${this.spec.name} exited (code ${code}, signal ${signal}) before it was ready:\n${this.#output}`));
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill("SIGTERM");
    });
    process.removeListener("exit", this.#killOnExit);
  }
}
