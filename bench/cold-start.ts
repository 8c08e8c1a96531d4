/**
 * Cold start, in fresh processes:
 *
 * - import: the compiled function app (`dist/functions/index.js`, every
 *   endpoint registered) against `@modelcontextprotocol/server` alone, in
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
 *   until its first `tools/call` is answered.
 */
import { execFile } from "node:child_process";
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
}

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
  const app = `${PROJECT_ROOT}/dist/functions/index.js`;
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

  const baselineSamples: Array<{ readyMs: number; firstCallMs: number }> = [];
  const kitSamples: Array<{ readyMs: number; firstCallMs: number }> = [];
  for (let index = 0; index < runs; index++) {
    baselineSamples.push(await firstCall("baseline", undefined));
    // A user no other process has exchanged a token for: the first call pays for one OBO exchange.
    kitSamples.push(await firstCall("kit", await entra.token(index % entra.userCount)));
  }
  log(`  first call: ${runs} fresh processes each`);
  return {
    import: imports,
    telemetryReady,
    firstCall: { baseline: firstCallFigures(baselineSamples), kitFull: firstCallFigures(kitSamples) },
  };

  async function firstCall(kind: "baseline" | "kit", token: string | undefined): Promise<{ readyMs: number; firstCallMs: number }> {
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
      await drive(target, agent, 1, 1);
      const answeredAt = performance.now();
      return { readyMs: round(server.readyAt - server.spawnedAt, 1), firstCallMs: round(answeredAt - server.spawnedAt, 1) };
    } finally {
      agent.destroy();
      await server.stop();
    }
  }
}

function firstCallFigures(samples: Array<{ readyMs: number; firstCallMs: number }>): FirstCallFigures {
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
