/**
 * What a run records (`bench/results/<date>.json`) and its Markdown summary
 * (`<date>.md`): the tables with the ratios to the baseline, cold start, OBO
 * economy and memory, and the verdict against the budget.
 */
import type { CallsPlan, CallsResult, CaseId } from "./calls.js";
import type { ColdStartResult } from "./cold-start.js";
import { GATEWAY_BUDGET, type GatewayBenchResult } from "./gateway.js";
import type { MemoryCurve } from "./memory.js";
import type { OboEconomyResult } from "./obo-economy.js";
import type { OpenApiResult } from "./openapi.js";
import {
  FIRST_ROUND_TOOL_CALL_BUDGET,
  IMPORT_BUDGET,
  PEAK_RSS_BUDGET,
  ratioOf,
  scenarioOf,
  TOOL_CALL_BUDGET,
  TOOL_CALL_P99_BUDGET,
  TOOLS_LIST_BUDGET,
  type CaseRatios,
} from "./ratios.js";
import { round } from "./stats.js";

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  /** 1-minute load average when the run started and ended: other work on the machine. */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** One budget line: the figure, the limit and whether it is met. */
export interface BudgetCheck {
  readonly what: string;
  readonly ratio: number;
  readonly limit: number;
  readonly met: boolean;
}

export interface BenchReport {
  readonly schema: "mcp-functions-kit-bench/1";
  readonly quick: boolean;
  readonly date: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly machine: MachineInfo;
  readonly versions: Readonly<Record<string, string>>;
  readonly plan: Omit<CallsPlan, "sliceRequests" | "onSlice" | "operation"> & { readonly sliceRequests: Readonly<Record<string, number>> };
  readonly calls: CallsResult;
  readonly ratios: readonly CaseRatios[];
  /** The kit's ratios to the bare SDK with its schema built once (context only). */
  readonly ratiosToHoisted: readonly CaseRatios[];
  readonly coldStart?: ColdStartResult;
  readonly oboEconomy?: OboEconomyResult;
  readonly memory?: readonly MemoryCurve[];
  /** The gateway: a proxied call against the same downstream called directly. */
  readonly gateway?: GatewayBenchResult;
  /** `resources/read` and `prompts/get` against the bare SDK (context, not the budget). */
  readonly operations?: readonly OperationResult[];
  /** Tools from OpenAPI: generation at startup and a generated tool call. */
  readonly openapi?: OpenApiResult;
  /** tools/list of fifty tools, and of fifty plus fifty through the gateway, against the bare SDK listing the same. */
  readonly lists?: readonly ListResult[];
  readonly budget: readonly BudgetCheck[];
  /** Parts of the run that failed (their figures are missing). */
  readonly failures: ReadonlyArray<{ readonly part: string; readonly error: string }>;
}

/** One tools/list comparison: the bare SDK (`baseline-hoisted`) and the kit (`kit-full`) listing the same tools. */
export interface ListResult {
  readonly label: string;
  readonly tools: number;
  readonly calls: CallsResult;
  /** The kit's ratios to the bare SDK. */
  readonly ratios: readonly CaseRatios[];
}

/** One operation other than tools/call, measured like it. */
export interface OperationResult {
  readonly method: string;
  readonly calls: CallsResult;
  readonly ratios: readonly CaseRatios[];
}

export const CASE_LABELS: Readonly<Record<CaseId, string>> = {
  baseline: "bare SDK as its examples wire it (first round's baseline)",
  "baseline-hoisted": "bare SDK, schemas built once (the budget's baseline)",
  "kit-none": "kit, no auth",
  "kit-full": "kit, full (token + cached OBO)",
  "kit-telemetry": "kit, full, telemetry on (Application Insights)",
};

/** The budget lines a run is judged on (issue 17: against the bare SDK with its schemas built once). */
export function budgetChecks(report: Pick<BenchReport, "calls" | "ratiosToHoisted" | "coldStart" | "gateway" | "lists">): BudgetCheck[] {
  const checks: BudgetCheck[] = [];
  const check = (what: string, ratio: number, limit: number): void => {
    checks.push({ what, ratio, limit, met: ratio <= limit });
  };
  for (const ratio of report.ratiosToHoisted.filter((candidate) => candidate.case === "kit-full")) {
    const where = `${ratio.protocol}, concurrency ${ratio.concurrency}`;
    check(`authenticated tools/call, ${where}: p50 latency`, ratio.p50, TOOL_CALL_BUDGET);
    check(`authenticated tools/call, ${where}: server CPU per call`, ratio.cpu, TOOL_CALL_BUDGET);
    check(`authenticated tools/call, ${where}: p99 latency`, ratio.p99, TOOL_CALL_P99_BUDGET);
  }
  for (const list of report.lists ?? []) {
    for (const ratio of list.ratios.filter((candidate) => candidate.case === "kit-full")) {
      check(`tools/list, ${list.label}, ${ratio.protocol}, concurrency ${ratio.concurrency}: p50 latency`, ratio.p50, TOOLS_LIST_BUDGET);
    }
  }
  const kitRss = report.calls.peakRssBytes["kit-full"];
  const sdkRss = report.calls.peakRssBytes["baseline-hoisted"];
  if (kitRss !== undefined && sdkRss !== undefined) check("peak RSS over the tools/call part (32 concurrent callers at the peak), authenticated kit", round(kitRss / sdkRss, 3), PEAK_RSS_BUDGET);
  const coldStart = report.coldStart;
  if (coldStart !== undefined) {
    for (const [label, figures] of [
      ["local settings", coldStart.import.appLocal],
      ["Azure settings", coldStart.import.appAzure],
      ...(coldStart.import.appAzureTelemetry === undefined ? [] : [["Azure settings, telemetry on", coldStart.import.appAzureTelemetry] as const]),
    ] as const) {
      check(`import of the function app (${label}) vs @modelcontextprotocol/server`, round(figures.medianMs / coldStart.import.sdk.medianMs, 3), IMPORT_BUDGET);
    }
  }
  if (report.gateway !== undefined) {
    check("gateway: proxied tools/call vs the same downstream called directly with a valid token (p50 latency, concurrency 1)", report.gateway.p50Ratio, GATEWAY_BUDGET);
    check("gateway: proxied tools/call vs the same call through the fastest bare-SDK proxy (p50 latency, concurrency 1)", report.gateway.p50RatioToBareProxy, GATEWAY_BUDGET);
  }
  return checks;
}

const fixed = (value: number, digits = 2): string => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const times = (value: number): string => `${fixed(value)}×`;
const mib = (bytes: number): string => `${fixed(bytes / 2 ** 20, 1)} MiB`;

/** The Markdown summary of a run. */
export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  const { machine } = report;
  lines.push(`# Benchmark ${report.date}${report.quick ? " (quick: harness check, figures meaningless)" : ""}`, "");
  lines.push(
    `${machine.cpuModel}, ${machine.cores} cores, ${fixed(machine.memoryGiB, 0)} GiB, ${machine.platform}, Node ${machine.node}; ` +
      `load average ${fixed(machine.loadAverage.start)} at the start, ${fixed(machine.loadAverage.end)} at the end. ` +
      `MCP SDK ${report.versions["@modelcontextprotocol/server"] ?? "?"}, zod ${report.versions["zod"] ?? "?"}. Run took ${fixed(report.durationMs / 60000, 1)} min.`,
    "",
  );

  if (report.failures.length > 0) {
    lines.push("## Failed parts", "", ...report.failures.map((failure) => `- ${failure.part}: ${failure.error.split("\n")[0]}`), "");
  }
  lines.push("## Budget", "");
  lines.push("| Figure | Ratio | Limit | Met |", "|---|---:|---:|:---:|");
  for (const check of report.budget) lines.push(`| ${check.what} | ${times(check.ratio)} | ${times(check.limit)} | ${check.met ? "yes" : "**no**"} |`);
  const heavy = report.coldStart === undefined ? undefined : [...new Set([...report.coldStart.import.appLocal.heavyLoaded, ...report.coldStart.import.appAzure.heavyLoaded])];
  if (heavy !== undefined) lines.push(`| heavy modules (msal, @azure/identity, Key Vault, Tables, Redis, the OpenAPI parser; OpenTelemetry with telemetry off) loaded at import | ${heavy.length === 0 ? "none" : heavy.join(", ")} | none | ${heavy.length === 0 ? "yes" : "**no**"} |`);
  lines.push("");
  const firstRound = report.ratios.filter((ratio) => ratio.case === "kit-full");
  if (firstRound.length > 0) {
    lines.push(
      `The first round's line (DESIGN.md: ≤ ${FIRST_ROUND_TOOL_CALL_BUDGET}× the bare SDK as its examples wire it, building the tool's schema per request), shown, no longer judged: ` +
        firstRound.map((ratio) => `${ratio.protocol} c${ratio.concurrency} ${times(ratio.headline)}`).join(", ") +
        ` (p50 at concurrency 1, time per call from throughput at 32).`,
      "",
    );
  }
  const telemetry = report.ratiosToHoisted.filter((ratio) => ratio.case === "kit-telemetry");
  if (telemetry.length > 0) {
    const againstKit = (ratio: CaseRatios, pick: "p50" | "cpu"): string => {
      const kit = ratioOf(report.ratiosToHoisted, "kit-full", ratio.protocol, ratio.concurrency);
      return kit === undefined ? "–" : times(ratio[pick] / kit[pick]);
    };
    lines.push(
      "Telemetry on (no budget line; spans and metrics exported to a fake Application Insights ingestion endpoint in the benchmark's process), against the bare SDK with schemas built once, and against the same kit with telemetry off: " +
        telemetry.map((ratio) => `${ratio.protocol} c${ratio.concurrency} p50 ${times(ratio.p50)} (${againstKit(ratio, "p50")} of telemetry off), CPU ${times(ratio.cpu)} (${againstKit(ratio, "cpu")})`).join("; ") +
        ".",
      "",
    );
  }

  if (report.calls.scenarios.length > 0) lines.push(...callsSection(report));
  if (report.lists !== undefined && report.lists.length > 0) lines.push(...listsSection(report.lists));
  if (report.operations !== undefined && report.operations.length > 0) lines.push(...operationsSection(report.operations));

  if (report.coldStart !== undefined) {
    const { import: imports, firstCall } = report.coldStart;
    lines.push("## Cold start", "");
    lines.push("| Import (fresh process each) | median ms | min ms | median CPU ms | × SDK (median) | packages loaded |", "|---|---:|---:|---:|---:|---|");
    for (const [label, figures] of [
      ["`@modelcontextprotocol/server` alone", imports.sdk],
      ["function app, all endpoints, local settings", imports.appLocal],
      ["function app, all endpoints, Azure settings (managed identity, Key Vault, Table cache)", imports.appAzure],
      ...(imports.appAzureTelemetry === undefined
        ? []
        : [["the same, telemetry on (Application Insights, Entra auth; the audit run waits 100 ms, so part of the background load shows)", imports.appAzureTelemetry] as const]),
    ] as const) {
      lines.push(
        `| ${label} | ${fixed(figures.medianMs, 1)} | ${fixed(figures.minMs, 1)} | ${fixed(figures.medianCpuMs, 1)} | ${times(figures.medianMs / imports.sdk.medianMs)} | ${figures.packages.join(", ")} |`,
      );
    }
    lines.push("");
    if (report.coldStart.telemetryReady !== undefined) {
      const ready = report.coldStart.telemetryReady;
      lines.push(
        `With telemetry on, OpenTelemetry and the Azure Monitor distro load after the import: telemetry records ${fixed(ready.medianMs, 0)} ms (median; min ${fixed(ready.minMs, 0)} ms) after the import started; requests arriving before are served untraced.`,
        "",
      );
    }
    lines.push("| Process start → … (median) | listening | first tools/call answered |", "|---|---:|---:|");
    lines.push(`| bare SDK, first tools/call | ${fixed(firstCall.baseline.medianReadyMs, 0)} ms | ${fixed(firstCall.baseline.medianFirstCallMs, 0)} ms |`);
    lines.push(
      `| kit, first authenticated tools/call (signing keys fetched, secret read, one OBO exchange) | ${fixed(firstCall.kitFull.medianReadyMs, 0)} ms | ${fixed(firstCall.kitFull.medianFirstCallMs, 0)} ms |`,
    );
    lines.push("");
    const breakdown = report.coldStart.firstCallBreakdown;
    if (breakdown !== undefined) {
      lines.push(
        `The kit's first authenticated tools/call, from the moment it is sent until it is answered (the process already listening), against the warm calls that follow in the same process: ` +
          `${fixed(breakdown.medianFirstMs, 1)} ms against ${fixed(breakdown.medianWarmMs, 3)} ms, ${fixed(breakdown.ratio, 1)}× (medians of ${breakdown.runs} fresh processes). ` +
          "Where the first call's time goes, by the moments its requests reached the Entra stand-in (the client secret comes from the environment here: a Key Vault read would add one round trip):",
        "",
      );
      if (breakdown.phases.length === 0) lines.push("(The runs made different requests to Entra, so no phases are shown.)", "");
      else lines.push("| Step | median ms |", "|---|---:|", ...breakdown.phases.map((phase) => `| ${phase.step} | ${fixed(phase.medianMs, 1)} |`), "");
    }
  }

  if (report.oboEconomy !== undefined) {
    lines.push("## On-Behalf-Of economy", "");
    lines.push("| Scenario | Calls | Users | OBO requests to Entra | Per 1,000 calls | Expected |", "|---|---:|---:|---:|---:|---:|");
    for (const scenario of report.oboEconomy.scenarios) {
      lines.push(
        `| ${scenario.description} | ${scenario.calls} | ${scenario.users} | ${scenario.oboRequests} | ${fixed((scenario.oboRequests * 1000) / scenario.calls, 0)} | ${scenario.expected ?? "–"} |`,
      );
    }
    if (report.oboEconomy.skipped !== undefined) lines.push("", `Shared-cache scenarios skipped: ${report.oboEconomy.skipped}.`);
    lines.push("");
  }

  if (report.gateway !== undefined) {
    const { gateway } = report;
    lines.push("## Gateway", "");
    lines.push(
      "The demo downstream's `whoami` (dev/demo-mcp, SDK v2, plain HTTP, in a process of its own) called directly with a token for its own audience, " +
        "against `demo_whoami` through the kit (its own process: token check, the caller's cached listing, the cached On-Behalf-Of token, one request to the downstream), " +
        "and through the fastest gateway the bare SDKs make (a bare SDK server whose one tool forwards through one MCP client connected at startup, with one fixed token: no sign-in, no On-Behalf-Of, nothing per user); " +
        "2026-07-28, concurrency 1, interleaved rounds; ratios: median of the per-round p50 ratios.",
      "",
      "| Path | Calls | p50 ms | p99 ms | downstream CPU ms/call | CPU ms/call in between | p50 ÷ direct |",
      "|---|---:|---:|---:|---:|---:|---:|",
      `| downstream called directly | ${gateway.direct.requests} | ${fixed(gateway.direct.p50Ms, 3)} | ${fixed(gateway.direct.p99Ms, 2)} | ${fixed(gateway.direct.downstreamCpuMsPerCall, 3)} | – | 1 |`,
      `| through the bare-SDK proxy | ${gateway.bareProxy.requests} | ${fixed(gateway.bareProxy.p50Ms, 3)} | ${fixed(gateway.bareProxy.p99Ms, 2)} | ${fixed(gateway.bareProxy.downstreamCpuMsPerCall, 3)} | ${fixed(gateway.bareProxy.kitCpuMsPerCall, 3)} | ${times(gateway.bareProxyP50Ratio)} |`,
      `| through the kit's gateway | ${gateway.proxied.requests} | ${fixed(gateway.proxied.p50Ms, 3)} | ${fixed(gateway.proxied.p99Ms, 2)} | ${fixed(gateway.proxied.downstreamCpuMsPerCall, 3)} | ${fixed(gateway.proxied.kitCpuMsPerCall, 3)} | ${times(gateway.p50Ratio)} |`,
      "",
      `The kit's gateway against the bare-SDK proxy: ${times(gateway.p50RatioToBareProxy)} at p50.`,
      "",
      `Server CPU per call, proxied (kit + downstream) ÷ direct: ${times(gateway.cpuRatio)}.`,
      "",
      `p50 ratio ${times(gateway.p50Ratio)} (rounds ${fixed(gateway.p50RatioRounds.min)}–${fixed(gateway.p50RatioRounds.max)}); the gateway adds ${fixed(gateway.proxied.p50Ms - gateway.direct.p50Ms, 2)} ms at p50, ` +
        "the kit's hop (its own request handling, then an MCP client request to the downstream): a downstream whose tools do real work sees the same milliseconds added and a smaller ratio. " +
        `On-Behalf-Of requests for the downstream over ${gateway.proxiedCalls} proxied calls by ${gateway.users} users: ${gateway.oboRequests} (expected ${gateway.users}: one per user and server per token lifetime).`,
      "",
    );
  }

  if (report.memory !== undefined && report.memory.length > 0) {
    lines.push("## Memory after many distinct users", "");
    lines.push(
      `Heap after a full collection, in a fresh process per mode, after ${report.memory[0]!.warmupUsers} warm-up users; each user's token goes through the path once. ` +
        "Bounds: the kit's OBO cache keeps 5,000 entries (32 MiB), its remembered tokens 2,000; MSAL's cache is emptied past 2,000 entries by the kit's plugin. " +
        "A mode stops early when its time is up.",
      "",
      "| Path | Users | Heap before | Heap after | Growth | Second half, per 1,000 users | ms per user, first → last interval | MSAL accounts cached at the end | Users retried |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    const labels: Record<string, string> = {
      kit: "kit: gate + `obo()` exchange, bounded OBO cache",
      "msal-bounded": "MSAL `acquireTokenOnBehalfOf` on `createMsalClient` (bounding plugin)",
      "msal-unbounded": "the same, bound disabled (MSAL's cache by itself)",
    };
    for (const curve of report.memory) {
      const first = curve.samples[0]!;
      const last = curve.samples[curve.samples.length - 1]!;
      lines.push(
        `| ${labels[curve.mode] ?? curve.mode} | ${curve.users}${curve.users < curve.usersPlanned ? ` of ${curve.usersPlanned} (time up)` : ""} | ${mib(first.heapUsedBytes)} | ${mib(last.heapUsedBytes)} | ${fixed(curve.heapGrowthMiB, 1)} MiB | ${fixed(curve.secondHalfMiBPer1000Users, 2)} MiB | ${fixed(curve.msPerUser.first, 1)} → ${fixed(curve.msPerUser.last, 1)} | ${last.msalAccounts ?? "–"} | ${curve.retries} |`,
      );
    }
    lines.push("", "Heap (MiB) by users so far:", "");
    for (const curve of report.memory) {
      lines.push(`- ${curve.mode}: ${curve.samples.map((sample) => `${sample.users}: ${fixed(sample.heapUsedBytes / 2 ** 20, 1)}`).join(", ")}`);
    }
    lines.push("");
  }
  if (report.openapi !== undefined) lines.push(...openApiSection(report.openapi));
  return `${lines.join("\n")}\n`;
}

/** The tools/call table against the bare SDK. */
function callsSection(report: BenchReport): string[] {
  const lines = ["## tools/call against the bare SDK", ""];
  lines.push(
    `Each case's server in its own process, driven over loopback HTTP/1.1 with keep-alive; ${report.plan.warmupRequests} warm-up calls per case, protocol and concurrency, ` +
      `then ${report.plan.rounds} rounds of interleaved slices (${Object.entries(report.plan.sliceRequests)
        .map(([concurrency, count]) => `${count} calls at concurrency ${concurrency}`)
        .join(", ")}), the order rotated each round. Ratios: median of the per-round ratios (p99: whole run); ` +
      "the first three ratios are against the bare SDK with its schemas built once (the budget's baseline), the last two against the SDK as its examples wire it (the first round's); " +
      "time × = that SDK's throughput ÷ the case's. The load driver runs on the same two cores as the servers.",
    "",
  );
  lines.push(
    "| Case | Protocol | Conc. | p50 ms | p99 ms | req/s | server CPU ms/call | peak RSS | p50 × | p99 × | CPU × | p50 × (examples) | time × (examples) |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const concurrency of report.plan.concurrencies) {
    for (const protocol of report.plan.protocols) {
      for (const caseId of ["baseline", "baseline-hoisted", "kit-none", "kit-full", "kit-telemetry"] as const) {
        const scenario = scenarioOf(report.calls, caseId, protocol, concurrency);
        if (scenario === undefined) continue;
        const fast = ratioOf(report.ratiosToHoisted, caseId, protocol, concurrency);
        const examples = ratioOf(report.ratios, caseId, protocol, concurrency);
        const fastCells = caseId === "baseline-hoisted" ? ["1", "1", "1"] : fast === undefined ? ["–", "–", "–"] : [times(fast.p50), times(fast.p99), times(fast.cpu)];
        const exampleCells = caseId === "baseline" ? ["1", "1"] : examples === undefined ? ["–", "–"] : [times(examples.p50), times(examples.time)];
        const cells = [...fastCells, ...exampleCells];
        lines.push(
          `| ${CASE_LABELS[caseId]} | ${protocol} | ${concurrency} | ${fixed(scenario.p50Ms, 3)} | ${fixed(scenario.p99Ms, 2)} | ${fixed(scenario.rps, 0)} | ${fixed(scenario.serverCpuMsPerCall, 3)} | ${mib(report.calls.peakRssBytes[caseId] ?? Number.NaN)} | ${cells.join(" | ")} |`,
        );
      }
    }
  }
  lines.push("", "Spread of the per-round p50 ratios to the SDK with schemas built once (min–max): " + report.ratiosToHoisted.map((ratio) => `${ratio.case} ${ratio.protocol} c${ratio.concurrency}: ${fixed(ratio.p50Rounds.min)}–${fixed(ratio.p50Rounds.max)}`).join("; ") + ".", "");
  return lines;
}

/** tools/list against the bare SDK listing the same tools. */
function listsSection(lists: readonly ListResult[]): string[] {
  const lines = ["## tools/list against the bare SDK", ""];
  lines.push(
    "The same fifty tools (bench/fifty-tools.ts: a title, a description, annotations, three to five typed fields each) listed by the bare SDK with its schemas built once and by the authenticated kit (a validated token per call); " +
      "with the gateway, the kit lists fifty of its own and fifty from a downstream (a bare SDK in its own process serving the same fifty), from its cached per-user listing, against a bare SDK serving all hundred. " +
      "Measured like tools/call; ratios: median of the per-round ratios.",
    "",
    "| Tools listed | Case | Protocol | Conc. | p50 ms | p99 ms | server CPU ms/call | p50 × | CPU × |",
    "|---|---|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const list of lists) {
    for (const scenario of list.calls.scenarios) {
      const ratio = ratioOf(list.ratios, scenario.case, scenario.protocol, scenario.concurrency);
      lines.push(
        `| ${list.label} | ${CASE_LABELS[scenario.case]} | ${scenario.protocol} | ${scenario.concurrency} | ${fixed(scenario.p50Ms, 3)} | ${fixed(scenario.p99Ms, 2)} | ${fixed(scenario.serverCpuMsPerCall, 3)} | ${ratio === undefined ? "1" : times(ratio.p50)} | ${ratio === undefined ? "1" : times(ratio.cpu)} |`,
      );
    }
  }
  lines.push("");
  return lines;
}

/** The "Tools from OpenAPI" section: no budget line (DESIGN.md sets none), the figures and their ratios. */
function openApiSection(openapi: OpenApiResult): string[] {
  const { generation, calls } = openapi;
  const lines = ["## Tools from OpenAPI", ""];
  lines.push(
    `Generation at startup from GitHub's document (@octokit/openapi), in a fresh process after importing the function app; ${generation.none.runs} run(s) per mode, interleaved. ` +
      `× app import: generation time ÷ the app's own import (${fixed(generation.none.medianImportMs, 1)} ms, no OpenAPI tools).`,
    "",
    "| Tools generated | median ms | median CPU ms | × app import |",
    "|---|---:|---:|---:|",
  );
  for (const [label, figures] of [
    ["none (the app alone)", generation.none],
    [`a subset (${generation.subset.tools} operations)`, generation.subset],
    [`the same subset, \`validate: false\``, generation["subset-unvalidated"]],
    [`all (${generation.full.tools} operations)`, generation.full],
  ] as const) {
    lines.push(`| ${label} | ${fixed(figures.medianGenerateMs, 1)} | ${fixed(figures.medianGenerateCpuMs, 1)} | ${figures === generation.none ? "–" : times(figures.vsAppImport)} |`);
  }
  lines.push(
    "",
    `A generated tool call against a hand-written tool calling the same endpoint of the same local API (one kit process, no auth, concurrency 1, ${calls.rounds} rounds of ${calls.callsPerSlice} calls per case, the order rotated each round):`,
    "",
    "| Tool | p50 ms | server CPU ms/call |",
    "|---|---:|---:|",
    `| hand-written (zod, fetch) | ${fixed(calls.handP50Ms, 3)} | ${fixed(calls.handCpuMsPerCall, 3)} |`,
    `| generated by openApiTools | ${fixed(calls.generatedP50Ms, 3)} | ${fixed(calls.generatedCpuMsPerCall, 3)} |`,
    `| generated ÷ hand-written (median of rounds) | ${times(calls.p50Ratio)} | ${times(calls.cpuRatio)} |`,
    `| hand-written, in a kit also serving GitHub's operations (${calls.withGithub.tools} tools) | ${fixed(calls.withGithub.handP50Ms, 3)} | ${fixed(calls.withGithub.handCpuMsPerCall, 3)} |`,
    `| ÷ the same tool with 2 tools served (median of rounds) | ${times(calls.withGithub.p50Ratio)} | ${times(calls.withGithub.cpuRatio)} |`,
    "",
    "Every request builds its server (the MCP SDK's stateless serving); a tools/call registers only the tool it calls, a tools/list every tool, so a long tool list costs the lists: expose the operations that matter (`include`).",
    "",
  );
  return lines;
}

/** resources/read and prompts/get against the bare SDK (context, no budget line). */
function operationsSection(operations: readonly OperationResult[]): string[] {
  const lines = ["## resources/read and prompts/get against the bare SDK", ""];
  lines.push(
    "Measured like tools/call (own processes, interleaved rounds, paired ratios), at concurrency 1: the bare SDK serving one static resource and one prompt " +
      "(its argument schema built in the factory, as the SDK's examples do), the kit serving the same as `defineResource` / `definePrompt`, " +
      "without auth and with a validated token and an `obo()` need served from the OBO cache. Context, not a budget line.",
    "",
    "| Method | Case | Protocol | p50 ms | req/s | server CPU ms/call | p50 × | CPU × |",
    "|---|---|---|---:|---:|---:|---:|---:|",
  );
  for (const operation of operations) {
    for (const scenario of operation.calls.scenarios) {
      const ratio = ratioOf(operation.ratios, scenario.case, scenario.protocol, scenario.concurrency);
      lines.push(
        `| ${operation.method} | ${CASE_LABELS[scenario.case]} | ${scenario.protocol} | ${fixed(scenario.p50Ms, 3)} | ${fixed(scenario.rps, 0)} | ${fixed(scenario.serverCpuMsPerCall, 3)} | ${ratio === undefined ? "1" : times(ratio.p50)} | ${ratio === undefined ? "1" : times(ratio.cpu)} |`,
      );
    }
  }
  lines.push("");
  return lines;
}
