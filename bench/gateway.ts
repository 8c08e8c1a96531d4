/**
 * The gateway's cost: a `tools/call` of the demo downstream's `whoami`
 * through the kit (`demo_whoami`: token check, the caller's cached listing,
 * the cached On-Behalf-Of token, one request to the downstream) against the
 * same call made to the downstream directly with a valid token for it, and
 * through the fastest gateway the bare SDKs make (servers/baseline.ts
 * `proxy`: what any gateway that speaks MCP on both sides costs at least),
 * in the same run, interleaved round by round like the tools/call part.
 *
 * The downstream (dev/demo-mcp, plain HTTP so the paths are alike), the bare
 * proxy and the kit (servers/kit.ts, mode `gateway`) each run in a process
 * of their own, so that the paths cross the same process boundaries; the Entra stand-in
 * stays in this process and counts the On-Behalf-Of requests: one per
 * (user, server) is the promise.
 */
import { DEMO_MCP_IDENTIFIER_URI, DEMO_MCP_SCOPE } from "../dev/defaults.js";
import { benchUser, type BenchEntra } from "./entra.js";
import { startServer } from "./ipc.js";
import { drive, keepAliveAgent, type LoadTarget } from "./load.js";
import { serverEntry } from "./paths.js";
import { median, percentile, round } from "./stats.js";

/** How much to send. */
export interface GatewayPlan {
  readonly users: number;
  /** Users are `firstUser` .. `firstUser + users - 1` of the bench directory. */
  readonly firstUser: number;
  readonly warmupRequests: number;
  readonly rounds: number;
  readonly sliceRequests: number;
}

/** One path's figures at concurrency 1. */
export interface GatewayCaseResult {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly roundP50Ms: readonly number[];
  /** CPU time per call of the downstream's process, ms (user + system). */
  readonly downstreamCpuMsPerCall: number;
  /** CPU time per call of the process in between (the kit, the bare proxy), ms; 0 for the direct path. */
  readonly kitCpuMsPerCall: number;
}

export interface GatewayBenchResult {
  readonly direct: GatewayCaseResult;
  /** The fastest gateway the bare SDKs make (servers/baseline.ts `proxy`): no sign-in, no OBO, one kept client. */
  readonly bareProxy: GatewayCaseResult;
  readonly proxied: GatewayCaseResult;
  /** Median of the per-round p50 ratios, proxied ÷ direct. */
  readonly p50Ratio: number;
  /** Server CPU per call, proxied (kit + downstream) ÷ direct (downstream): less sensitive than latency to a busy machine. */
  readonly cpuRatio: number;
  readonly p50RatioRounds: { readonly min: number; readonly max: number };
  /** Median of the per-round p50 ratios, bare proxy ÷ direct: the floor of any gateway that speaks MCP on both sides. */
  readonly bareProxyP50Ratio: number;
  /** Median of the per-round p50 ratios, kit ÷ bare proxy: what the kit's gateway costs beyond that floor. */
  readonly p50RatioToBareProxy: number;
  /** On-Behalf-Of requests the stand-in answered over the whole proxied run, and how many users made it. */
  readonly oboRequests: number;
  readonly users: number;
  readonly proxiedCalls: number;
}

/** The budget for a proxied call against the direct one, at one caller (issue 12). */
export const GATEWAY_BUDGET = 1.3;

/** The paths, in the order of a round (reversed every other round). */
const PATHS = ["direct", "bareProxy", "proxied"] as const;
type PathName = (typeof PATHS)[number];

/** A 2026-07-28 `tools/call` of `name` with no arguments. */
function toolCall(name: string): LoadTarget["request"] {
  const body = Buffer.from(
    JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: {
        name,
        arguments: {},
        _meta: {
          "io.modelcontextprotocol/protocolVersion": "2026-07-28",
          "io.modelcontextprotocol/clientInfo": { name: "bench", version: "1.0.0" },
          "io.modelcontextprotocol/clientCapabilities": {},
        },
      },
    }),
  );
  return {
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2026-07-28",
      "mcp-method": "tools/call",
      "mcp-name": name,
      "content-length": String(body.length),
    },
    body,
  };
}

/** Whether an answer is whoami's result for a bench user (the downstream saw a token for its own audience). */
function isWhoamiAnswer(status: number, body: string): boolean {
  return status === 200 && body.includes('"oid":"be5c0000-') && body.includes('"aud":"') && !body.includes('"isError":true') && !body.includes('"error":');
}

/** Runs the comparison. */
export async function measureGateway(entra: BenchEntra, plan: GatewayPlan, log: (line: string) => void): Promise<GatewayBenchResult> {
  const demo = await startServer({ name: "demo-downstream", entry: serverEntry("demo-downstream"), env: { BENCH_ENTRA_ORIGIN: entra.standIn.origin } });
  const demoTokens = await Promise.all(
    Array.from({ length: plan.users }, (_, offset) => entra.standIn.mintAccessToken({ user: benchUser(plan.firstUser + offset).alias, audience: DEMO_MCP_IDENTIFIER_URI, scopes: [DEMO_MCP_SCOPE] })),
  );
  const bareProxy = await startServer({ name: "bare-proxy", entry: serverEntry("baseline"), args: ["proxy"], env: { BENCH_PROXY_URL: demo.url.href, BENCH_PROXY_TOKEN: demoTokens[0]! } });
  const kit = await startServer({ name: "kit-gateway", entry: serverEntry("kit"), args: ["gateway"], env: { ...entra.kitEnv, BENCH_DEMO_MCP_URL: demo.url.href } });
  try {
    const kitTokens = await entra.tokens(plan.firstUser, plan.users);
    const targets: Record<PathName, LoadTarget> = {
      direct: { url: demo.url, request: toolCall("whoami"), headersFor: (index: number) => ({ authorization: `Bearer ${demoTokens[index % plan.users]}` }), isSuccess: isWhoamiAnswer },
      bareProxy: { url: bareProxy.url, request: toolCall("demo_whoami"), headersFor: () => ({}), isSuccess: isWhoamiAnswer },
      proxied: { url: kit.url, request: toolCall("demo_whoami"), headersFor: (index: number) => ({ authorization: `Bearer ${kitTokens[index % plan.users]}` }), isSuccess: isWhoamiAnswer },
    };
    const agents = { direct: keepAliveAgent(1), bareProxy: keepAliveAgent(1), proxied: keepAliveAgent(1) };
    const oboBefore = entra.oboRequests();
    let proxiedCalls = 0;
    for (const name of PATHS) {
      await drive(targets[name], agents[name], plan.warmupRequests, 1);
      if (name === "proxied") proxiedCalls += plan.warmupRequests;
    }
    const samples = { direct: [] as Float64Array[], bareProxy: [] as Float64Array[], proxied: [] as Float64Array[] };
    const roundP50 = { direct: [] as number[], bareProxy: [] as number[], proxied: [] as number[] };
    const cpuMicros = { direct: { demo: 0, between: 0 }, bareProxy: { demo: 0, between: 0 }, proxied: { demo: 0, between: 0 } };
    const between = { direct: undefined, bareProxy, proxied: kit };
    for (let roundIndex = 0; roundIndex < plan.rounds; roundIndex++) {
      const order = roundIndex % 2 === 0 ? PATHS : [...PATHS].reverse();
      for (const name of order) {
        const middle = between[name];
        const [demoBefore, middleBefore] = await Promise.all([demo.stats(), middle?.stats()]);
        const result = await drive(targets[name], agents[name], plan.sliceRequests, 1, roundIndex * plan.sliceRequests);
        const [demoAfter, middleAfter] = await Promise.all([demo.stats(), middle?.stats()]);
        cpuMicros[name].demo += demoAfter.cpuMicros - demoBefore.cpuMicros;
        // Only the path's own calls reach the process in between; what it burns while the others run is its idle cost.
        if (middleBefore !== undefined && middleAfter !== undefined) cpuMicros[name].between += middleAfter.cpuMicros - middleBefore.cpuMicros;
        if (name === "proxied") proxiedCalls += plan.sliceRequests;
        samples[name].push(result.latenciesMs);
        roundP50[name].push(round(median(result.latenciesMs), 4));
      }
    }
    for (const agent of Object.values(agents)) agent.destroy();
    const oboRequests = entra.oboRequests() - oboBefore;
    const figures = (name: PathName): GatewayCaseResult => {
      const all = Float64Array.from(samples[name].flatMap((part) => [...part]));
      return {
        requests: all.length,
        p50Ms: round(percentile(all, 50), 4),
        p99Ms: round(percentile(all, 99), 4),
        roundP50Ms: roundP50[name],
        downstreamCpuMsPerCall: round(cpuMicros[name].demo / 1000 / all.length, 4),
        kitCpuMsPerCall: round(cpuMicros[name].between / 1000 / all.length, 4),
      };
    };
    const roundRatios = (over: PathName, under: PathName): number[] => roundP50[over].map((value, index) => value / roundP50[under][index]!).filter(Number.isFinite);
    const ratios = roundRatios("proxied", "direct");
    log(`  gateway: ${proxiedCalls} proxied calls by ${plan.users} users, ${oboRequests} OBO requests`);
    const direct = figures("direct");
    const proxied = figures("proxied");
    return {
      direct,
      bareProxy: figures("bareProxy"),
      proxied,
      p50Ratio: round(median(ratios), 3),
      cpuRatio: round((proxied.kitCpuMsPerCall + proxied.downstreamCpuMsPerCall) / direct.downstreamCpuMsPerCall, 3),
      p50RatioRounds: { min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3) },
      bareProxyP50Ratio: round(median(roundRatios("bareProxy", "direct")), 3),
      p50RatioToBareProxy: round(median(roundRatios("proxied", "bareProxy")), 3),
      oboRequests,
      users: plan.users,
      proxiedCalls,
    };
  } finally {
    await kit.stop();
    await bareProxy.stop();
    await demo.stop();
  }
}
