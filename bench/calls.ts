/**
 * The call benchmark (`tools/call`, or another operation such as
 * `resources/read`): every case's server runs in its own process; the
 * cases are driven in turn, in short slices, round after round, with the
 * order rotated each round, so that whatever else the machine does at some
 * moment hits every case alike.
 */
import { performance } from "node:perf_hooks";
import type { Agent } from "node:http";
import type { StartedServer } from "./ipc.js";
import { drive, keepAliveAgent } from "./load.js";
import { CALL_ECHO, type Operation, type ProtocolName } from "./protocol.js";
import { concat, median, percentile, round } from "./stats.js";

export type CaseId = "baseline" | "baseline-hoisted" | "kit-none" | "kit-full" | "kit-telemetry";

/** One server under test. */
export interface CallCase {
  readonly id: CaseId;
  readonly label: string;
  readonly server: StartedServer;
  /** Per-call headers (a user's bearer token). */
  readonly headersFor?: (index: number) => Readonly<Record<string, string>>;
}

/** How much to send, and what. */
export interface CallsPlan {
  /** The request every call sends; default `tools/call` of the echo tool. */
  readonly operation?: Operation;
  readonly protocols: readonly ProtocolName[];
  readonly concurrencies: readonly number[];
  /** Requests per case and protocol before anything is measured. */
  readonly warmupRequests: number;
  readonly rounds: number;
  /** Requests per slice (one case, one protocol, one concurrency, one round), by concurrency. */
  readonly sliceRequests: (concurrency: number) => number;
  /** Called after every slice (progress output). */
  readonly onSlice?: (done: number, total: number) => void;
}

/** The figures of one case at one protocol and concurrency. */
export interface ScenarioResult {
  readonly case: CaseId;
  readonly protocol: ProtocolName;
  readonly concurrency: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** Requests per second over the measured slices. */
  readonly rps: number;
  /** Server CPU time per call (user + system), ms. */
  readonly serverCpuMsPerCall: number;
  /** The load driver's own CPU time per call, ms (it shares the two cores at concurrency 32). */
  readonly clientCpuMsPerCall: number;
  /** p50 of each round, in round order, for the spread of the ratios. */
  readonly roundP50Ms: readonly number[];
  /** Requests per second of each round. */
  readonly roundRps: readonly number[];
  /** Server CPU per call of each round, ms. */
  readonly roundServerCpuMsPerCall: readonly number[];
}

export interface CallsResult {
  readonly scenarios: readonly ScenarioResult[];
  /** Peak resident set size of each case's server process over the whole run, bytes. */
  readonly peakRssBytes: Readonly<Record<string, number>>;
  readonly durationMs: number;
}

interface Accumulator {
  readonly latencies: Float64Array[];
  elapsedMs: number;
  serverCpuMicros: number;
  clientCpuMicros: number;
  readonly roundP50Ms: number[];
  readonly roundRps: number[];
  readonly roundServerCpuMsPerCall: number[];
}

/** Runs the plan against the cases. */
export async function runCalls(cases: readonly CallCase[], plan: CallsPlan): Promise<CallsResult> {
  const started = performance.now();
  const agents = new Map<string, Agent>();
  const agentFor = (caseId: CaseId, concurrency: number): Agent => {
    const key = `${caseId}/${concurrency}`;
    let agent = agents.get(key);
    if (agent === undefined) {
      agent = keepAliveAgent(concurrency);
      agents.set(key, agent);
    }
    return agent;
  };
  const operation = plan.operation ?? CALL_ECHO;
  const targetOf = (entry: CallCase, protocol: ProtocolName) => ({
    url: entry.server.url,
    request: operation.request(protocol),
    ...(entry.headersFor === undefined ? {} : { headersFor: entry.headersFor }),
    isSuccess: operation.isSuccess,
  });

  // Warm-up: JIT, connection pools, signing keys, the OBO cache of every user.
  for (const entry of cases) {
    for (const protocol of plan.protocols) {
      for (const concurrency of plan.concurrencies) {
        await drive(targetOf(entry, protocol), agentFor(entry.id, concurrency), plan.warmupRequests, concurrency);
      }
    }
  }

  const accumulators = new Map<string, Accumulator>();
  const keyOf = (caseId: CaseId, protocol: ProtocolName, concurrency: number): string => `${caseId}|${protocol}|${concurrency}`;
  const total = plan.rounds * plan.concurrencies.length * plan.protocols.length * cases.length;
  let done = 0;
  let callIndex = 0;
  for (let roundIndex = 0; roundIndex < plan.rounds; roundIndex++) {
    for (const [concurrencyIndex, concurrency] of plan.concurrencies.entries()) {
      for (const [protocolIndex, protocol] of plan.protocols.entries()) {
        const shift = (roundIndex + protocolIndex + concurrencyIndex) % cases.length;
        const order = [...cases.slice(shift), ...cases.slice(0, shift)];
        for (const entry of order) {
          const count = plan.sliceRequests(concurrency);
          const before = await entry.server.stats();
          const clientBefore = process.cpuUsage();
          const result = await drive(targetOf(entry, protocol), agentFor(entry.id, concurrency), count, concurrency, callIndex);
          const clientCpu = process.cpuUsage(clientBefore);
          const after = await entry.server.stats();
          callIndex += count;
          const key = keyOf(entry.id, protocol, concurrency);
          let accumulator = accumulators.get(key);
          if (accumulator === undefined) {
            accumulator = { latencies: [], elapsedMs: 0, serverCpuMicros: 0, clientCpuMicros: 0, roundP50Ms: [], roundRps: [], roundServerCpuMsPerCall: [] };
            accumulators.set(key, accumulator);
          }
          accumulator.latencies.push(result.latenciesMs);
          accumulator.elapsedMs += result.elapsedMs;
          accumulator.serverCpuMicros += after.cpuMicros - before.cpuMicros;
          accumulator.clientCpuMicros += clientCpu.user + clientCpu.system;
          accumulator.roundP50Ms.push(round(median(result.latenciesMs), 4));
          accumulator.roundRps.push(round((count / result.elapsedMs) * 1000, 1));
          accumulator.roundServerCpuMsPerCall.push(round((after.cpuMicros - before.cpuMicros) / 1000 / count, 4));
          plan.onSlice?.(++done, total);
        }
      }
    }
  }
  for (const agent of agents.values()) agent.destroy();

  const scenarios: ScenarioResult[] = [];
  for (const concurrency of plan.concurrencies) {
    for (const protocol of plan.protocols) {
      for (const entry of cases) {
        const accumulator = accumulators.get(keyOf(entry.id, protocol, concurrency))!;
        const latencies = concat(accumulator.latencies);
        const requests = latencies.length;
        scenarios.push({
          case: entry.id,
          protocol,
          concurrency,
          requests,
          p50Ms: round(percentile(latencies, 50), 4),
          p90Ms: round(percentile(latencies, 90), 4),
          p99Ms: round(percentile(latencies, 99), 4),
          meanMs: round(latencies.reduce((sum, value) => sum + value, 0) / requests, 4),
          rps: round((requests / accumulator.elapsedMs) * 1000, 1),
          serverCpuMsPerCall: round(accumulator.serverCpuMicros / 1000 / requests, 4),
          clientCpuMsPerCall: round(accumulator.clientCpuMicros / 1000 / requests, 4),
          roundP50Ms: accumulator.roundP50Ms,
          roundRps: accumulator.roundRps,
          roundServerCpuMsPerCall: accumulator.roundServerCpuMsPerCall,
        });
      }
    }
  }
  const peakRssBytes: Record<string, number> = {};
  for (const entry of cases) peakRssBytes[entry.id] = (await entry.server.stats()).maxRssBytes;
  return { scenarios, peakRssBytes, durationMs: performance.now() - started };
}
