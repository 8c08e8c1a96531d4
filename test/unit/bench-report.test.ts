/**
 * The benchmark's arithmetic and output (bench/): percentiles, paired
 * per-round ratios, the budget lines and the chart. Nothing is measured here.
 */
import assert from "node:assert/strict";
import type { CallsResult, ScenarioResult } from "../../bench/calls.js";
import { renderChart } from "../../bench/chart.js";
import { ratiosOf } from "../../bench/ratios.js";
import { budgetChecks, renderMarkdown, type BenchReport } from "../../bench/report.js";
import { median, percentile } from "../../bench/stats.js";

function scenario(caseId: ScenarioResult["case"], roundP50Ms: number[], roundRps: number[], roundCpu: number[]): ScenarioResult {
  return {
    case: caseId,
    protocol: "2026-07-28",
    concurrency: 1,
    requests: 100,
    p50Ms: median(roundP50Ms),
    p90Ms: 2,
    p99Ms: caseId === "baseline" ? 4 : 5,
    meanMs: 1,
    rps: median(roundRps),
    serverCpuMsPerCall: median(roundCpu),
    clientCpuMsPerCall: 0.2,
    roundP50Ms,
    roundRps,
    roundServerCpuMsPerCall: roundCpu,
  };
}

const calls: CallsResult = {
  scenarios: [
    // Round 2 was a busy moment for everyone: the paired ratio ignores it, a pooled one would not.
    scenario("baseline", [1, 1, 5], [1000, 1000, 200], [1, 1, 4]),
    scenario("kit-full", [1.2, 1.2, 6], [800, 800, 170], [1.1, 1.1, 4.5]),
  ],
  peakRssBytes: { baseline: 100 * 2 ** 20, "kit-full": 120 * 2 ** 20 },
  durationMs: 1000,
};

/** The same figures against the budget's baseline, the bare SDK with its schemas built once. */
const hoistedCalls: CallsResult = {
  scenarios: [{ ...calls.scenarios[0]!, case: "baseline-hoisted" }, calls.scenarios[1]!],
  peakRssBytes: { "baseline-hoisted": 100 * 2 ** 20, "kit-full": 110 * 2 ** 20 },
  durationMs: 1000,
};

describe("benchmark report", () => {
  it("takes percentiles by nearest rank", () => {
    assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
    assert.equal(percentile([5, 1, 3, 2, 4], 99), 5);
    assert.equal(percentile(Float64Array.from([7]), 1), 7);
    assert.ok(Number.isNaN(percentile([], 50)));
  });

  it("reports the median of per-round ratios, so that a busy moment cancels out", () => {
    const [ratio] = ratiosOf(calls);
    assert.equal(ratio!.case, "kit-full");
    assert.equal(ratio!.p50, 1.2);
    assert.equal(ratio!.time, 1.25);
    assert.equal(ratio!.cpu, 1.1);
    assert.equal(ratio!.p99, 1.25);
    assert.equal(ratio!.headline, 1.2);
  });

  it("judges p50, CPU and p99 of the authenticated call, tools/list and peak RSS against the bare SDK with schemas built once", () => {
    const ratiosToHoisted = ratiosOf(hoistedCalls, "baseline-hoisted");
    const lists = [{ label: "50 tools", tools: 50, calls: hoistedCalls, ratios: ratiosToHoisted }];
    const checks = budgetChecks({ calls: hoistedCalls, ratiosToHoisted, lists });
    const verdicts = Object.fromEntries(checks.map((check) => [check.what, [check.ratio, check.limit, check.met]]));
    assert.deepEqual(verdicts, {
      "authenticated tools/call, 2026-07-28, concurrency 1: p50 latency": [1.2, 1.1, false],
      "authenticated tools/call, 2026-07-28, concurrency 1: server CPU per call": [1.1, 1.1, true],
      "authenticated tools/call, 2026-07-28, concurrency 1: p99 latency": [1.25, 1.3, true],
      "tools/list, 50 tools, 2026-07-28, concurrency 1: p50 latency": [1.2, 1.1, false],
      "peak RSS over the tools/call part (32 concurrent callers at the peak), authenticated kit": [1.1, 1.15, true],
    });
    // Against the fast SDK, the examples' wiring gets its own paired ratios (for the table and the chart), and is never judged.
    const both: CallsResult = { ...calls, scenarios: [...calls.scenarios, { ...calls.scenarios[0]!, case: "baseline-hoisted", roundP50Ms: [0.5, 0.5, 2.5], roundServerCpuMsPerCall: [0.5, 0.5, 2] }] };
    const examples = ratiosOf(both, "baseline-hoisted").find((ratio) => ratio.case === "baseline");
    assert.equal(examples?.p50, 2);
    assert.equal(examples?.cpu, 2);
    assert.deepEqual(
      budgetChecks({ calls: both, ratiosToHoisted: ratiosOf(both, "baseline-hoisted") }).map((check) => check.what),
      ["p50 latency", "server CPU per call", "p99 latency"].map((figure) => `authenticated tools/call, 2026-07-28, concurrency 1: ${figure}`),
    );
    // The SDK as its examples wire it is the first round's baseline: it no longer decides anything.
    assert.deepEqual(budgetChecks({ calls, ratiosToHoisted: [], }), []);
  });

  it("judges the gateway's proxied call against the direct one and against the bare-SDK proxy, and reports its On-Behalf-Of requests", () => {
    const gateway = {
      direct: { requests: 100, p50Ms: 2, p99Ms: 5, roundP50Ms: [2, 2], downstreamCpuMsPerCall: 1, kitCpuMsPerCall: 0 },
      bareProxy: { requests: 100, p50Ms: 2.2, p99Ms: 5.5, roundP50Ms: [2.2, 2.2], downstreamCpuMsPerCall: 1, kitCpuMsPerCall: 1.1 },
      proxied: { requests: 100, p50Ms: 2.5, p99Ms: 6, roundP50Ms: [2.5, 2.6], downstreamCpuMsPerCall: 1, kitCpuMsPerCall: 1.5 },
      p50Ratio: 1.25,
      bareProxyP50Ratio: 1.1,
      p50RatioToBareProxy: 1.14,
      cpuRatio: 2.5,
      p50RatioRounds: { min: 1.25, max: 1.3 },
      oboRequests: 20,
      users: 20,
      proxiedCalls: 150,
    };
    const empty = { scenarios: [], peakRssBytes: {}, durationMs: 0 };
    const [check, againstBareProxy] = budgetChecks({ calls: empty, ratiosToHoisted: [], gateway });
    assert.equal(check!.met, true);
    assert.match(check!.what, /gateway: proxied tools\/call vs the same downstream called directly/);
    assert.equal(againstBareProxy!.met, true);
    assert.equal(againstBareProxy!.ratio, 1.14);
    assert.match(againstBareProxy!.what, /vs the same call through the fastest bare-SDK proxy/);
    assert.deepEqual(
      budgetChecks({ calls: empty, ratiosToHoisted: [], gateway: { ...gateway, p50Ratio: 2.1, p50RatioToBareProxy: 1.31 } }).map((judged) => judged.met),
      [false, false],
    );
    const report = { schema: "mcp-functions-kit-bench/1", quick: false, date: "2026-12-02", startedAt: "", durationMs: 1, machine: { cpuModel: "x", cores: 2, memoryGiB: 4, platform: "linux", node: "20", loadAverage: { start: 1, end: 1 } }, versions: {}, plan: { protocols: [], concurrencies: [], warmupRequests: 0, rounds: 0, sliceRequests: {} }, calls: { scenarios: [], peakRssBytes: {}, durationMs: 0 }, ratios: [], ratiosToHoisted: [], gateway, budget: budgetChecks({ calls: empty, ratiosToHoisted: [], gateway }), failures: [] } satisfies BenchReport;
    const markdown = renderMarkdown(report);
    assert.match(markdown, /## Gateway/);
    assert.match(markdown, /the gateway adds 0\.50 ms at p50/);
    assert.match(markdown, /\| through the bare-SDK proxy \| 100 \| 2\.200 \| 5\.50 \| 1\.000 \| 1\.100 \| 1\.10× \|/);
    assert.match(markdown, /The kit's gateway against the bare-SDK proxy: 1\.14× at p50/);
    assert.match(markdown, /Server CPU per call, proxied \(kit \+ downstream\) ÷ direct: 2\.50×/);
    assert.match(markdown, /On-Behalf-Of requests for the downstream over 150 proxied calls by 20 users: 20 \(expected 20/);
  });

  it("writes a Markdown table and a well-formed SVG chart", () => {
    const ratios = ratiosOf(calls);
    const report: BenchReport = {
      schema: "mcp-functions-kit-bench/1",
      quick: true,
      date: "2026-01-01",
      startedAt: "2026-01-01T00:00:00.000Z",
      durationMs: 1000,
      machine: { cpuModel: "Test CPU <&>", cores: 2, memoryGiB: 4, platform: "linux x64", node: "20.0.0", loadAverage: { start: 0.1, end: 0.2 } },
      versions: { "@modelcontextprotocol/server": "2.4.0", zod: "4" },
      plan: { protocols: ["2026-07-28"], concurrencies: [1], warmupRequests: 1, rounds: 3, sliceRequests: { "1": 10 } },
      calls,
      ratios,
      ratiosToHoisted: ratios,
      budget: budgetChecks({ calls, ratiosToHoisted: ratios }),
      failures: [],
    };
    const markdown = renderMarkdown(report);
    // p50, p99 and CPU against the SDK with schemas built once, then p50 and time against the examples' wiring.
    assert.match(markdown, /\| kit, full \(token \+ cached OBO\) \| 2026-07-28 \| 1 \|.*\| 1\.20× \| 1\.25× \| 1\.10× \| 1\.20× \| 1\.25× \|/);
    assert.match(markdown, /\| authenticated tools\/call, 2026-07-28, concurrency 1: p50 latency \| 1\.20× \| 1\.10× \| \*\*no\*\* \|/);
    const svg = renderChart(report);
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.ok(svg.includes("Test CPU &lt;&amp;&gt;"), "text is escaped");
    assert.ok(!svg.includes("NaN"));
    assert.equal((svg.match(/<text /g) ?? []).length, (svg.match(/<\/text>/g) ?? []).length);
    assert.doesNotMatch(markdown, /resources\/read and prompts\/get/, "no section for a part that did not run");
    assert.doesNotMatch(markdown, /Tools from OpenAPI/, "no section for a part that did not run");

    const withLists = renderMarkdown({ ...report, lists: [{ label: "50 tools", tools: 50, calls: hoistedCalls, ratios: ratiosOf(hoistedCalls, "baseline-hoisted") }] });
    assert.match(withLists, /## tools\/list against the bare SDK/);
    assert.match(withLists, /\| 50 tools \| kit, full \(token \+ cached OBO\) \| 2026-07-28 \| 1 \|[^\n]*\| 1\.20× \| 1\.10× \|/);
    assert.doesNotMatch(markdown, /## tools\/list/, "no section for a part that did not run");

    const generation = (tools: number, generateMs: number) => ({ runs: 3, tools, medianImportMs: 200, medianGenerateMs: generateMs, medianGenerateCpuMs: generateMs / 2, vsAppImport: generateMs / 200 });
    const withOpenApi = renderMarkdown({
      ...report,
      openapi: {
        generation: { none: generation(0, 0), subset: generation(20, 300), "subset-unvalidated": generation(20, 100), full: generation(1223, 4000) },
        calls: {
          rounds: 4,
          callsPerSlice: 50,
          handP50Ms: 1,
          generatedP50Ms: 1.1,
          handCpuMsPerCall: 0.8,
          generatedCpuMsPerCall: 0.9,
          p50Ratio: 1.1,
          cpuRatio: 1.125,
          withGithub: { tools: 1225, handP50Ms: 40, handCpuMsPerCall: 38, p50Ratio: 40, cpuRatio: 47.5 },
        },
      },
    });
    assert.match(withOpenApi, /## Tools from OpenAPI/);
    assert.match(withOpenApi, /\| a subset \(20 operations\) \| 300\.0 \| 150\.0 \| 1\.50× \|/);
    assert.match(withOpenApi, /\| all \(1223 operations\) \| 4000\.0 \| 2000\.0 \| 20\.00× \|/);
    assert.match(withOpenApi, /\| the same subset, `validate: false` \| 100\.0 \| 50\.0 \| 0\.50× \|/);
    assert.match(withOpenApi, /\| generated ÷ hand-written \(median of rounds\) \| 1\.10× \| 1\.13× \|/);
    assert.match(withOpenApi, /\| ÷ the same tool with 2 tools served \(median of rounds\) \| 40\.00× \| 47\.50× \|/);
  });

  it("adds a table for resources/read and prompts/get, each against its own baseline", () => {
    const ratios = ratiosOf(calls);
    const markdown = renderMarkdown({
      schema: "mcp-functions-kit-bench/1",
      quick: false,
      date: "2026-01-01",
      startedAt: "2026-01-01T00:00:00.000Z",
      durationMs: 1000,
      machine: { cpuModel: "cpu", cores: 2, memoryGiB: 4, platform: "linux x64", node: "20.0.0", loadAverage: { start: 0, end: 0 } },
      versions: {},
      plan: { protocols: ["2026-07-28"], concurrencies: [1], warmupRequests: 1, rounds: 3, sliceRequests: { "1": 10 } },
      calls: { scenarios: [], peakRssBytes: {}, durationMs: 0 },
      ratios: [],
      ratiosToHoisted: [],
      operations: [{ method: "resources/read", calls, ratios }],
      budget: [],
      failures: [],
    });
    assert.match(markdown, /## resources\/read and prompts\/get against the bare SDK/);
    assert.match(markdown, /\| resources\/read \| bare SDK as its examples wire it \(first round's baseline\) \| 2026-07-28 \|[^\n]*\| 1 \| 1 \|/);
    assert.match(markdown, /\| resources\/read \| kit, full \(token \+ cached OBO\) \| 2026-07-28 \|[^\n]*\| 1\.20× \| 1\.10× \|/);
  });
});
