/**
 * `node --expose-gc memory-probe.js <mode> <users> <sampleEvery> <warmup> <maxMs>`:
 * On-Behalf-Of for `users` distinct users in this process, reporting the heap
 * (after a full garbage collection) every `sampleEvery` users. `warmup` other
 * users go first, unmeasured, so that the first reading already includes
 * everything loaded and compiled on first use. The run stops early, after a
 * last reading, once it has taken `maxMs` (MSAL's unbounded cache makes every
 * call slower than the one before). Run by bench/memory.ts,
 * which supplies the users' tokens over the IPC channel, a batch at a time, so
 * that this process never holds more than one batch of them.
 *
 * Modes:
 * - `kit`: each token through the kit's gate (validation, remembered tokens)
 *   and its On-Behalf-Of path (exchange + bounded OBO cache), as `obo()` does;
 * - `msal-bounded`: MSAL's `acquireTokenOnBehalfOf` on the kit's shared
 *   client (`createMsalClient`, with the cache-bounding plugin);
 * - `msal-unbounded`: the same client with the bound disabled (maxEntries =
 *   Infinity), i.e. MSAL's own in-memory cache as it behaves by itself.
 */
import { createAuth } from "../../lib/auth/index.js";
import { validatedTokenOf } from "../../lib/auth/gate.js";
import { loadConfig } from "../../lib/config.js";
import { ClientSecretCredential } from "../../lib/entra/app-credential.js";
import { consoleSink, createLogger } from "../../lib/log.js";
import { createMsalClient, MSAL_CACHE_MAX_ENTRIES } from "../../lib/obo/msal.js";
import { createSecretSource } from "../../lib/secrets/index.js";
import { BENCH_DOWNSTREAM_SCOPE } from "../protocol.js";

/** One heap reading. */
export interface MemorySample {
  readonly users: number;
  readonly heapUsedBytes: number;
  readonly rssBytes: number;
  /** Since the first reading. */
  readonly elapsedMs: number;
  /** MSAL modes: accounts in MSAL's cache at that moment. */
  readonly msalAccounts?: number;
}

/** Child → parent. */
export type MemoryProbeMessage =
  | { readonly type: "need"; readonly from: number; readonly count: number }
  | { readonly type: "sample"; readonly sample: MemorySample }
  | { readonly type: "done"; readonly samples: readonly MemorySample[]; readonly retries: number }
  | { readonly type: "failed"; readonly message: string };

/** Parent → child. */
export type MemoryParentMessage = { readonly type: "tokens"; readonly from: number; readonly tokens: readonly string[] };

export type MemoryMode = "kit" | "msal-bounded" | "msal-unbounded";

const BATCH = 100;
const PARALLEL = 10;

const send = (message: MemoryProbeMessage): void => void process.send?.(message);

async function main(): Promise<void> {
  const [mode, usersArg, everyArg, warmupArg, maxMsArg] = process.argv.slice(2) as [MemoryMode, string, string, string, string];
  const users = Number(usersArg);
  const every = Number(everyArg);
  const warmup = Number(warmupArg);
  const maxMs = Number(maxMsArg);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  if (!["kit", "msal-bounded", "msal-unbounded"].includes(mode)) throw new Error(`unknown mode ${mode}`);

  const config = loadConfig({ ...process.env, LOG_LEVEL: "warn" });
  const log = createLogger("warn", consoleSink);
  const secrets = createSecretSource({ settings: config.secrets, env: process.env, log });
  let handle: (token: string) => Promise<void>;
  let accounts: (() => Promise<number>) | undefined;
  if (mode === "kit") {
    const auth = createAuth(config, log, secrets);
    const context = { log, invocationId: "memory-probe" };
    handle = async (bearer) => {
      const outcome = await auth.gate!(new Request("http://127.0.0.1/mcp", { method: "POST", headers: { authorization: `Bearer ${bearer}` } }), context);
      const token = validatedTokenOf(outcome instanceof Response ? undefined : outcome);
      if (token === undefined) throw new Error(`the gate refused a token: ${outcome instanceof Response ? await outcome.text() : "?"}`);
      // A signal per user, as obo() passes each tool call's own: one long-lived signal shared by every
      // exchange would collect a WeakRef per exchange in its dependant set (AbortSignal.any in the token
      // client; nodejs/node#55351, #64476), ~60 bytes per user that production never keeps.
      await auth.services!.onBehalfOf.exchange(token, [BENCH_DOWNSTREAM_SCOPE], new AbortController().signal);
    };
  } else {
    const credential = new ClientSecretCredential(() => secrets.get("entra-client-secret"));
    const client = await createMsalClient(config.entra!, credential, log, mode === "msal-bounded" ? MSAL_CACHE_MAX_ENTRIES : Number.POSITIVE_INFINITY);
    handle = async (bearer) => {
      const result = await client.acquireTokenOnBehalfOf({ oboAssertion: bearer, scopes: [BENCH_DOWNSTREAM_SCOPE] });
      if (result === null || result.accessToken === "") throw new Error("MSAL returned no token");
    };
    // getAllAccounts() is quadratic in the accounts cached (it lists every token per account): about two
    // minutes at 4,000 accounts, inside the timed interval. The storage's account keys are a cheap count.
    const cache = client.getTokenCache();
    const storage = (cache as unknown as { storage?: { getAccountKeys?: () => string[] } }).storage;
    accounts = async () => storage?.getAccountKeys?.().length ?? (await cache.getAllAccounts()).length;
  }

  const pending = new Map<number, (tokens: readonly string[]) => void>();
  process.on("message", (message: MemoryParentMessage) => {
    if (message.type !== "tokens") return;
    // Dropped once delivered: a kept resolver would keep its promise, and so the batch of tokens, alive.
    const resolve = pending.get(message.from);
    pending.delete(message.from);
    resolve?.(message.tokens);
  });
  const tokens = (from: number, count: number): Promise<readonly string[]> =>
    new Promise((resolve) => {
      pending.set(from, resolve);
      send({ type: "need", from, count });
    });

  const samples: MemorySample[] = [];
  let firstReadingAt: number | undefined;
  const sample = async (done: number): Promise<void> => {
    gc();
    gc();
    const memory = process.memoryUsage();
    firstReadingAt ??= performance.now();
    const reading: MemorySample = {
      users: done,
      heapUsedBytes: memory.heapUsed,
      rssBytes: memory.rss,
      elapsedMs: Math.round(performance.now() - firstReadingAt),
      ...(accounts === undefined ? {} : { msalAccounts: await accounts() }),
    };
    samples.push(reading);
    send({ type: "sample", sample: reading });
  };

  // A connection reset now and then (an idle keep-alive connection closed by the stand-in just as it
  // is reused) is not what is measured here: such a user is tried again, and the retries are counted.
  let retries = 0;
  const handleWithRetry = async (token: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await handle(token);
        return;
      } catch (error) {
        if (attempt === 3) throw error;
        retries += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const run = async (batch: readonly string[]): Promise<void> => {
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < batch.length) await handleWithRetry(batch[next++]!);
      }),
    );
  };
  // The warm-up users are numbered after the measured ones: distinct from them.
  if (warmup > 0) await run(await tokens(users, warmup));
  await sample(0);
  for (let from = 0; from < users; from += BATCH) {
    const batch = await tokens(from, Math.min(BATCH, users - from));
    await run(batch);
    const done = from + batch.length;
    const outOfTime = performance.now() - firstReadingAt! > maxMs;
    if (done % every === 0 || done === users || outOfTime) await sample(done);
    if (outOfTime) break;
  }
  send({ type: "done", samples, retries });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    setTimeout(() => process.exit(1), 100);
  },
);
