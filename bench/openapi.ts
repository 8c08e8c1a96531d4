/**
 * Tools from OpenAPI (lib/openapi/):
 *
 * - startup: in fresh processes, importing the function app and then
 *   generating tools from GitHub's document (@octokit/openapi, 1,200
 *   operations): none (the baseline: the app alone), a twenty-operation
 *   subset (validated, and with `validate: false`), all of them;
 *   interleaved, `runs` times each;
 * - tools/call: a generated tool against a hand-written tool calling the same
 *   endpoint of the same local API, in one kit process (no auth, so the
 *   difference is the tool's own work: schemas, request, answer); and the
 *   hand-written tool again in a process that also serves all of GitHub's
 *   operations (what a long tool list costs every call); driven in
 *   interleaved slices, the order rotated each round.
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

export type GenerationMode = "none" | "subset" | "subset-unvalidated" | "full";
const MODES: readonly GenerationMode[] = ["none", "subset", "subset-unvalidated", "full"];

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
  /** The hand-written tool in a process that also serves every GitHub operation as a tool. */
  readonly withGithub: { readonly tools: number; readonly handP50Ms: number; readonly handCpuMsPerCall: number; readonly p50Ratio: number; readonly cpuRatio: number };
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
  const samples: Record<GenerationMode, OpenApiProbeResult[]> = { none: [], subset: [], "subset-unvalidated": [], full: [] };
  for (let index = 0; index < plan.generationRuns; index++) {
    for (const mode of MODES) samples[mode].push(await probe(mode));
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
  const generation = Object.fromEntries(MODES.map((mode) => [mode, figures(mode)])) as Record<GenerationMode, GenerationFigures>;
  const calls = await measureCalls(plan, generation.full.tools);
  log(`  tools/call: ${plan.rounds} rounds of ${plan.callsPerSlice} calls per tool`);
  return { generation, calls };
}

type Slice = { readonly p50: number; readonly cpu: number };

/** `githubOperations`: how many tools GitHub's document makes (the crowded server serves them all). */
async function measureCalls(plan: OpenApiPlan, githubOperations: number): Promise<OpenApiCallFigures> {
  const plain = await startServer({ name: "openapi-calls", entry: serverEntry("openapi-calls") });
  const crowded = await startServer({ name: "openapi-calls (with GitHub)", entry: serverEntry("openapi-calls"), args: ["with-github"], timeoutMs: 180_000 });
  const agents = [keepAliveAgent(1), keepAliveAgent(1)] as const;
  try {
    const call = (name: string) => toolCall("2026-07-28", name, { top: 5 });
    const cases = {
      hand: { server: plain, agent: agents[0], target: { url: plain.url, request: call("hand_listOrders"), isSuccess: isOrdersAnswer } },
      generated: { server: plain, agent: agents[0], target: { url: plain.url, request: call("api_listOrders"), isSuccess: isOrdersAnswer } },
      crowded: { server: crowded, agent: agents[1], target: { url: crowded.url, request: call("hand_listOrders"), isSuccess: isOrdersAnswer } },
    };
    type CaseName = keyof typeof cases;
    const names = Object.keys(cases) as CaseName[];
    for (const entry of Object.values(cases)) await drive(entry.target, entry.agent, plan.warmupCalls, 1);
    const rounds: Array<Record<CaseName, Slice>> = [];
    for (let index = 0; index < plan.rounds; index++) {
      // Rotated each round, so that a busy moment of the machine falls on every case alike.
      const order = [...names.slice(index % names.length), ...names.slice(0, index % names.length)];
      const slices: Partial<Record<CaseName, Slice>> = {};
      for (const name of order) {
        const { server, agent, target } = cases[name];
        const before = await server.stats();
        const result = await drive(target, agent, plan.callsPerSlice, 1);
        const after = await server.stats();
        slices[name] = { p50: median(result.latenciesMs), cpu: (after.cpuMicros - before.cpuMicros) / 1000 / plan.callsPerSlice };
      }
      rounds.push(slices as Record<CaseName, Slice>);
    }
    const of = (pick: (entry: Record<CaseName, Slice>) => number, digits = 4): number => round(median(rounds.map(pick)), digits);
    return {
      rounds: plan.rounds,
      callsPerSlice: plan.callsPerSlice,
      handP50Ms: of((entry) => entry.hand.p50),
      generatedP50Ms: of((entry) => entry.generated.p50),
      handCpuMsPerCall: of((entry) => entry.hand.cpu),
      generatedCpuMsPerCall: of((entry) => entry.generated.cpu),
      p50Ratio: of((entry) => entry.generated.p50 / entry.hand.p50, 3),
      cpuRatio: of((entry) => entry.generated.cpu / entry.hand.cpu, 3),
      withGithub: {
        tools: githubOperations + 2,
        handP50Ms: of((entry) => entry.crowded.p50),
        handCpuMsPerCall: of((entry) => entry.crowded.cpu),
        p50Ratio: of((entry) => entry.crowded.p50 / entry.hand.p50, 3),
        cpuRatio: of((entry) => entry.crowded.cpu / entry.hand.cpu, 3),
      },
    };
  } finally {
    for (const agent of agents) agent.destroy();
    await plain.stop();
    await crowded.stop();
  }
}

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
