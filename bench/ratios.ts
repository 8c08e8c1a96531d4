/**
 * The reported figures: each kit case against the baseline, measured in the
 * same rounds. A ratio is taken round by round (the kit's slice against the
 * baseline's slice of the same round) and the median of those is reported,
 * so that a busy moment of the machine, which lasts longer than one round's
 * slices but not the whole run, cancels out instead of landing on one case.
 */
import type { CallsResult, CaseId, ScenarioResult } from "./calls.js";
import type { ProtocolName } from "./protocol.js";
import { median, round } from "./stats.js";

/** A case's ratios to the baseline it was measured against, at one protocol and concurrency; above 1 means slower or costlier than that SDK. */
export interface CaseRatios {
  readonly case: CaseId;
  readonly protocol: ProtocolName;
  readonly concurrency: number;
  /** Median latency × (median of the per-round ratios). */
  readonly p50: number;
  /** 99th percentile latency × (whole run: too few samples per round). */
  readonly p99: number;
  /** Time per call from throughput: baseline req/s ÷ kit req/s (median of the per-round ratios). */
  readonly time: number;
  /** Server CPU per call × (median of the per-round ratios). */
  readonly cpu: number;
  /** Spread of the per-round p50 ratios. */
  readonly p50Rounds: { readonly min: number; readonly max: number };
  /** The figure the budget is judged on: p50 × at concurrency 1, time × (throughput) above it. */
  readonly headline: number;
}

/**
 * The second round's budget (issue 17), against the bare SDK wired the
 * fastest way (schemas built once, `baseline-hoisted`): an authenticated
 * tools/call's p50 and server CPU per call, both eras, concurrency 1 and 32.
 */
export const TOOL_CALL_BUDGET = 1.1;
/** The same calls' p99 (whole run). */
export const TOOL_CALL_P99_BUDGET = 1.3;
/** tools/list of fifty tools (and fifty more through the gateway) against the bare SDK listing the same. */
export const TOOLS_LIST_BUDGET = 1.1;
/** Peak resident set size of the authenticated kit's process over the tools/call part (32 concurrent callers at its peak). */
export const PEAK_RSS_BUDGET = 1.15;
/** Importing the function app against importing `@modelcontextprotocol/server`. */
export const IMPORT_BUDGET = 1.15;
/** The first round's line (DESIGN.md): an authenticated call against the SDK as its examples wire it; shown, no longer judged. */
export const FIRST_ROUND_TOOL_CALL_BUDGET = 1.3;

/** Ratios of every other case to `against` (default: the baseline). */
export function ratiosOf(result: CallsResult, against: CaseId = "baseline"): CaseRatios[] {
  const ratios: CaseRatios[] = [];
  for (const scenario of result.scenarios) {
    if (scenario.case === against) continue;
    const baseline = result.scenarios.find((other) => other.case === against && other.protocol === scenario.protocol && other.concurrency === scenario.concurrency);
    if (baseline === undefined) continue;
    const p50Rounds = paired(scenario.roundP50Ms, baseline.roundP50Ms, (kit, sdk) => kit / sdk);
    const p50 = round(median(p50Rounds), 3);
    const time = round(median(paired(scenario.roundRps, baseline.roundRps, (kit, sdk) => sdk / kit)), 3);
    ratios.push({
      case: scenario.case,
      protocol: scenario.protocol,
      concurrency: scenario.concurrency,
      p50,
      p99: round(scenario.p99Ms / baseline.p99Ms, 3),
      time,
      cpu: round(median(paired(scenario.roundServerCpuMsPerCall, baseline.roundServerCpuMsPerCall, (kit, sdk) => kit / sdk)), 3),
      p50Rounds: { min: round(Math.min(...p50Rounds), 3), max: round(Math.max(...p50Rounds), 3) },
      headline: scenario.concurrency === 1 ? p50 : time,
    });
  }
  return ratios;
}

/** The ratios of a case at one protocol and concurrency, for tables. */
export function ratioOf(ratios: readonly CaseRatios[], caseId: CaseId, protocol: ProtocolName, concurrency: number): CaseRatios | undefined {
  return ratios.find((ratio) => ratio.case === caseId && ratio.protocol === protocol && ratio.concurrency === concurrency);
}

/** The scenario of a case, for tables. */
export function scenarioOf(result: CallsResult, caseId: CaseId, protocol: ProtocolName, concurrency: number): ScenarioResult | undefined {
  return result.scenarios.find((scenario) => scenario.case === caseId && scenario.protocol === protocol && scenario.concurrency === concurrency);
}

function paired(kit: readonly number[], sdk: readonly number[], ratio: (kit: number, sdk: number) => number): number[] {
  return kit.map((value, index) => ratio(value, sdk[index]!)).filter((value) => Number.isFinite(value));
}
