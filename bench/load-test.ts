/**
 * `npm run load`: a soak test of one kit process as `npm start` runs it, in
 * proxy mode against the Entra stand-in and the fake Graph (both in this
 * process, which also plays the users).
 *
 *   npm run load                                   50 users, 300 s, results in bench/results/
 *     (five minutes rather than one: the bounded caches and V8's heap take a
 *     couple of minutes to reach their size, and "flat" is judged after that)
 *   npm run load -- --users 5 --seconds 10         a quick try
 *   options: --think-ms 100 (±50 %)  --out DIR  --mix echo=30,whoami=25,graph_me=25,refresh=12,sign_in=8
 *            --kit-log FILE (everything the kit prints)  --kit-node-args "..."
 *            --heap-snapshot DIR (after the run, with traffic stopped)
 *
 * Every simulated user is a distinct directory user. Each signs in through
 * the facade first (dynamic registration, the consent page in a scripted
 * browser, the stand-in's sign-in, the callback, code redemption), then, until
 * the time is up, picks an action, performs it, checks the answer and thinks
 * for a while:
 *
 *   echo      30 %   tools/call echo with a message unique to the user and turn
 *   whoami    25 %   tools/call whoami: must name this user
 *   graph_me  25 %   tools/call graph_me (On-Behalf-Of): must be this user's profile
 *   refresh   12 %   refresh_token grant: the new access token must be this user's
 *   sign_in    8 %   the whole sign-in again (half of them with a new registration)
 *
 * A failed request is anything but the expected status and a well-formed
 * answer; a leak is a well-formed answer about another user. The kit's own
 * access log is tallied too, so a 5xx counts even if the driver missed it.
 *
 * Memory: the kit's resident set size is sampled every second from /proc;
 * "flat" means the mean of the last third of the samples is within 10 % of
 * the mean of the second third (the first third is warm-up), and the slope
 * over the last two thirds is reported beside it. RSS mixes what the kit
 * keeps with what V8 has reserved, so the kit runs with --trace-gc and the
 * heap left after each full GC is reported as well: a leak shows there.
 *
 * Results go to <out>/load-<date>.json and a Markdown summary next to it.
 * The exit code is 1 when a request failed, a user saw another user's data,
 * the kit answered 5xx or died, or RSS was not flat.
 */
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { DEV_TENANT_ID, DEV_TENANTS, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET, defaultEntraStandInOptions } from "../dev/defaults.js";
import { startEntraStandIn } from "../dev/entra/index.js";
import type { DevUserConfig } from "../dev/entra/types.js";
import { startFakeGraph } from "../dev/graph/index.js";
import { generateKeyringJson } from "../lib/oauth/sealing.js";
import { facadeBrowser } from "../test/support/facade.js";
import { startHostProcess } from "../test/support/host-process.js";
import { CookieJar, type BrowserSignIn } from "../test/support/oauth.js";

type Kind = "echo" | "whoami" | "graph_me" | "refresh" | "sign_in";
const KINDS: readonly Kind[] = ["echo", "whoami", "graph_me", "refresh", "sign_in"];
const DEFAULT_MIX: ReadonlyArray<readonly [Kind, number]> = [
  ["echo", 0.3],
  ["whoami", 0.25],
  ["graph_me", 0.25],
  ["refresh", 0.12],
  ["sign_in", 0.08],
];
const CLIENT_REDIRECT = "http://127.0.0.1:45678/callback";
const MODERN_META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "load-test", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

interface Options {
  readonly users: number;
  readonly seconds: number;
  readonly thinkMs: number;
  readonly out: string;
  /** Where to append everything the kit prints (its access log, GC traces under NODE_OPTIONS=--trace-gc), for diagnosis. */
  readonly kitLog?: string;
  /** Share of each kind of action (--mix echo=30,whoami=25,...; normalised). */
  readonly mix: ReadonlyArray<readonly [Kind, number]>;
  /**
   * After the run, with traffic stopped, the kit writes a heap snapshot here
   * (--heap-snapshot DIR), to see what it retains.
   */
  readonly heapSnapshotDir?: string;
  /** Node options for the kit process, e.g. "--trace-gc" with --kit-log. */
  readonly kitNodeArgs: readonly string[];
}

function parseOptions(args: readonly string[]): Options {
  const value = (name: string, fallback: number): number => {
    const index = args.indexOf(name);
    if (index === -1) return fallback;
    const parsed = Number(args[index + 1]);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`${name} needs a number, got ${JSON.stringify(args[index + 1])}`);
    return parsed;
  };
  const outIndex = args.indexOf("--out");
  const kitLogIndex = args.indexOf("--kit-log");
  const nodeArgsIndex = args.indexOf("--kit-node-args");
  const mixIndex = args.indexOf("--mix");
  const snapshotIndex = args.indexOf("--heap-snapshot");
  const heapSnapshotDir = snapshotIndex === -1 ? undefined : args[snapshotIndex + 1]!;
  const nodeArgs = nodeArgsIndex === -1 ? [] : args[nodeArgsIndex + 1]!.split(" ").filter((arg) => arg !== "");
  return {
    ...(heapSnapshotDir === undefined ? {} : { heapSnapshotDir }),
    mix: mixIndex === -1 ? DEFAULT_MIX : parseMix(args[mixIndex + 1] ?? ""),
    kitNodeArgs: heapSnapshotDir === undefined ? nodeArgs : [...nodeArgs, "--heapsnapshot-signal=SIGUSR2", `--diagnostic-dir=${heapSnapshotDir}`],
    ...(kitLogIndex === -1 ? {} : { kitLog: args[kitLogIndex + 1]! }),
    users: Math.max(1, Math.floor(value("--users", 50))),
    seconds: Math.max(3, value("--seconds", 300)),
    thinkMs: value("--think-ms", 100),
    out: outIndex === -1 ? fileURLToPath(new URL("../../bench/results/", import.meta.url)) : args[outIndex + 1]!,
  };
}

function parseMix(text: string): Array<readonly [Kind, number]> {
  const entries = text.split(",").map((part) => {
    const [kind, weight] = part.split("=");
    if (!KINDS.includes(kind as Kind) || !(Number(weight) >= 0)) throw new Error(`--mix takes kind=weight pairs of ${KINDS.join(", ")}; got ${JSON.stringify(part)}`);
    return [kind as Kind, Number(weight)] as const;
  });
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  if (total <= 0) throw new Error("--mix needs a positive weight");
  return entries.map(([kind, weight]) => [kind, weight / total] as const);
}

/** A directory user of its own for every simulated user, so any mix-up shows. */
function loadUser(index: number): DevUserConfig {
  const number = index + 1;
  return {
    alias: `load${number}`,
    displayName: `Load User ${number}`,
    upn: `load${number}@contoso.example`,
    oid: `10ad0000-0000-4000-8000-${String(number).padStart(12, "0")}`,
  };
}

/** What one simulated user holds. */
interface SimUser {
  readonly dev: DevUserConfig;
  readonly jar: CookieJar;
  readonly browser: BrowserSignIn;
  clientId?: string;
  accessToken?: string;
  refreshToken?: string;
  turn: number;
}

/** Outcomes and latencies, per kind of action. */
class Tally {
  readonly latencies = new Map<Kind, number[]>(KINDS.map((kind) => [kind, []]));
  readonly failures = new Map<Kind, number>(KINDS.map((kind) => [kind, 0]));
  readonly leaks = new Map<Kind, number>(KINDS.map((kind) => [kind, 0]));
  /** The first few problems, word for word (never a token). */
  readonly samples: string[] = [];
  /** HTTP requests sent to the kit, and to the stand-in by the scripted browser. */
  kitRequests = 0;
  entraRequests = 0;

  ok(kind: Kind, ms: number): void {
    this.latencies.get(kind)!.push(ms);
  }
  fail(kind: Kind, problem: string): void {
    this.failures.set(kind, this.failures.get(kind)! + 1);
    if (this.samples.length < 20) this.samples.push(`${kind}: ${problem}`);
  }
  leak(kind: Kind, problem: string): void {
    this.leaks.set(kind, this.leaks.get(kind)! + 1);
    if (this.samples.length < 20) this.samples.push(`LEAK ${kind}: ${problem}`);
  }
}

/** A sign-in, refresh or call went wrong in a way that is the kit's fault (or the test's): a failure. */
class Failure extends Error {}
/** An answer was well-formed but about another user. */
class Leak extends Error {}

function claimsOf(jwt: string): Record<string, unknown> {
  const payload = jwt.split(".")[1];
  if (payload === undefined) throw new Failure("the access token is not a JWT");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;
const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** CPU time the whole machine spent busy so far, ms (from /proc/stat: everything but idle and iowait). */
async function machineBusyMs(): Promise<number | undefined> {
  try {
    const fields = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    return ((total - fields[3]! - (fields[4] ?? 0)) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Asks the kit for a heap snapshot (SIGUSR2) and waits until the file is complete. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const before = new Set(await readdir(dir));
  process.kill(pid, "SIGUSR2");
  for (let waited = 0; waited < 120_000; waited += 500) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const written = (await readdir(dir)).filter((name) => !before.has(name) && name.endsWith(".heapsnapshot"));
    // V8 writes the file in one go and closes it; a stable size means it is done.
    if (written.length > 0) {
      const path = `${dir}/${written[0]!}`;
      const size = (await stat(path)).size;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if ((await stat(path)).size === size && size > 0) {
        console.log(`Heap snapshot of the kit: ${path}`);
        return;
      }
    }
  }
  console.log("The kit wrote no heap snapshot within two minutes.");
}

/** Resident set size and CPU time (user + system, ms) of a process, from /proc. */
async function processFigures(pid: number): Promise<{ rssKb: number; cpuMs: number } | undefined> {
  try {
    const [status, stat] = await Promise.all([readFile(`/proc/${pid}/status`, "utf8"), readFile(`/proc/${pid}/stat`, "utf8")]);
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return rss === null ? undefined : { rssKb: Number(rss[1]), cpuMs: (ticks * 1000) / 100 };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (process.env.NODE_EXTRA_CA_CERTS === undefined) throw new Error("Run through node dist/scripts/with-dev-tls.js (npm run load does) so this process trusts the stand-ins.");

  const users = Array.from({ length: options.users }, (_, index) => loadUser(index));
  const standIn = await startEntraStandIn(
    defaultEntraStandInOptions({ tenants: DEV_TENANTS.map((tenant) => (tenant.id === DEV_TENANT_ID ? { ...tenant, users: [...tenant.users, ...users] } : tenant)) }),
  );
  const graph = await startFakeGraph({ entra: standIn });

  const kitNodeArgs = options.kitNodeArgs.includes("--trace-gc") ? options.kitNodeArgs : ["--trace-gc", ...options.kitNodeArgs];
  const kitLog = options.kitLog === undefined ? undefined : createWriteStream(options.kitLog, { flags: "a" });
  const serverSide = { requests: 0, byStatus: {} as Record<string, number>, warnings: 0, errors: 0, samples: [] as string[] };
  // The heap after each full GC (--trace-gc): what the kit really keeps, as opposed to what V8 has reserved.
  const fullGcs: Array<{ t: number; liveMb: number; committedMb: number }> = [];
  let runStartedAt: number | undefined;
  const kit = await startHostProcess({
    env: {
      AUTH_MODE: "proxy",
      ENTRA_TENANT_ID: DEV_TENANT_ID,
      ENTRA_CLIENT_ID: KIT_CLIENT_ID,
      ENTRA_AUTHORITY_HOST: standIn.origin,
      ENTRA_CLIENT_SECRET: KIT_DEV_CLIENT_SECRET,
      GRAPH_BASE_URL: graph.graphBaseUrl,
      ORDERS_API_URL: graph.ordersUrl,
      SEALING_KEYRING: generateKeyringJson("load"),
      LOG_LEVEL: "info",
    },
    // Kept (the last 64 KiB) to say why, should the kit die during the run.
    captureOutput: true,
    nodeArgs: kitNodeArgs,
    // The kit's own access log: what the server answered, independently of what the driver concluded.
    onLine: (line) => {
      kitLog?.write(`${line}\n`);
      const gc = / ms: Mark-Compact(?: \([a-z ]+\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB/.exec(line);
      if (gc !== null) {
        if (runStartedAt !== undefined) fullGcs.push({ t: round((performance.now() - runStartedAt) / 1000, 1), liveMb: Number(gc[1]), committedMb: Number(gc[2]) });
        return;
      }
      if (line.startsWith("[") && line.includes(" ms: ")) return;
      const access = /^[A-Z]+ \S+ (\d{3}) [\d.]+ms$/.exec(line);
      if (access !== null) {
        serverSide.requests++;
        const status = access[1]!;
        serverSide.byStatus[status] = (serverSide.byStatus[status] ?? 0) + 1;
        if (status.startsWith("5") && serverSide.samples.length < 10) serverSide.samples.push(line);
        return;
      }
      if (line.startsWith("WARN")) serverSide.warnings++;
      else if (line.startsWith("ERROR")) serverSide.errors++;
      else return;
      if (serverSide.samples.length < 10) serverSide.samples.push(line.slice(0, 300));
    },
  });
  const base = kit.baseUrl;
  const mcpUrl = new URL("/mcp", base);
  const tally = new Tally();

  // Count every request the driver makes, by destination, without touching the code that makes them.
  const realFetch = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.startsWith(base.origin)) tally.kitRequests++;
    else if (url.startsWith(standIn.origin)) tally.entraRequests++;
    return realFetch(input, init);
  };

  const expectStatus = async (response: Response, status: number, what: string): Promise<string> => {
    const body = await response.text();
    if (response.status !== status) throw new Failure(`${what} answered ${response.status}: ${body.slice(0, 200)}`);
    return body;
  };

  const checkTokens = (user: SimUser, body: string, what: string): void => {
    const tokens = JSON.parse(body) as Record<string, unknown>;
    if (typeof tokens["access_token"] !== "string" || typeof tokens["refresh_token"] !== "string") throw new Failure(`${what} gave no access and refresh token`);
    if (tokens["scope"] !== "mcp.access") throw new Failure(`${what} reported scope ${JSON.stringify(tokens["scope"])}`);
    const oid = claimsOf(tokens["access_token"])["oid"];
    if (oid !== user.dev.oid) throw new Leak(`${what} for ${user.dev.alias} returned a token for ${String(oid)}`);
    user.accessToken = tokens["access_token"];
    user.refreshToken = tokens["refresh_token"];
  };

  const signIn = async (user: SimUser, newRegistration: boolean): Promise<void> => {
    if (newRegistration || user.clientId === undefined) {
      const response = await fetch(new URL("/register", base), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_name: `Load client of ${user.dev.alias}`, redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] }),
      });
      user.clientId = (JSON.parse(await expectStatus(response, 201, "/register")) as { client_id: string }).client_id;
    }
    const verifier = randomBytes(32).toString("base64url");
    const state = randomBytes(12).toString("base64url");
    const authorize = new URL("/authorize", base);
    for (const [name, value] of Object.entries({
      response_type: "code",
      client_id: user.clientId,
      redirect_uri: CLIENT_REDIRECT,
      code_challenge: createHash("sha256").update(verifier).digest("base64url"),
      code_challenge_method: "S256",
      state,
      scope: "mcp.access",
      resource: mcpUrl.href,
    })) {
      authorize.searchParams.set(name, value);
    }
    let redirect: URL;
    try {
      redirect = await user.browser(authorize);
    } catch (error) {
      throw new Failure(`the browser part failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    const code = redirect.searchParams.get("code");
    if (redirect.searchParams.get("state") !== state || code === null) throw new Failure(`the sign-in came back without code or with another state: ${redirect.searchParams.get("error") ?? ""}`);
    const response = await fetch(new URL("/token", base), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: CLIENT_REDIRECT, client_id: user.clientId, resource: mcpUrl.href }),
    });
    checkTokens(user, await expectStatus(response, 200, "code redemption"), "code redemption");
  };

  const refresh = async (user: SimUser): Promise<void> => {
    const response = await fetch(new URL("/token", base), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: user.refreshToken!, client_id: user.clientId!, resource: mcpUrl.href }),
    });
    checkTokens(user, await expectStatus(response, 200, "refresh"), "refresh");
  };

  const callTool = async (user: SimUser, name: "echo" | "whoami" | "graph_me"): Promise<void> => {
    const message = `${user.dev.alias}#${user.turn}`;
    const response = await fetch(mcpUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${user.accessToken!}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": name,
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: user.turn, method: "tools/call", params: { name, arguments: name === "echo" ? { message } : {}, _meta: MODERN_META } }),
    });
    const body = await expectStatus(response, 200, name);
    const answer = JSON.parse(body) as { id?: unknown; result?: { isError?: boolean; content?: Array<{ text?: string }>; structuredContent?: Record<string, unknown> } };
    const result = answer.result;
    if (result === undefined || result.isError === true) throw new Failure(`${name} failed: ${body.slice(0, 200)}`);
    if (answer.id !== user.turn) throw new Leak(`${name} for ${user.dev.alias} answered request id ${String(answer.id)}, expected ${user.turn}`);
    const content = result.structuredContent ?? {};
    if (name === "echo") {
      const text = result.content?.[0]?.text;
      if (text !== message) throw new Leak(`echo for ${user.dev.alias} answered ${JSON.stringify(text)}, expected ${JSON.stringify(message)}`);
    } else if (name === "whoami") {
      if (content["oid"] !== user.dev.oid || content["upn"] !== user.dev.upn) throw new Leak(`whoami for ${user.dev.alias} named ${String(content["oid"])} ${String(content["upn"])}`);
    } else if (content["id"] !== user.dev.oid || content["userPrincipalName"] !== user.dev.upn) {
      throw new Leak(`graph_me for ${user.dev.alias} returned the profile of ${String(content["id"])} ${String(content["userPrincipalName"])}`);
    }
  };

  const perform = async (user: SimUser, kind: Kind): Promise<void> => {
    const started = performance.now();
    try {
      if (kind === "sign_in") await signIn(user, Math.random() < 0.5);
      else if (kind === "refresh") await refresh(user);
      else await callTool(user, kind);
      tally.ok(kind, performance.now() - started);
    } catch (error) {
      if (error instanceof Leak) tally.leak(kind, error.message);
      else tally.fail(kind, error instanceof Error ? error.message : String(error));
    }
  };

  const pickKind = (): Kind => {
    let roll = Math.random();
    for (const [kind, weight] of options.mix) {
      if ((roll -= weight) < 0) return kind;
    }
    return options.mix[options.mix.length - 1]![0];
  };
  const think = (): Promise<void> => (options.thinkMs === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, options.thinkMs * (0.5 + Math.random()))));

  // Samples: the kit's memory and CPU, the machine's load, this driver's event loop.
  const samples: Array<{ t: number; rssKb: number; cpuMs: number; load1: number }> = [];
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const startedAt = performance.now();
  runStartedAt = startedAt;
  const driverCpuAtStart = process.cpuUsage();
  const machineBusyAtStart = await machineBusyMs();
  const sample = async (): Promise<void> => {
    const figures = await processFigures(kit.pid);
    if (figures !== undefined) samples.push({ t: round((performance.now() - startedAt) / 1000, 2), ...figures, load1: round(loadavg()[0]!, 2) });
    // The fake Graph remembers every call; the driver must not grow either.
    graphCalls += graph.accepted.length;
    graphRejected += graph.rejected.length;
    graph.reset();
  };
  let graphCalls = 0;
  let graphRejected = 0;
  await sample();
  const sampler = setInterval(() => void sample(), 1000);

  let deadline = startedAt + options.seconds * 1000;
  let kitDied: { atSeconds: number; output: string } | undefined;
  void kit.exited.then(() => {
    if (kitDied !== undefined || performance.now() >= deadline) return;
    kitDied = { atSeconds: round((performance.now() - startedAt) / 1000), output: kit.output().slice(-4000) };
    // Nothing can succeed any more: end the run now rather than count a flood of refused connections.
    deadline = performance.now();
  });
  console.log(`Load test: ${options.users} users for ${options.seconds} s (think ${options.thinkMs} ms ±50 %) against the kit at ${base.origin} (pid ${kit.pid}).`);
  await Promise.all(
    users.map(async (dev, index) => {
      const jar = new CookieJar();
      const user: SimUser = { dev, jar, browser: facadeBrowser({ baseUrl: base }, { user: dev.alias, jar, remember: index % 2 === 0 }), turn: 0 };
      // Spread the first sign-ins over the first second rather than all at once.
      await new Promise((resolve) => setTimeout(resolve, (index * 1000) / options.users));
      await perform(user, "sign_in");
      while (performance.now() < deadline) {
        user.turn++;
        // Without a token there is nothing to call with: sign in again.
        await perform(user, user.accessToken === undefined ? "sign_in" : pickKind());
        await think();
      }
    }),
  );
  const elapsedS = (performance.now() - startedAt) / 1000;
  clearInterval(sampler);
  await sample();
  loopDelay.disable();
  const driverCpu = process.cpuUsage(driverCpuAtStart);
  const machineBusyAtEnd = await machineBusyMs();
  globalThis.fetch = realFetch;
  const oboRequests = standIn.activity.counts().obo;
  if (options.heapSnapshotDir !== undefined) await heapSnapshot(kit.pid, options.heapSnapshotDir);
  await kit.stop("SIGTERM");
  kitLog?.end();
  await graph.close();
  await standIn.close();

  // Memory: warm-up is the first third; flat means the last third's mean is within 10 % of the second third's.
  const third = Math.floor(samples.length / 3);
  const second = samples.slice(third, 2 * third);
  const last = samples.slice(2 * third);
  const secondMeanMb = mean(second.map((s) => s.rssKb)) / 1024;
  const lastMeanMb = mean(last.map((s) => s.rssKb)) / 1024;
  const changePercent = ((lastMeanMb - secondMeanMb) / secondMeanMb) * 100;
  const slopeMbPerMin = slope(samples.slice(third).map((s) => [s.t / 60, s.rssKb / 1024] as const));
  const flat = Math.abs(changePercent) <= 10;
  const warmUpEndsAt = (samples[third]?.t ?? 0);
  const liveAfterWarmUp = fullGcs.filter((gc) => gc.t >= warmUpEndsAt);
  const kitCpuMs = samples.length < 2 ? 0 : samples[samples.length - 1]!.cpuMs - samples[0]!.cpuMs;
  const driverCpuMs = (driverCpu.user + driverCpu.system) / 1000;
  const machineBusy = machineBusyAtStart === undefined || machineBusyAtEnd === undefined ? undefined : machineBusyAtEnd - machineBusyAtStart;
  const kitCpuPercent = samples.length < 2 ? 0 : ((samples[samples.length - 1]!.cpuMs - samples[0]!.cpuMs) / ((samples[samples.length - 1]!.t - samples[0]!.t) * 1000)) * 100;

  const perKind = Object.fromEntries(
    KINDS.map((kind) => {
      const sorted = [...tally.latencies.get(kind)!].sort((a, b) => a - b);
      return [kind, { ok: sorted.length, failures: tally.failures.get(kind)!, leaks: tally.leaks.get(kind)!, p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted[sorted.length - 1] ?? Number.NaN) }];
    }),
  ) as Record<Kind, KindFigures>;
  const failures = KINDS.reduce((sum, kind) => sum + perKind[kind].failures, 0);
  const leaks = KINDS.reduce((sum, kind) => sum + perKind[kind].leaks, 0);
  const actions = KINDS.reduce((sum, kind) => sum + perKind[kind].ok + perKind[kind].failures + perKind[kind].leaks, 0);
  const serverErrors = Object.entries(serverSide.byStatus).filter(([status]) => status.startsWith("5")).reduce((sum, [, count]) => sum + count, 0);

  const now = new Date();
  const stamp = now.toISOString().slice(0, 16).replace(":", "");
  const result: LoadResult = {
    date: now.toISOString(),
    machine: {
      cpus: cpus().length,
      node: process.version,
      loadAverage1mDuringRun: { min: Math.min(...samples.map((s) => s.load1)), max: Math.max(...samples.map((s) => s.load1)) },
      busyPercentOfAllCores: machineBusy === undefined ? null : round((machineBusy / (elapsedS * 1000 * cpus().length)) * 100),
      // What neither the kit nor this driver used: other work on the machine competing with the test.
      otherProcessesPercentOfOneCore: machineBusy === undefined ? null : round(((machineBusy - kitCpuMs - driverCpuMs) / (elapsedS * 1000)) * 100),
    },
    options: { users: options.users, seconds: options.seconds, thinkMs: options.thinkMs, kitNodeArgs },
    mix: Object.fromEntries(options.mix),
    elapsedSeconds: round(elapsedS),
    requests: {
      toKit: tally.kitRequests,
      perSecond: round(tally.kitRequests / elapsedS),
      toEntraStandIn: tally.entraRequests,
      seenByKit: serverSide.requests,
      kitStatuses: serverSide.byStatus,
      actions,
    },
    failures,
    leaks,
    serverErrors,
    ...(kitDied === undefined ? {} : { kitDied }),
    kitLog: { warnings: serverSide.warnings, errors: serverSide.errors },
    problemSamples: [...tally.samples, ...serverSide.samples],
    perKind,
    downstream: { oboRequestsToEntra: oboRequests, graphCallsAccepted: graphCalls, graphCallsRejected: graphRejected },
    kitProcess: {
      cpuPercentOfOneCore: round(kitCpuPercent),
      rss: {
        definition: "flat when the mean of the last third of the samples is within 10% of the mean of the second third (the first third is warm-up)",
        samples: samples.length,
        firstMb: round(samples[0]!.rssKb / 1024),
        peakMb: round(Math.max(...samples.map((s) => s.rssKb)) / 1024),
        lastMb: round(samples[samples.length - 1]!.rssKb / 1024),
        secondThirdMeanMb: round(secondMeanMb),
        lastThirdMeanMb: round(lastMeanMb),
        changePercent: round(changePercent),
        slopeAfterWarmUpMbPerMinute: round(slopeMbPerMin, 2),
        flat,
      },
      liveHeap: {
        definition: "heap in use after each full (mark-compact) GC, from the kit's --trace-gc output: what the kit keeps, as opposed to what V8 has reserved",
        fullGcs: fullGcs.length,
        firstAfterWarmUpMb: liveAfterWarmUp[0]?.liveMb ?? null,
        lastMb: fullGcs[fullGcs.length - 1]?.liveMb ?? null,
        maxCommittedMb: fullGcs.length === 0 ? null : Math.max(...fullGcs.map((gc) => gc.committedMb)),
        slopeAfterWarmUpMbPerMinute: liveAfterWarmUp.length < 2 ? null : round(slope(liveAfterWarmUp.map((gc) => [gc.t / 60, gc.liveMb] as const)), 2),
        series: fullGcs,
      },
    },
    driver: {
      cpuPercentOfOneCore: round((driverCpuMs / (elapsedS * 1000)) * 100),
      cpuSeconds: round(driverCpuMs / 1000),
      eventLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6),
    },
    rssSeries: samples.map((s) => ({ t: s.t, rssMb: round(s.rssKb / 1024, 2), load1: s.load1 })),
  };

  await mkdir(options.out, { recursive: true });
  const jsonPath = `${options.out.replace(/\/$/, "")}/load-${stamp}.json`;
  const mdPath = jsonPath.replace(/\.json$/, ".md");
  await writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(mdPath, summary(result));
  console.log(summary(result));
  console.log(`Written: ${jsonPath}\n         ${mdPath}`);
  process.exitCode = failures === 0 && leaks === 0 && serverErrors === 0 && flat && kitDied === undefined ? 0 : 1;
}

/** What a run measured: the JSON file, and what the Markdown summary is made from. */
interface LoadResult {
  readonly date: string;
  readonly machine: {
    readonly cpus: number;
    readonly node: string;
    readonly loadAverage1mDuringRun: { readonly min: number; readonly max: number };
    readonly busyPercentOfAllCores: number | null;
    readonly otherProcessesPercentOfOneCore: number | null;
  };
  readonly options: Pick<Options, "users" | "seconds" | "thinkMs" | "kitNodeArgs">;
  /** Share of each kind of action. */
  readonly mix: Readonly<Record<string, number>>;
  readonly elapsedSeconds: number;
  readonly requests: {
    /** HTTP requests the driver sent to the kit. */
    readonly toKit: number;
    readonly perSecond: number;
    /** Requests of the scripted browser at the stand-in's sign-in page. */
    readonly toEntraStandIn: number;
    /** Lines of the kit's own access log. */
    readonly seenByKit: number;
    readonly kitStatuses: Readonly<Record<string, number>>;
    readonly actions: number;
  };
  readonly failures: number;
  readonly leaks: number;
  readonly serverErrors: number;
  /** Present when the kit process exited before the end of the run. */
  readonly kitDied?: { readonly atSeconds: number; readonly output: string };
  readonly kitLog: { readonly warnings: number; readonly errors: number };
  readonly problemSamples: readonly string[];
  readonly perKind: Readonly<Record<Kind, KindFigures>>;
  readonly downstream: { readonly oboRequestsToEntra: number; readonly graphCallsAccepted: number; readonly graphCallsRejected: number };
  readonly kitProcess: {
    readonly cpuPercentOfOneCore: number;
    readonly rss: {
      readonly definition: string;
      readonly samples: number;
      readonly firstMb: number;
      readonly peakMb: number;
      readonly lastMb: number;
      readonly secondThirdMeanMb: number;
      readonly lastThirdMeanMb: number;
      readonly changePercent: number;
      readonly slopeAfterWarmUpMbPerMinute: number;
      readonly flat: boolean;
    };
    readonly liveHeap: {
      readonly definition: string;
      readonly fullGcs: number;
      readonly firstAfterWarmUpMb: number | null;
      readonly lastMb: number | null;
      readonly maxCommittedMb: number | null;
      readonly slopeAfterWarmUpMbPerMinute: number | null;
      readonly series: ReadonlyArray<{ readonly t: number; readonly liveMb: number; readonly committedMb: number }>;
    };
  };
  readonly driver: { readonly cpuPercentOfOneCore: number; readonly cpuSeconds: number; readonly eventLoopDelayP99Ms: number };
  readonly rssSeries: ReadonlyArray<{ readonly t: number; readonly rssMb: number; readonly load1: number }>;
}

interface KindFigures {
  readonly ok: number;
  readonly failures: number;
  readonly leaks: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

function summary(result: LoadResult): string {
  const rss = result.kitProcess.rss;
  const live = result.kitProcess.liveHeap;
  return [
    `# Load test, ${result.date.slice(0, 16).replace("T", " ")} UTC`,
    "",
    `${result.options.users} users, ${result.elapsedSeconds} s, think time ${result.options.thinkMs} ms ±50 %; one kit process (\`npm start\` without its stand-ins), the Entra stand-in and fake Graph in the driver. ${result.machine.cpus} CPUs, Node ${result.machine.node}, machine ${result.machine.busyPercentOfAllCores ?? "–"} % busy (all cores) during the run, of which other processes ${result.machine.otherProcessesPercentOfOneCore ?? "–"} % of one core; 1-minute load average ${result.machine.loadAverage1mDuringRun.min}–${result.machine.loadAverage1mDuringRun.max}.`,
    "",
    `- Requests to the kit: **${result.requests.toKit}** (${result.requests.perSecond}/s; the kit logged ${result.requests.seenByKit}, statuses ${JSON.stringify(result.requests.kitStatuses)}), plus ${result.requests.toEntraStandIn} to the Entra stand-in`,
    `- Failed: **${result.failures}** · cross-user leaks: **${result.leaks}** · 5xx from the kit: **${result.serverErrors}** · kit log warnings/errors: ${result.kitLog.warnings}/${result.kitLog.errors}`,
    `- On-Behalf-Of requests to Entra: ${result.downstream.oboRequestsToEntra}; Graph calls accepted ${result.downstream.graphCallsAccepted}, rejected ${result.downstream.graphCallsRejected}`,
    `- Kit CPU: ${result.kitProcess.cpuPercentOfOneCore} % of one core; driver (users, stand-in, fake Graph) ${result.driver.cpuPercentOfOneCore} % of one core, event loop delay p99 ${result.driver.eventLoopDelayP99Ms} ms`,
    "",
    "| kind | ok | failed | leaks | p50 ms | p99 ms | max ms |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...KINDS.map((kind) => {
      const k = result.perKind[kind];
      return `| ${kind} | ${k.ok} | ${k.failures} | ${k.leaks} | ${k.p50Ms} | ${k.p99Ms} | ${k.maxMs} |`;
    }),
    "",
    `sign_in is the whole flow (register half the time, /authorize, consent unless remembered, the stand-in, /auth/callback, /token); the others are one request each.`,
    "",
    `Kit RSS (${rss.samples} samples, one a second): first ${rss.firstMb} MB, peak ${rss.peakMb} MB, last ${rss.lastMb} MB. Mean of the second third ${rss.secondThirdMeanMb} MB, of the last third ${rss.lastThirdMeanMb} MB (${rss.changePercent >= 0 ? "+" : ""}${rss.changePercent} %): **${rss.flat ? "flat" : "NOT flat"}** (within 10 %). Slope after warm-up: ${rss.slopeAfterWarmUpMbPerMinute} MB/min.`,
    `Kit heap after full GCs (${live.fullGcs} of them): ${live.firstAfterWarmUpMb ?? "–"} MB at the first after warm-up, ${live.lastMb ?? "–"} MB at the last (slope ${live.slopeAfterWarmUpMbPerMinute ?? "–"} MB/min); V8 had reserved up to ${live.maxCommittedMb ?? "–"} MB.`,
    ...(result.kitDied === undefined ? [] : ["", `**The kit process exited after ${result.kitDied.atSeconds} s.** Its last output:`, "", "```", result.kitDied.output, "```"]),
    ...(result.problemSamples.length === 0 ? [] : ["", "Problems seen (first few):", "", ...result.problemSamples.map((line) => `- ${line}`)]),
    "",
  ].join("\n");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
