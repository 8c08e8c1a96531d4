/**
 * Memory after many distinct users: each mode of bench/servers/memory-probe
 * runs in a fresh process, fed the users' tokens in batches; the heap is read
 * after a full collection at fixed points, so the curve shows whether memory
 * levels off (bounded caches) or keeps climbing.
 */
import { fork } from "node:child_process";
import type { BenchEntra } from "./entra.js";
import { stopChild } from "./ipc.js";
import { serverEntry } from "./paths.js";
import { round } from "./stats.js";
import type { MemoryMode, MemoryParentMessage, MemoryProbeMessage, MemorySample } from "./servers/memory-probe.js";

export interface MemoryCurve {
  readonly mode: MemoryMode;
  /** Users that went through before the last reading (fewer than asked for when the time ran out). */
  readonly users: number;
  /** Users asked for. */
  readonly usersPlanned: number;
  /** Users that went through first, before the first reading. */
  readonly warmupUsers: number;
  readonly samples: readonly MemorySample[];
  /** Heap after the last user minus heap before the first, MiB. */
  readonly heapGrowthMiB: number;
  /** Heap growth over the second half of the users, MiB: about zero when memory is bounded. */
  readonly secondHalfGrowthMiB: number;
  /** Heap growth per 1,000 users over the second half, MiB. */
  readonly secondHalfMiBPer1000Users: number;
  /** Time per user over the first and the last interval between readings, ms. */
  readonly msPerUser: { readonly first: number; readonly last: number };
  /** Users tried again after a transient failure (a reset connection). */
  readonly retries: number;
  readonly durationMs: number;
}

export const MEMORY_MODES: readonly MemoryMode[] = ["kit", "msal-bounded", "msal-unbounded"];

/**
 * Runs one mode for `users` users, sampling every `every` users. `warmup`
 * other users go first, unmeasured (JIT, modules loaded on first use, signing
 * keys); they are numbered after the measured ones and need tokens too.
 */
export async function measureMemory(entra: BenchEntra, mode: MemoryMode, users: number, every: number, warmup: number, maxMs: number, log: (line: string) => void): Promise<MemoryCurve> {
  const started = performance.now();
  const child = fork(serverEntry("memory-probe"), [mode, String(users), String(every), String(warmup), String(maxMs)], {
    env: { ...process.env, ...entra.kitEnv },
    execArgv: ["--expose-gc"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  try {
    const { samples, retries } = await new Promise<{ samples: readonly MemorySample[]; retries: number }>((resolve, reject) => {
      child.on("message", (message: MemoryProbeMessage) => {
        if (message.type === "need") {
          entra.tokens(message.from, message.count).then(
            (tokens) => child.send({ type: "tokens", from: message.from, tokens } satisfies MemoryParentMessage),
            reject,
          );
        } else if (message.type === "sample") {
          const { sample } = message;
          if (sample.users > 0) log(`  ${mode}: ${sample.users} users, heap ${(sample.heapUsedBytes / 2 ** 20).toFixed(1)} MiB, ${(sample.elapsedMs / 1000).toFixed(0)} s`);
        } else if (message.type === "done") resolve({ samples: message.samples, retries: message.retries });
        else if (message.type === "failed") reject(new Error(`memory probe (${mode}) failed: ${message.message}`));
      });
      // A probe killed from outside (SIGTERM/SIGKILL, the OOM killer) or aborted by V8 (SIGABRT) has no exit code: name the signal.
      child.once("exit", (code, signal) => reject(new Error(`memory probe (${mode}) exited ${signal === null ? `with code ${code}` : `on ${signal}`} before reporting`)));
    });
    const first = samples[0]!;
    const last = samples[samples.length - 1]!;
    const reached = last.users;
    const half = samples.reduce((best, sample) => (Math.abs(sample.users - reached / 2) < Math.abs(best.users - reached / 2) ? sample : best), first);
    const perUser = (from: MemorySample, to: MemorySample): number => round((to.elapsedMs - from.elapsedMs) / Math.max(1, to.users - from.users), 2);
    return {
      mode,
      users: reached,
      usersPlanned: users,
      warmupUsers: warmup,
      samples,
      heapGrowthMiB: round((last.heapUsedBytes - first.heapUsedBytes) / 2 ** 20, 2),
      secondHalfGrowthMiB: round((last.heapUsedBytes - half.heapUsedBytes) / 2 ** 20, 2),
      secondHalfMiBPer1000Users: round(((last.heapUsedBytes - half.heapUsedBytes) / 2 ** 20 / Math.max(1, last.users - half.users)) * 1000, 2),
      msPerUser: { first: samples.length > 1 ? perUser(samples[0]!, samples[1]!) : 0, last: samples.length > 1 ? perUser(samples[samples.length - 2]!, last) : 0 },
      retries,
      durationMs: round(performance.now() - started, 0),
    };
  } finally {
    await stopChild(child);
  }
}
