/**
 * Cold start, in fresh processes:
 *
 * - import: the function app as the Functions host loads it (package.json
 *   `main`, the bundle in `dist/app`, every endpoint registered) against `@modelcontextprotocol/server` alone, in
 *   two configurations: local (client secret from the environment, memory
 *   cache) and Azure-shaped (managed identity, Key Vault, Table Storage cache;
 *   nothing is contacted at import);
 * - the same Azure-shaped import with telemetry on (an Application Insights
 *   connection string and Entra authentication): OpenTelemetry and the Azure
 *   Monitor distro load after the import, in the background; how long until
 *   telemetry records is measured too;
 * - which packages each import loaded (a separate, untimed run with a loader
 *   hook), to show that msal, Key Vault, Tables, Redis, @azure/identity and,
 *   with telemetry off, OpenTelemetry wait for first use;
 * - first call: from spawning the kit (full case) until its first
 *   authenticated `tools/call` is answered (signing keys fetched, the client
 *   secret read, one On-Behalf-Of exchange), against spawning the baseline
 *   until its first `tools/call` is answered; then, in the same kit process,
 *   warm calls, so the first call's own wall time (sent → answered) is set
 *   against a warm one, and the first call is split into phases by the
 *   moments its requests reach the Entra stand-in (this process's clock).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import { promisify } from "node:util";
import type { BenchEntra } from "./entra.js";
import { startServer } from "./ipc.js";
import { drive, keepAliveAgent } from "./load.js";
import { PROJECT_ROOT, serverEntry } from "./paths.js";
import { echoCall, isEchoAnswer } from "./protocol.js";
import { median, round } from "./stats.js";
import type { ImportProbeResult } from "./servers/import-probe.js";

const run = promisify(execFile);
const LOOPBACK_ONLY = join(PROJECT_ROOT, "dist", "dev", "loopback-only.js");

/** Packages that must not load before they are needed. */
export const HEAVY_PACKAGES = [
  "@azure/msal-node",
  "@azure/identity",
  "@azure/keyvault-secrets",
  "@azure/data-tables",
  "redis",
  "@redis/client",
  "@opentelemetry/api",
  "@azure/monitor-opentelemetry",
  "@readme/openapi-parser",
] as const;

export interface ImportFigures {
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly medianCpuMs: number;
  /** Every package the import loaded. */
  readonly packages: readonly string[];
  /** Those of {@link HEAVY_PACKAGES} among them (should be none). */
  readonly heavyLoaded: readonly string[];
}

export interface FirstCallFigures {
  readonly runs: number;
  /** Spawn until the server listens. */
  readonly medianReadyMs: number;
  /** Spawn until the first tools/call is answered. */
  readonly medianFirstCallMs: number;
  readonly samples: ReadonlyArray<{ readonly readyMs: number; readonly firstCallMs: number }>;
}

/** One step of the first authenticated call: from one moment to the next. */
export interface FirstCallPhase {
  /** `sent → jwks`: from the call leaving the benchmark until the stand-in saw the signing-key request. */
  readonly step: string;
  readonly medianMs: number;
}

/** The kit's first authenticated call against its warm calls, in the same process. */
export interface FirstCallBreakdown {
  readonly runs: number;
  /** Sent → answered, the first call (median of fresh processes). */
  readonly medianFirstMs: number;
  /** Sent → answered, the median of the warm calls that followed it (median of the processes' medians). */
  readonly medianWarmMs: number;
  /** First ÷ warm (median of the per-process ratios). */
  readonly ratio: number;
  /** The steps, in order, when every run made the same requests to Entra (else empty). */
  readonly phases: readonly FirstCallPhase[];
}

export interface ColdStartResult {
  readonly import: {
    readonly sdk: ImportFigures;
    readonly appLocal: ImportFigures;
    readonly appAzure: ImportFigures;
    /** Azure settings with telemetry on (optional: runs before telemetry existed lack it). */
    readonly appAzureTelemetry?: ImportFigures;
  };
  /** With telemetry on: from the start of the import until it records (median of fresh processes). */
  readonly telemetryReady?: { readonly runs: number; readonly medianMs: number; readonly minMs: number };
  readonly firstCall: {
    readonly baseline: FirstCallFigures;
    readonly kitFull: FirstCallFigures;
  };
  /** The kit's first call split into phases, and against a warm call (optional: older runs lack it). */
  readonly firstCallBreakdown?: FirstCallBreakdown;
}

/** Warm calls after the first one, per fresh kit process. */
const WARM_CALLS = 30;

/** Settings for the Azure-shaped import: everything configured, nothing reachable (nothing is contacted at import). */
const AZURE_SHAPED_ENV: Readonly<Record<string, string>> = {
  AUTH_MODE: "proxy",
  ENTRA_TENANT_ID: "11111111-1111-1111-1111-111111111111",
  ENTRA_CLIENT_ID: "c0ffee00-0000-4000-8000-00000000c0de",
  APP_CREDENTIAL: "managed-identity",
  FIC_IDENTITY_CLIENT_ID: "f1c00000-0000-4000-8000-0000000000f1",
  MANAGED_IDENTITY_CLIENT_ID: "9e0e0000-0000-4000-8000-0000000000e1",
  KEY_VAULT_URL: "https://kv-bench.vault.azure.net/",
  OBO_CACHE: "table",
  OBO_CACHE_TABLE_ENDPOINT: "https://stbench.table.core.windows.net",
  PUBLIC_BASE_URL: "https://func-bench.azurewebsites.net",
  WEBSITE_HOSTNAME: "func-bench.azurewebsites.net",
  WEBSITE_INSTANCE_ID: "bench",
};

/** The Azure-shaped settings with telemetry to Application Insights (nothing is contacted: the probe may reach loopback only). */
const AZURE_TELEMETRY_ENV: Readonly<Record<string, string>> = {
  ...AZURE_SHAPED_ENV,
  APPLICATIONINSIGHTS_CONNECTION_STRING: "InstrumentationKey=0c0ffee0-0000-4000-8000-000000000a11;IngestionEndpoint=https://127.0.0.1:9/",
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: "ClientId=9e0e0000-0000-4000-8000-0000000000e1;Authorization=AAD",
  APPLICATION_INSIGHTS_NO_STATSBEAT: "true",
};

/** Measures import times, the packages loaded, and time to the first call. */
export async function measureColdStart(entra: BenchEntra, runs: number, log: (line: string) => void): Promise<ColdStartResult> {
  const app = join(PROJECT_ROOT, (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { main: string }).main);
  const localEnv = { ...entra.kitEnv, LOG_LEVEL: "warn" };
  const azureEnv = { ...AZURE_SHAPED_ENV, LOG_LEVEL: "warn" };
  const telemetryEnv = { ...AZURE_TELEMETRY_ENV, LOG_LEVEL: "warn" };
  const sdk = "@modelcontextprotocol/server";
  // Interleaved, so that a busy moment of the machine falls on all three alike.
  const samples = { sdk: [] as ImportProbeResult[], appLocal: [] as ImportProbeResult[], appAzure: [] as ImportProbeResult[], appAzureTelemetry: [] as ImportProbeResult[] };
  const ready: number[] = [];
  for (let index = 0; index < runs; index++) {
    samples.sdk.push(await probe(sdk, {}));
    samples.appLocal.push(await probe(app, localEnv));
    samples.appAzure.push(await probe(app, azureEnv));
    samples.appAzureTelemetry.push(await probe(app, telemetryEnv));
    ready.push((await probe(app, telemetryEnv, "--await-telemetry")).telemetryReadyMs ?? Number.NaN);
  }
  log(`  import: ${runs} fresh processes each`);
  const figures = async (target: string, env: Record<string, string>, results: ImportProbeResult[]): Promise<ImportFigures> => {
    const audit = await probe(target, env, "--audit");
    const packages = audit.packages ?? [];
    return {
      runs: results.length,
      medianMs: round(median(results.map((result) => result.importMs)), 1),
      minMs: round(Math.min(...results.map((result) => result.importMs)), 1),
      medianCpuMs: round(median(results.map((result) => result.importCpuMs)), 1),
      packages,
      heavyLoaded: packages.filter((name) => (HEAVY_PACKAGES as readonly string[]).includes(name)),
    };
  };
  const imports = {
    sdk: await figures(sdk, {}, samples.sdk),
    appLocal: await figures(app, localEnv, samples.appLocal),
    appAzure: await figures(app, azureEnv, samples.appAzure),
    appAzureTelemetry: await figures(app, telemetryEnv, samples.appAzureTelemetry),
  };
  const telemetryReady = { runs: ready.length, medianMs: round(median(ready), 1), minMs: round(Math.min(...ready), 1) };

  const baselineSamples: FirstCallSample[] = [];
  const kitSamples: FirstCallSample[] = [];
  const breakdowns: KitFirstCall[] = [];
  for (let index = 0; index < runs; index++) {
    baselineSamples.push((await firstCall("baseline", undefined)).sample);
    // A user no other process has exchanged a token for: the first call pays for one OBO exchange.
    const kit = await firstCall("kit", await entra.token(index % entra.userCount));
    kitSamples.push(kit.sample);
    if (kit.breakdown !== undefined) breakdowns.push(kit.breakdown);
  }
  log(`  first call: ${runs} fresh processes each`);
  return {
    import: imports,
    telemetryReady,
    firstCall: { baseline: firstCallFigures(baselineSamples), kitFull: firstCallFigures(kitSamples) },
    firstCallBreakdown: breakdownOf(breakdowns),
  };

  /** Spawn to first answer; for the kit, also the first call's own time, the warm calls and Entra's requests. */
  async function firstCall(kind: "baseline" | "kit", token: string | undefined): Promise<{ sample: FirstCallSample; breakdown?: KitFirstCall }> {
    const server =
      kind === "baseline"
        ? await startServer({ name: "baseline (cold)", entry: serverEntry("baseline") })
        : await startServer({ name: "kit (cold)", entry: serverEntry("kit"), args: ["full"], env: entra.kitEnv });
    const agent = keepAliveAgent(1);
    try {
      const target = {
        url: server.url,
        request: echoCall("2026-07-28"),
        ...(token === undefined ? {} : { headersFor: () => ({ authorization: `Bearer ${token}` }) }),
        isSuccess: isEchoAnswer,
      };
      const sentAt = performance.now();
      await drive(target, agent, 1, 1);
      const answeredAt = performance.now();
      const sample = { readyMs: round(server.readyAt - server.spawnedAt, 1), firstCallMs: round(answeredAt - server.spawnedAt, 1) };
      if (kind === "baseline") return { sample };
      // The stand-in stamps its records with the epoch clock.
      const sentEpochMs = performance.timeOrigin + sentAt;
      const entraRequests = entra.standIn.activity
        .records()
        .filter((record) => record.at >= Math.floor(sentEpochMs))
        .map((record) => ({ label: record.grantType === undefined ? record.endpoint : `${record.endpoint} (${record.grantType})`, afterSentMs: Math.max(0, record.at - sentEpochMs) }));
      const warmMs = median((await drive(target, agent, WARM_CALLS, 1)).latenciesMs);
      return { sample, breakdown: { firstMs: answeredAt - sentAt, warmMs, entraRequests } };
    } finally {
      agent.destroy();
      await server.stop();
    }
  }
}

/** Spawn until listening, and until the first call was answered. */
type FirstCallSample = FirstCallFigures["samples"][number];

/** One fresh kit process's first call: its own wall time, the warm calls' median, and Entra's requests in order. */
interface KitFirstCall {
  readonly firstMs: number;
  readonly warmMs: number;
  readonly entraRequests: ReadonlyArray<{ readonly label: string; readonly afterSentMs: number }>;
}

/** Medians over the fresh processes; phases only when every run made the same Entra requests in the same order. */
function breakdownOf(calls: readonly KitFirstCall[]): FirstCallBreakdown {
  const sequence = (call: KitFirstCall): string => call.entraRequests.map((request) => request.label).join(",");
  const alike = calls.length > 0 && calls.every((call) => sequence(call) === sequence(calls[0]!));
  const phases: FirstCallPhase[] = [];
  if (alike) {
    const moments = (call: KitFirstCall): Array<{ label: string; atMs: number }> => [
      { label: "sent", atMs: 0 },
      ...call.entraRequests.map((request) => ({ label: `Entra ${request.label}`, atMs: request.afterSentMs })),
      { label: "answered", atMs: call.firstMs },
    ];
    const labels = moments(calls[0]!).map((moment) => moment.label);
    for (let index = 1; index < labels.length; index++) {
      phases.push({ step: `${labels[index - 1]} → ${labels[index]}`, medianMs: round(median(calls.map((call) => moments(call)[index]!.atMs - moments(call)[index - 1]!.atMs)), 1) });
    }
  }
  return {
    runs: calls.length,
    medianFirstMs: round(median(calls.map((call) => call.firstMs)), 1),
    medianWarmMs: round(median(calls.map((call) => call.warmMs)), 3),
    ratio: round(median(calls.map((call) => call.firstMs / call.warmMs)), 1),
    phases,
  };
}

function firstCallFigures(samples: FirstCallSample[]): FirstCallFigures {
  return {
    runs: samples.length,
    medianReadyMs: round(median(samples.map((sample) => sample.readyMs)), 1),
    medianFirstCallMs: round(median(samples.map((sample) => sample.firstCallMs)), 1),
    samples,
  };
}

/**
 * One fresh process importing `target`; its last output line is the probe's
 * JSON. It may reach loopback only (the Azure Monitor distro asks the Azure VM
 * metadata address about the machine; nothing may leave it in a benchmark).
 */
async function probe(target: string, env: Record<string, string>, flag?: "--audit" | "--await-telemetry"): Promise<ImportProbeResult> {
  const { stdout } = await run(process.execPath, ["--import", LOOPBACK_ONLY, serverEntry("import-probe"), target, ...(flag === undefined ? [] : [flag])], {
    cwd: PROJECT_ROOT,
    // Only what the import needs: the probe must not see the benchmark's own settings.
    env: { PATH: process.env["PATH"] ?? "", ...(process.env["NODE_EXTRA_CA_CERTS"] === undefined ? {} : { NODE_EXTRA_CA_CERTS: process.env["NODE_EXTRA_CA_CERTS"] }), ...env },
    maxBuffer: 1024 * 1024,
  });
  const last = stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(last) as ImportProbeResult;
}
