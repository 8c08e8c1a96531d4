/**
 * The gateway's cost: a `tools/call` of the demo downstream's `whoami`
 * through the kit (`demo_whoami`: token check, the caller's cached listing,
 * the cached On-Behalf-Of token, one request to the downstream) against the
 * same call made to the downstream directly with a valid token for it, in
 * the same run, interleaved round by round like the tools/call part.
 *
 * The downstream (dev/demo-mcp, plain HTTP so both paths are alike) and the
 * kit (servers/kit.ts, mode `gateway`) each run in a process of their own,
 * so that both paths cross the same process boundaries; the Entra stand-in
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
  /** CPU time per call of the kit's process, ms; 0 for the direct path. */
  readonly kitCpuMsPerCall: number;
}

export interface GatewayBenchResult {
  readonly direct: GatewayCaseResult;
  readonly proxied: GatewayCaseResult;
  /** Median of the per-round p50 ratios, proxied ÷ direct. */
  readonly p50Ratio: number;
  /** Server CPU per call, proxied (kit + downstream) ÷ direct (downstream): less sensitive than latency to a busy machine. */
  readonly cpuRatio: number;
  readonly p50RatioRounds: { readonly min: number; readonly max: number };
  /** On-Behalf-Of requests the stand-in answered over the whole proxied run, and how many users made it. */
  readonly oboRequests: number;
  readonly users: number;
  readonly proxiedCalls: number;
}

/** The budget for a proxied call against the direct one, at one caller (issue 12). */
export const GATEWAY_BUDGET = 1.3;

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
  const kit = await startServer({ name: "kit-gateway", entry: serverEntry("kit"), args: ["gateway"], env: { ...entra.kitEnv, BENCH_DEMO_MCP_URL: demo.url.href } });
  try {
    const kitTokens = await entra.tokens(plan.firstUser, plan.users);
    const demoTokens = await Promise.all(
      Array.from({ length: plan.users }, (_, offset) => entra.standIn.mintAccessToken({ user: benchUser(plan.firstUser + offset).alias, audience: DEMO_MCP_IDENTIFIER_URI, scopes: [DEMO_MCP_SCOPE] })),
    );
    const targets = {
      direct: { url: demo.url, request: toolCall("whoami"), headersFor: (index: number) => ({ authorization: `Bearer ${demoTokens[index % plan.users]}` }), isSuccess: isWhoamiAnswer },
      proxied: { url: kit.url, request: toolCall("demo_whoami"), headersFor: (index: number) => ({ authorization: `Bearer ${kitTokens[index % plan.users]}` }), isSuccess: isWhoamiAnswer },
    } as const;
    const agents = { direct: keepAliveAgent(1), proxied: keepAliveAgent(1) };
    const oboBefore = entra.oboRequests();
    let proxiedCalls = 0;
    for (const name of ["direct", "proxied"] as const) {
      await drive(targets[name], agents[name], plan.warmupRequests, 1);
      if (name === "proxied") proxiedCalls += plan.warmupRequests;
    }
    const samples = { direct: [] as Float64Array[], proxied: [] as Float64Array[] };
    const roundP50 = { direct: [] as number[], proxied: [] as number[] };
    const cpuMicros = { direct: { demo: 0, kit: 0 }, proxied: { demo: 0, kit: 0 } };
    for (let roundIndex = 0; roundIndex < plan.rounds; roundIndex++) {
      const order = roundIndex % 2 === 0 ? (["direct", "proxied"] as const) : (["proxied", "direct"] as const);
      for (const name of order) {
        const [demoBefore, kitBefore] = await Promise.all([demo.stats(), kit.stats()]);
        const result = await drive(targets[name], agents[name], plan.sliceRequests, 1, roundIndex * plan.sliceRequests);
        const [demoAfter, kitAfter] = await Promise.all([demo.stats(), kit.stats()]);
        cpuMicros[name].demo += demoAfter.cpuMicros - demoBefore.cpuMicros;
        // Only the proxied path's calls reach the kit; what it burns while the direct path runs is its idle cost.
        if (name === "proxied") cpuMicros[name].kit += kitAfter.cpuMicros - kitBefore.cpuMicros;
        if (name === "proxied") proxiedCalls += plan.sliceRequests;
        samples[name].push(result.latenciesMs);
        roundP50[name].push(round(median(result.latenciesMs), 4));
      }
    }
    agents.direct.destroy();
    agents.proxied.destroy();
    const oboRequests = entra.oboRequests() - oboBefore;
    const figures = (name: "direct" | "proxied"): GatewayCaseResult => {
      const all = Float64Array.from(samples[name].flatMap((part) => [...part]));
      return {
        requests: all.length,
        p50Ms: round(percentile(all, 50), 4),
        p99Ms: round(percentile(all, 99), 4),
        roundP50Ms: roundP50[name],
        downstreamCpuMsPerCall: round(cpuMicros[name].demo / 1000 / all.length, 4),
        kitCpuMsPerCall: round(cpuMicros[name].kit / 1000 / all.length, 4),
      };
    };
    const ratios = roundP50.proxied.map((value, index) => value / roundP50.direct[index]!).filter(Number.isFinite);
    log(`  gateway: ${proxiedCalls} proxied calls by ${plan.users} users, ${oboRequests} OBO requests`);
    const direct = figures("direct");
    const proxied = figures("proxied");
    return {
      direct,
      proxied,
      p50Ratio: round(median(ratios), 3),
      cpuRatio: round((proxied.kitCpuMsPerCall + proxied.downstreamCpuMsPerCall) / direct.downstreamCpuMsPerCall, 3),
      p50RatioRounds: { min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3) },
      oboRequests,
      users: plan.users,
      proxiedCalls,
    };
  } finally {
    await kit.stop();
    await demo.stop();
  }
}
