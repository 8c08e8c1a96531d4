/**
 * `npm run bench [-- --quick] [-- --only calls,list,resources,cold,obo,memory,gateway,openapi] [-- --out <dir>]`:
 * the kit side by side with the bare MCP SDK, in one run on this machine.
 *
 * 1. tools/call: the bare SDK (as its examples wire it, and with schemas
 *    built once: the budget's baseline), kit without auth, kit with a token
 *    and a cached OBO need, and the same with telemetry to (a fake)
 *    Application Insights, each in its own process, interleaved
 *    (bench/calls.ts); then tools/list of fifty tools, and of fifty plus
 *    fifty through the gateway, against the bare SDK listing the same; then
 *    resources/read and prompts/get the same way (context, not budget);
 * 2. cold start: import times and time to the first authenticated call;
 * 3. On-Behalf-Of economy: Entra requests per 1,000 calls by 50 users;
 * 4. memory after 10,000 distinct users (kit path, MSAL with and without the bound);
 * 5. the gateway: a proxied tools/call against the same downstream called directly.
 * 6. tools from OpenAPI: generation at startup (GitHub's document, all and
 *    twenty operations) against the app's import, and a generated tool call
 *    against a hand-written one (bench/openapi.ts).
 *
 * Writes `<out>/<date>.json`, `.md` and `.svg` (default bench/results/).
 * `--quick` (CI) runs everything with tiny counts, in well under a minute, to
 * keep the harness working; its figures mean nothing and its files are named
 * `quick-<date>.*` (ignored by git). The run never fails on speed: only a
 * harness error (a server that does not start, a wrong answer) fails it.
 *
 * Run through scripts/with-dev-tls (npm run bench does): the Entra stand-in
 * serves HTTPS with the development certificate.
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { randomUUID } from "node:crypto";
import { startFakeIngestion } from "../dev/app-insights/fake-ingestion.js";
import { renderChart } from "./chart.js";
import { runCalls, type CallCase, type CallsPlan } from "./calls.js";
import { measureColdStart, type ColdStartResult } from "./cold-start.js";
import { startBenchEntra } from "./entra.js";
import { measureGateway, type GatewayBenchResult } from "./gateway.js";
import { startServer, type StartedServer } from "./ipc.js";
import { MEMORY_MODES, measureMemory, type MemoryCurve } from "./memory.js";
import { measureOboEconomy, type OboEconomyResult } from "./obo-economy.js";
import { measureOpenApi, type OpenApiResult } from "./openapi.js";
import { FAR_PREFIX, LIST_TOOLS } from "./fifty-tools.js";
import { PROJECT_ROOT, RESULTS_DIR, serverEntry } from "./paths.js";
import { GET_PROMPT, listTools, PROTOCOLS, READ_NOTE } from "./protocol.js";
import { ratiosOf } from "./ratios.js";
import { budgetChecks, renderMarkdown, type BenchReport, type ListResult, type OperationResult } from "./report.js";

type Part = "calls" | "list" | "resources" | "cold" | "obo" | "memory" | "gateway" | "openapi";
const PARTS: readonly Part[] = ["calls", "list", "resources", "cold", "obo", "memory", "gateway", "openapi"];
/** The telemetry case may reach loopback only, as in the tests: the distro asks the Azure VM metadata address about the machine. */
const LOOPBACK_ONLY = join(PROJECT_ROOT, "dist", "dev", "loopback-only.js");

interface Sizes {
  readonly warmupRequests: number;
  readonly rounds: number;
  readonly slice: Readonly<Record<number, number>>;
  /** Rounds of the tools/list, resources/read and prompts/get parts (concurrency 1 only). */
  readonly operationRounds: number;
  readonly coldRuns: number;
  readonly oboCalls: number;
  readonly oboUsers: number;
  readonly memoryUsers: number;
  readonly memoryEvery: number;
  readonly memoryWarmup: number;
  /** Longest one memory mode may run; MSAL's unbounded cache slows every call down. */
  readonly memoryMaxMs: number;
  readonly gatewayUsers: number;
  readonly gatewayWarmup: number;
  readonly gatewayRounds: number;
  readonly gatewaySlice: number;
  /** Tools from OpenAPI: fresh processes per generation mode, and the tool-call comparison. */
  readonly openapi: { readonly generationRuns: number; readonly warmupCalls: number; readonly rounds: number; readonly callsPerSlice: number };
}

const FULL: Sizes = {
  warmupRequests: 1000,
  rounds: 12,
  slice: { 1: 300, 32: 1200 },
  operationRounds: 8,
  coldRuns: 9,
  oboCalls: 1000,
  oboUsers: 50,
  memoryUsers: 10_000,
  memoryEvery: 1000,
  memoryWarmup: 100,
  memoryMaxMs: 6 * 60_000,
  gatewayUsers: 20,
  gatewayWarmup: 500,
  gatewayRounds: 12,
  gatewaySlice: 300,
  openapi: { generationRuns: 5, warmupCalls: 500, rounds: 12, callsPerSlice: 300 },
};
const QUICK: Sizes = {
  warmupRequests: 40,
  rounds: 2,
  slice: { 1: 20, 32: 64 },
  operationRounds: 2,
  coldRuns: 1,
  oboCalls: 100,
  oboUsers: 10,
  memoryUsers: 100,
  memoryEvery: 50,
  memoryWarmup: 10,
  memoryMaxMs: 60_000,
  gatewayUsers: 5,
  gatewayWarmup: 20,
  gatewayRounds: 2,
  gatewaySlice: 20,
  openapi: { generationRuns: 1, warmupCalls: 20, rounds: 2, callsPerSlice: 20 },
};
/** Users the tools/call cases rotate through (tokens minted once; OBO cached after the warm-up). */
const CALL_USERS = 50;

function parseArgs(args: readonly string[]): { quick: boolean; parts: readonly Part[]; out: string } {
  const quick = args.includes("--quick");
  const only = args.indexOf("--only");
  const parts = only === -1 ? PARTS : (args[only + 1] ?? "").split(",").map((part) => part.trim() as Part);
  for (const part of parts) if (!PARTS.includes(part)) throw new Error(`--only takes ${PARTS.join(",")}; got ${part}`);
  const outIndex = args.indexOf("--out");
  return { quick, parts, out: outIndex === -1 ? RESULTS_DIR : args[outIndex + 1]! };
}

function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(PROJECT_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

async function main(): Promise<void> {
  const { quick, parts, out } = parseArgs(process.argv.slice(2));
  const sizes = quick ? QUICK : FULL;
  const started = performance.now();
  const startedAt = new Date();
  const loadAtStart = loadavg()[0]!;
  const log = (line: string): void => console.log(line);
  log(`Benchmark (${quick ? "quick" : "full"}): ${parts.join(", ")}`);

  // Users by part: tools/call, cold start, OBO economy (five groups), then the gateway's own group.
  const gatewayFirstUser = CALL_USERS + sizes.coldRuns + 50 + sizes.oboUsers * 5;
  const entra = await startBenchEntra(Math.max(sizes.memoryUsers + sizes.memoryWarmup, gatewayFirstUser + sizes.gatewayUsers + 10));
  const servers: StartedServer[] = [];
  try {
    // 1. tools/call
    const callTokens = await entra.tokens(0, CALL_USERS);
    const signedIn = (index: number) => ({ authorization: `Bearer ${callTokens[index % CALL_USERS]}` });
    const plan: CallsPlan = {
      protocols: PROTOCOLS,
      concurrencies: [1, 32],
      warmupRequests: sizes.warmupRequests,
      rounds: sizes.rounds,
      sliceRequests: (concurrency) => sizes.slice[concurrency] ?? 100,
      onSlice: (done, total) => {
        if (done % 12 === 0 || done === total) log(`  tools/call: ${done}/${total} slices`);
      },
    };
    let calls: BenchReport["calls"] = { scenarios: [], peakRssBytes: {}, durationMs: 0 };
    if (parts.includes("calls")) {
      log("tools/call: starting the servers");
      // Telemetry on, exported where the Azure Monitor exporter would send it; only counted, so the benchmark's memory stays flat.
      const ingestion = await startFakeIngestion({ keepBatches: false });
      const kitTelemetry = await startServer({
        name: "kit-telemetry",
        entry: serverEntry("kit"),
        args: ["full"],
        execArgv: ["--import", LOOPBACK_ONLY],
        env: { ...entra.kitEnv, APPLICATIONINSIGHTS_CONNECTION_STRING: ingestion.connectionString(randomUUID()), APPLICATION_INSIGHTS_NO_STATSBEAT: "true" },
        timeoutMs: 60_000,
      });
      servers.push(kitTelemetry);
      const baseline = await startServer({ name: "baseline", entry: serverEntry("baseline") });
      servers.push(baseline);
      const hoisted = await startServer({ name: "baseline-hoisted", entry: serverEntry("baseline"), args: ["hoisted"] });
      servers.push(hoisted);
      const kitNone = await startServer({ name: "kit-none", entry: serverEntry("kit"), args: ["none"] });
      servers.push(kitNone);
      const kitFull = await startServer({ name: "kit-full", entry: serverEntry("kit"), args: ["full"], env: entra.kitEnv });
      servers.push(kitFull);
      const cases: CallCase[] = [
        { id: "baseline", label: "baseline", server: baseline },
        { id: "baseline-hoisted", label: "baseline, schema built once", server: hoisted },
        { id: "kit-none", label: "kit, no auth", server: kitNone },
        { id: "kit-full", label: "kit, full", server: kitFull, headersFor: signedIn },
        { id: "kit-telemetry", label: "kit, full, telemetry on", server: kitTelemetry, headersFor: signedIn },
      ];
      try {
        calls = await runCalls(cases, plan);
      } finally {
        for (const server of servers.splice(0)) await server.stop();
        await ingestion.close();
      }
      // A telemetry case that exported nothing measured nothing (the exporter sends a batch every 5 s or 512 spans, well within the part).
      if (ingestion.envelopeCount === 0) throw new Error("the telemetry case exported no telemetry to the fake ingestion endpoint");
      log(`tools/call: done in ${(calls.durationMs / 1000).toFixed(0)} s`);
    }

    let lists: ListResult[] | undefined;
    if (parts.includes("list")) {
      log("tools/list: starting the servers");
      const listPlan = { ...plan, concurrencies: [1], rounds: sizes.operationRounds, onSlice: undefined };
      lists = [];
      const sdk50 = await startServer({ name: "baseline-list50", entry: serverEntry("baseline"), args: ["list50"] });
      servers.push(sdk50);
      const kit50 = await startServer({ name: "kit-list50", entry: serverEntry("kit"), args: ["full", "list50"], env: entra.kitEnv });
      servers.push(kit50);
      const local = await runCalls(
        [
          { id: "baseline-hoisted", label: "bare SDK, 50 tools", server: sdk50 },
          { id: "kit-full", label: "kit, 50 tools", server: kit50, headersFor: signedIn },
        ],
        { ...listPlan, operation: listTools(LIST_TOOLS.at(-1)!.name) },
      );
      lists.push({ label: `${LIST_TOOLS.length} tools`, tools: LIST_TOOLS.length, calls: local, ratios: ratiosOf(local, "baseline-hoisted") });
      for (const server of servers.splice(0)) await server.stop();
      log(`tools/list, ${LIST_TOOLS.length} tools: done in ${(local.durationMs / 1000).toFixed(0)} s`);

      // The downstream is a bare SDK serving the same fifty (it takes any token); the kit reaches it On-Behalf-Of the caller.
      const downstream = await startServer({ name: "downstream-list50", entry: serverEntry("baseline"), args: ["list50"] });
      servers.push(downstream);
      const sdk100 = await startServer({ name: "baseline-list100", entry: serverEntry("baseline"), args: ["list100"] });
      servers.push(sdk100);
      const kit100 = await startServer({ name: "kit-list100", entry: serverEntry("kit"), args: ["full", "list100"], env: { ...entra.kitEnv, BENCH_FAR_MCP_URL: downstream.url.href } });
      servers.push(kit100);
      const throughGateway = await runCalls(
        [
          { id: "baseline-hoisted", label: "bare SDK, 100 tools", server: sdk100 },
          { id: "kit-full", label: "kit, 50 tools + 50 through the gateway", server: kit100, headersFor: signedIn },
        ],
        { ...listPlan, operation: listTools(`${FAR_PREFIX}${LIST_TOOLS.at(-1)!.name}`) },
      );
      lists.push({ label: `${LIST_TOOLS.length} tools + ${LIST_TOOLS.length} through the gateway`, tools: 2 * LIST_TOOLS.length, calls: throughGateway, ratios: ratiosOf(throughGateway, "baseline-hoisted") });
      for (const server of servers.splice(0)) await server.stop();
      log(`tools/list, through the gateway: done in ${(throughGateway.durationMs / 1000).toFixed(0)} s`);
    }

    let operations: OperationResult[] | undefined;
    if (parts.includes("resources")) {
      log("resources/read and prompts/get: starting the servers");
      const baseline = await startServer({ name: "baseline-items", entry: serverEntry("baseline"), args: ["items"] });
      servers.push(baseline);
      const kitNone = await startServer({ name: "kit-none-items", entry: serverEntry("kit"), args: ["none", "items"] });
      servers.push(kitNone);
      const kitFull = await startServer({ name: "kit-full-items", entry: serverEntry("kit"), args: ["full", "items"], env: entra.kitEnv });
      servers.push(kitFull);
      const cases: CallCase[] = [
        { id: "baseline", label: "baseline", server: baseline },
        { id: "kit-none", label: "kit, no auth", server: kitNone },
        { id: "kit-full", label: "kit, full", server: kitFull, headersFor: signedIn },
      ];
      operations = [];
      for (const operation of [READ_NOTE, GET_PROMPT]) {
        const result = await runCalls(cases, { ...plan, operation, concurrencies: [1], rounds: sizes.operationRounds, onSlice: undefined });
        operations.push({ method: operation.method, calls: result, ratios: ratiosOf(result) });
        log(`${operation.method}: done in ${(result.durationMs / 1000).toFixed(0)} s`);
      }
      for (const server of servers.splice(0)) await server.stop();
    }

    // A part that fails is recorded as failed; the others' figures are still written.
    const failures: Array<{ part: string; error: string }> = [];
    const attempt = async <T>(part: string, work: () => Promise<T>): Promise<T | undefined> => {
      const partStarted = performance.now();
      try {
        const result = await work();
        log(`${part}: done in ${((performance.now() - partStarted) / 1000).toFixed(0)} s`);
        return result;
      } catch (error) {
        console.error(`${part} failed:`, error);
        failures.push({ part, error: error instanceof Error ? error.message : String(error) });
        return undefined;
      }
    };

    let coldStart: ColdStartResult | undefined;
    if (parts.includes("cold")) {
      log("cold start");
      coldStart = await attempt("cold start", () => measureColdStart(entra, sizes.coldRuns, log));
    }

    let oboEconomy: OboEconomyResult | undefined;
    if (parts.includes("obo")) {
      log("On-Behalf-Of economy");
      oboEconomy = await attempt("OBO economy", () => measureOboEconomy(entra, sizes.oboCalls, sizes.oboUsers, CALL_USERS + sizes.coldRuns + 50, log));
    }

    let gateway: GatewayBenchResult | undefined;
    if (parts.includes("gateway")) {
      log("gateway: proxied tools/call against the downstream called directly");
      gateway = await attempt("gateway", () =>
        measureGateway(entra, { users: sizes.gatewayUsers, firstUser: gatewayFirstUser, warmupRequests: sizes.gatewayWarmup, rounds: sizes.gatewayRounds, sliceRequests: sizes.gatewaySlice }, log),
      );
    }

    let memory: MemoryCurve[] | undefined;
    if (parts.includes("memory")) {
      memory = [];
      for (const mode of MEMORY_MODES) {
        log(`memory: ${mode}, ${sizes.memoryUsers} users`);
        const curve = await attempt(`memory (${mode})`, () => measureMemory(entra, mode, sizes.memoryUsers, sizes.memoryEvery, sizes.memoryWarmup, sizes.memoryMaxMs, log));
        if (curve !== undefined) memory.push(curve);
      }
      entra.forgetTokens();
    }

    let openapi: OpenApiResult | undefined;
    if (parts.includes("openapi")) {
      log("tools from OpenAPI");
      openapi = await attempt("tools from OpenAPI", () => measureOpenApi(sizes.openapi, log));
    }

    const ratios = ratiosOf(calls);
    const ratiosToHoisted = ratiosOf(calls, "baseline-hoisted");
    const date = startedAt.toISOString().slice(0, 10);
    const report: BenchReport = {
      schema: "mcp-functions-kit-bench/1",
      quick,
      date,
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
      machine: {
        cpuModel: cpus()[0]?.model.trim() ?? "unknown",
        cores: cpus().length,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        platform: `${process.platform} ${process.arch}`,
        node: process.versions.node,
        loadAverage: { start: loadAtStart, end: loadavg()[0]! },
      },
      versions: Object.fromEntries(["@modelcontextprotocol/server", "zod", "jose", "@azure/functions", "@azure/msal-node", "@readme/openapi-parser", "@octokit/openapi"].map((name) => [name, versionOf(name)])),
      plan: {
        protocols: plan.protocols,
        concurrencies: plan.concurrencies,
        warmupRequests: plan.warmupRequests,
        rounds: plan.rounds,
        sliceRequests: Object.fromEntries(plan.concurrencies.map((concurrency) => [String(concurrency), plan.sliceRequests(concurrency)])),
      },
      calls,
      ratios,
      ratiosToHoisted,
      ...(coldStart === undefined ? {} : { coldStart }),
      ...(oboEconomy === undefined ? {} : { oboEconomy }),
      ...(memory === undefined ? {} : { memory }),
      ...(gateway === undefined ? {} : { gateway }),
      ...(operations === undefined ? {} : { operations }),
      ...(openapi === undefined ? {} : { openapi }),
      ...(lists === undefined ? {} : { lists }),
      budget: budgetChecks({ calls, ratiosToHoisted, coldStart, gateway, lists }),
      failures,
    };
    await mkdir(out, { recursive: true });
    const base = join(out, `${quick ? "quick-" : ""}${date}`);
    await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    const markdown = renderMarkdown(report);
    await writeFile(`${base}.md`, markdown);
    await writeFile(`${base}.svg`, renderChart(report));
    log("");
    const budget = markdown.indexOf("## Budget");
    const next = markdown.indexOf("\n## ", budget + 1);
    log(markdown.slice(budget, next === -1 ? undefined : next).trim());
    log("");
    log(`Wrote ${base}.json, .md and .svg in ${((performance.now() - started) / 1000).toFixed(0)} s.`);
    // A harness that failed must fail CI, even though the figures it did get are written.
    if (failures.length > 0) process.exitCode = 1;
  } finally {
    for (const server of servers) await server.stop();
    await entra.close();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
