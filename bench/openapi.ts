/**
 * Tools from OpenAPI (lib/openapi/):
 *
 * - startup: in fresh processes, importing the function app and then
 *   generating tools from GitHub's document (@octokit/openapi, 1,200
 *   operations): none (the baseline: the app alone), a twenty-operation
 *   subset, all of them; interleaved, `runs` times each;
 * - tools/call: a generated tool against a hand-written tool calling the same
 *   endpoint of the same local API, in one kit process (no auth, so the
 *   difference is the tool's own work: schemas, request, answer), driven in
 *   interleaved slices, the order alternating each round.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startServer } from "./ipc.js";
import { drive, keepAliveAgent } from "./load.js";
import { PROJECT_ROOT, serverEntry } from "./paths.js";
import { toolCall } from "./protocol.js";
import { median, round } from "./stats.js";
import type { OpenApiProbeResult } from "./servers/openapi-probe.js";

const run = promisify(execFile);

export type GenerationMode = "none" | "subset" | "full";

export interface GenerationFigures {
  readonly runs: number;
  readonly tools: number;
  /** Median of the app's import in the same processes. */
  readonly medianImportMs: number;
  readonly medianGenerateMs: number;
  readonly medianGenerateCpuMs: number;
  /** Generation time ÷ the app's import time with no OpenAPI tools (the `none` runs). */
  readonly vsAppImport: number;
}

export interface OpenApiCallFigures {
  readonly rounds: number;
  readonly callsPerSlice: number;
  readonly handP50Ms: number;
  readonly generatedP50Ms: number;
  readonly handCpuMsPerCall: number;
  readonly generatedCpuMsPerCall: number;
  /** Median of the per-round p50 ratios, generated ÷ hand-written. */
  readonly p50Ratio: number;
  /** Median of the per-round server CPU ratios. */
  readonly cpuRatio: number;
}

export interface OpenApiResult {
  readonly generation: Readonly<Record<GenerationMode, GenerationFigures>>;
  readonly calls: OpenApiCallFigures;
}

export interface OpenApiPlan {
  readonly generationRuns: number;
  readonly warmupCalls: number;
  readonly rounds: number;
  readonly callsPerSlice: number;
}

/** Runs both measurements. */
export async function measureOpenApi(plan: OpenApiPlan, log: (line: string) => void): Promise<OpenApiResult> {
  const samples: Record<GenerationMode, OpenApiProbeResult[]> = { none: [], subset: [], full: [] };
  for (let index = 0; index < plan.generationRuns; index++) {
    for (const mode of ["none", "subset", "full"] as const) samples[mode].push(await probe(mode));
  }
  log(`  generation: ${plan.generationRuns} fresh processes per mode`);
  const appImportMs = median(samples.none.map((sample) => sample.importMs));
  const figures = (mode: GenerationMode): GenerationFigures => {
    const generateMs = median(samples[mode].map((sample) => sample.generateMs));
    return {
      runs: samples[mode].length,
      tools: samples[mode][0]!.tools,
      medianImportMs: round(median(samples[mode].map((sample) => sample.importMs)), 1),
      medianGenerateMs: round(generateMs, 1),
      medianGenerateCpuMs: round(median(samples[mode].map((sample) => sample.generateCpuMs)), 1),
      vsAppImport: round(generateMs / appImportMs, 2),
    };
  };
  const generation = { none: figures("none"), subset: figures("subset"), full: figures("full") };
  const calls = await measureCalls(plan);
  log(`  tools/call: ${plan.rounds} rounds of ${plan.callsPerSlice} calls per tool`);
  return { generation, calls };
}

async function measureCalls(plan: OpenApiPlan): Promise<OpenApiCallFigures> {
  const server = await startServer({ name: "openapi-calls", entry: serverEntry("openapi-calls") });
  const agent = keepAliveAgent(1);
  try {
    const targets = {
      hand: { url: server.url, request: toolCall("2026-07-28", "hand_listOrders", { top: 5 }), isSuccess: isOrdersAnswer },
      generated: { url: server.url, request: toolCall("2026-07-28", "api_listOrders", { top: 5 }), isSuccess: isOrdersAnswer },
    };
    for (const target of Object.values(targets)) await drive(target, agent, plan.warmupCalls, 1);
    const rounds: Array<{ hand: { p50: number; cpu: number }; generated: { p50: number; cpu: number } }> = [];
    for (let index = 0; index < plan.rounds; index++) {
      const order = index % 2 === 0 ? (["hand", "generated"] as const) : (["generated", "hand"] as const);
      const round: Partial<(typeof rounds)[number]> = {};
      for (const which of order) {
        const before = await server.stats();
        const result = await drive(targets[which], agent, plan.callsPerSlice, 1);
        const after = await server.stats();
        round[which] = { p50: median(result.latenciesMs), cpu: (after.cpuMicros - before.cpuMicros) / 1000 / plan.callsPerSlice };
      }
      rounds.push(round as (typeof rounds)[number]);
    }
    const of = (pick: (entry: (typeof rounds)[number]) => number): number => round4(median(rounds.map(pick)));
    return {
      rounds: plan.rounds,
      callsPerSlice: plan.callsPerSlice,
      handP50Ms: of((entry) => entry.hand.p50),
      generatedP50Ms: of((entry) => entry.generated.p50),
      handCpuMsPerCall: of((entry) => entry.hand.cpu),
      generatedCpuMsPerCall: of((entry) => entry.generated.cpu),
      p50Ratio: round(median(rounds.map((entry) => entry.generated.p50 / entry.hand.p50)), 3),
      cpuRatio: round(median(rounds.map((entry) => entry.generated.cpu / entry.hand.cpu)), 3),
    };
  } finally {
    agent.destroy();
    await server.stop();
  }
}

const round4 = (value: number): number => round(value, 4);

/** Both tools answer the same orders as structured content. */
function isOrdersAnswer(status: number, body: string): boolean {
  return status === 200 && body.includes('"structuredContent":{"value":[{"id":"1001"') && !body.includes('"isError":true');
}

async function probe(mode: GenerationMode): Promise<OpenApiProbeResult> {
  const { stdout } = await run(process.execPath, [serverEntry("openapi-probe"), mode], {
    cwd: PROJECT_ROOT,
    // Only what the import needs (as in cold-start.ts): the app without sign-in, no orders API.
    env: { PATH: process.env["PATH"] ?? "", AUTH_MODE: "none", LOG_LEVEL: "warn" },
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split("\n").pop() ?? "") as OpenApiProbeResult;
}
