/**
 * `npm run bench:profile [-- --calls 6000] [-- --protocol 2025-11-25] [-- --keep <dir>]`:
 * where the server's CPU goes on an authenticated tools/call, against the
 * fastest bare-SDK wiring, in one run.
 *
 * Starts the hoisted baseline and the kit (`full`: token check, cached OBO,
 * the echo tool) under Node's own sampling profiler (`--cpu-prof`), warms
 * both up, drives the same number of calls at one caller, stops them (the
 * profile is written at exit) and prints, per server, the sampled CPU per
 * call split by where it was spent: the kit's own modules by folder, the
 * MCP SDK, zod, Node's HTTP and streams, and the rest. The figures are
 * samples (about one per millisecond), so compare the two servers of one
 * run, not runs with each other. `--keep` leaves the `.cpuprofile` files for
 * a flame-graph viewer (Chrome DevTools, speedscope).
 */
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBenchEntra } from "./entra.js";
import { startServer, type StartedServer } from "./ipc.js";
import { drive, keepAliveAgent } from "./load.js";
import { serverEntry } from "./paths.js";
import { CALL_ECHO, PROTOCOLS, type ProtocolName } from "./protocol.js";

/** The part of a `.cpuprofile` this reads. */
interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a sampled frame belongs: the first rule whose pattern its script URL matches. */
const BUCKETS: ReadonlyArray<readonly [string, RegExp]> = [
  ["kit: lib/host (local host, request/response conversion)", /\/dist\/lib\/host\//],
  ["kit: lib/adapter (Functions request adapter)", /\/dist\/lib\/adapter\//],
  ["kit: lib/mcp (endpoint, server definition, tool wrapper)", /\/dist\/lib\/mcp\//],
  ["kit: lib/auth + lib/entra (gate, token check)", /\/dist\/lib\/(auth|entra)\//],
  ["kit: lib/obo + lib/cache (OBO cache)", /\/dist\/lib\/(obo|cache)\//],
  ["kit: lib/telemetry", /\/dist\/lib\/telemetry\//],
  ["kit: other (functions/, lib/*.ts, tools/)", /\/dist\/(lib|functions|tools)\//],
  ["jose (JWT)", /node_modules\/jose\//],
  ["MCP SDK", /node_modules\/@modelcontextprotocol\//],
  ["zod", /node_modules\/zod\//],
  ["@azure/functions", /node_modules\/@azure\/functions\//],
  ["undici (Request/Response/Headers/streams)", /node:internal\/deps\/undici|undici/],
  ["Node HTTP server and sockets", /node:(_http|http|net|internal\/http|internal\/stream_base|internal\/streams|stream)/],
  ["Node web streams", /node:internal\/webstreams\//],
  ["Node events, timers, AbortController, microtasks", /node:(events|timers|internal\/(event_target|abort_controller|timers|process\/task_queues|worker\/js_transferable|async_hooks))/],
  ["Node other (crypto, URL, buffer, util)", /^node:/],
  ["bench harness", /\/dist\/bench\//],
];
const GARBAGE = "(garbage collector)";
const IDLE = new Set(["(idle)", "(program)", "(root)"]);

/** CPU microseconds per bucket and per function, from one profile. */
function summarise(profile: CpuProfile): { buckets: Map<string, number>; functions: Map<string, number>; totalMicros: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalMicros = 0;
  for (const [index, id] of profile.samples.entries()) {
    const node = byId.get(id);
    const micros = profile.timeDeltas[index] ?? 0;
    if (node === undefined || IDLE.has(node.callFrame.functionName)) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const bucket = functionName === GARBAGE ? "garbage collection" : (BUCKETS.find(([, pattern]) => pattern.test(url))?.[0] ?? (url === "" ? "native (V8 builtins, C++)" : "other JavaScript"));
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + micros);
    const where = url === "" ? functionName : `${functionName || "(anonymous)"} ${url.replace(/^.*\/(dist|node_modules)\//, "$1/")}:${lineNumber + 1}`;
    functions.set(where, (functions.get(where) ?? 0) + micros);
    totalMicros += micros;
  }
  return { buckets, functions, totalMicros };
}

/** The kit's CPU per call beside the baseline's, bucket by bucket, largest difference first. */
function sideBySide(perServer: ReadonlyMap<string, { buckets: Map<string, number>; calls: number; processCpuMs: number }>): string[] {
  const baseline = perServer.get("baseline-hoisted");
  const kit = perServer.get("kit-full");
  if (baseline === undefined || kit === undefined) return [];
  const ms = (server: typeof kit, bucket: string): number => (server.buckets.get(bucket) ?? 0) / server.calls / 1000;
  const names = [...new Set([...baseline.buckets.keys(), ...kit.buckets.keys()])].sort((a, b) => ms(kit, b) - ms(baseline, b) - (ms(kit, a) - ms(baseline, a)));
  return [
    `## Sampled CPU per call: kit ${kit.processCpuMs.toFixed(4)} ms, bare SDK (schemas built once) ${baseline.processCpuMs.toFixed(4)} ms (process CPU, ${(kit.processCpuMs / baseline.processCpuMs).toFixed(2)}×)`,
    "",
    "| Where | bare SDK ms/call | kit ms/call | difference |",
    "|---|---:|---:|---:|",
    ...names.map((name) => `| ${name} | ${ms(baseline, name).toFixed(3)} | ${ms(kit, name).toFixed(3)} | ${(ms(kit, name) - ms(baseline, name) >= 0 ? "+" : "")}${(ms(kit, name) - ms(baseline, name)).toFixed(3)} |`),
  ];
}

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  const calls = Number(argument("--calls") ?? 6000);
  const protocols = (argument("--protocol")?.split(",") as ProtocolName[] | undefined) ?? PROTOCOLS;
  const keep = argument("--keep");
  const directory = keep ?? (await mkdtemp(join(tmpdir(), "kit-profile-")));
  const entra = await startBenchEntra(50);
  const tokens = await entra.tokens(0, 50);
  const servers: StartedServer[] = [];
  try {
    const cases = [
      { name: "baseline-hoisted", entry: serverEntry("baseline"), args: ["hoisted"], env: {}, headersFor: undefined },
      { name: "kit-full", entry: serverEntry("kit"), args: ["full"], env: entra.kitEnv, headersFor: (index: number) => ({ authorization: `Bearer ${tokens[index % tokens.length]}` }) },
    ];
    const report: string[] = [];
    const perServer = new Map<string, { buckets: Map<string, number>; calls: number; processCpuMs: number }>();
    for (const entry of cases) {
      const profileDir = join(directory, entry.name);
      const server = await startServer({ name: entry.name, entry: entry.entry, args: entry.args, env: entry.env, execArgv: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] });
      servers.push(server);
      const agent = keepAliveAgent(1);
      for (const protocol of protocols) {
        const target = { url: server.url, request: CALL_ECHO.request(protocol), ...(entry.headersFor === undefined ? {} : { headersFor: entry.headersFor }), isSuccess: CALL_ECHO.isSuccess };
        await drive(target, agent, 1000, 1);
      }
      const before = await server.stats();
      for (const protocol of protocols) {
        const target = { url: server.url, request: CALL_ECHO.request(protocol), ...(entry.headersFor === undefined ? {} : { headersFor: entry.headersFor }), isSuccess: CALL_ECHO.isSuccess };
        await drive(target, agent, calls, 1);
      }
      const after = await server.stats();
      agent.destroy();
      // Not server.stop(): writing the profile at exit can take longer than its one-second grace.
      const exited = once(server.child, "exit");
      server.child.disconnect();
      await exited;
      servers.splice(servers.indexOf(server), 1);
      const file = (await readdir(profileDir)).find((name) => name.endsWith(".cpuprofile"));
      if (file === undefined) throw new Error(`${entry.name} wrote no profile in ${profileDir}`);
      const { buckets, functions, totalMicros } = summarise(JSON.parse(await readFile(join(profileDir, file), "utf8")) as CpuProfile);
      const measured = calls * protocols.length;
      const warm = 1000 * protocols.length;
      const perCall = (micros: number): string => ((micros / (measured + warm)) / 1000).toFixed(4);
      perServer.set(entry.name, { buckets, calls: measured + warm, processCpuMs: (after.cpuMicros - before.cpuMicros) / measured / 1000 });
      report.push(
        `## ${entry.name} (${protocols.join(" + ")}, ${measured} measured calls; process CPU ${(((after.cpuMicros - before.cpuMicros) / measured) / 1000).toFixed(4)} ms/call)`,
        "",
        `Sampled CPU over warm-up and measurement: ${perCall(totalMicros)} ms/call`,
        "",
        "| Where | ms/call | share |",
        "|---|---:|---:|",
        ...[...buckets].sort((a, b) => b[1] - a[1]).map(([bucket, micros]) => `| ${bucket} | ${perCall(micros)} | ${((micros / totalMicros) * 100).toFixed(1)}% |`),
        "",
        "Top functions by self time:",
        "",
        ...[...functions].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([where, micros]) => `- ${perCall(micros)} ms  ${where}`),
        "",
      );
    }
    console.log([...sideBySide(perServer), "", ...report].join("\n"));
    if (keep !== undefined) console.log(`Profiles kept in ${directory}`);
  } finally {
    for (const server of servers) await server.stop();
    await entra.close();
    if (keep === undefined) await rm(directory, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
