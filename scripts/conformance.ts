/**
 * `npm run conformance`: the official MCP conformance suite against the kit.
 *
 * Starts the function app in this process on the local host, with the same
 * route table and handlers Azure serves (lib/host → Functions adapter →
 * `/mcp` endpoint → SDK handler), the test-only configuration AUTH_MODE=none
 * and the fixture pack of test/conformance/ (see test/conformance/server.ts;
 * it refuses to start in Azure). Then it runs
 * `@modelcontextprotocol/conformance server` once per requirement set under
 * Node 22, which the suite needs (the kit keeps running on whatever Node runs
 * this script) and prints the pass counts.
 *
 * Then it runs the suite's `authorization` command against the OAuth facade
 * (scripts/conformance-authorization.ts, in a child process that trusts the
 * development certificate of the Entra stand-in), which must pass every
 * check. It exits non-zero unless both sets meet their targets and every
 * authorization check passed.
 *
 * Everything the suite writes (one checks.json per scenario, its full
 * output) and the server's log go to test-results/conformance/.
 */
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../lib/config.js";
import { startConformanceServer } from "../test/conformance/server.js";
import { ensureNode22 } from "./node22.js";

/** Repository root: this file runs from dist/scripts/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const RESULTS = join(ROOT, "test-results", "conformance");
const SUITE = join(ROOT, "node_modules", "@modelcontextprotocol", "conformance");
const SUITE_CLI = join(SUITE, "dist", "index.js");
/** Per-scenario limit; every scenario takes well under a second, so 15 s only bounds a hang. */
const SCENARIO_TIMEOUT_MS = 15_000;

/** One requirement set and what the kit must score on it. */
interface RequirementRun {
  readonly revision: "2026-07-28" | "2025-11-25";
  /** Scenarios that must pass, out of `total`. */
  readonly mustPass: number;
  readonly total: number;
  /** Failures the suite accepts, and insists on: a listed scenario that passes fails the run. */
  readonly expectedFailures?: string;
}

const RUNS: readonly RequirementRun[] = [
  { revision: "2026-07-28", mustPass: 37, total: 37 },
  { revision: "2025-11-25", mustPass: 26, total: 30, expectedFailures: join(ROOT, "test", "conformance", "expected-failures.2025-11-25.yaml") },
];

/** What one run of the suite produced. */
interface RunOutcome {
  readonly run: RequirementRun;
  readonly exitCode: number;
  /** Required scenarios with no failed and no warning check. */
  readonly passed: readonly string[];
  /** Required scenarios that did not pass, each with what went wrong. */
  readonly notPassed: readonly string[];
  readonly seconds: number;
  readonly logFile: string;
}

async function main(): Promise<number> {
  const started = performance.now();
  const node22 = ensureNode22();
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });

  const serverLog = createWriteStream(join(RESULTS, "server.log"));
  const server = await startConformanceServer({ log: (line) => void serverLog.write(`${line}\n`) });
  const mcpUrl = server.mcpUrl.href;
  console.log(`Conformance fixtures at ${mcpUrl} (kit on Node ${process.versions.node}, suite on Node ${node22.version})`);

  const outcomes: RunOutcome[] = [];
  try {
    for (const run of RUNS) outcomes.push(await runSuite(node22.path, mcpUrl, run));
  } finally {
    await server.close();
    await new Promise<void>((done) => serverLog.end(done));
  }

  console.log("");
  let ok = true;
  for (const { run, passed, notPassed, exitCode, seconds, logFile } of outcomes) {
    const total = passed.length + notPassed.length;
    const met = passed.length === run.mustPass && total === run.total && exitCode === 0;
    ok &&= met;
    const target = `target ${run.mustPass}/${run.total}${run.expectedFailures === undefined ? "" : ", the rest listed as expected failures"}`;
    console.log(`${run.revision}: ${passed.length}/${total} scenarios passed (${target}) in ${seconds.toFixed(1)}s: ${met ? "OK" : "FAILED"}`);
    for (const line of notPassed) console.log(`  not passed: ${line}`);
    if (!met) console.log(`  the suite exited with ${exitCode}; its full output: ${logFile}`);
  }
  const authorization = await runAuthorizationConformance(node22.path);
  ok &&= authorization === 0;
  console.log("");
  console.log(`authorization: ${authorization === 0 ? "every check passed: OK" : `FAILED (exit code ${authorization}, details above)`}`);
  console.log(`Conformance ${ok ? "met every target" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(1)}s; results in ${RESULTS}`);
  return ok ? 0 : 1;
}

/** Runs one requirement set; the suite's output goes to a log file, its results are read from its checks.json files. */
async function runSuite(node: string, mcpUrl: string, run: RequirementRun): Promise<RunOutcome> {
  const outputDir = join(RESULTS, run.revision);
  const logFile = join(RESULTS, `${run.revision}.log`);
  const args = [SUITE_CLI, "server", "--url", mcpUrl, "--requirements", run.revision, "--output-dir", outputDir, "--timeout", String(SCENARIO_TIMEOUT_MS)];
  if (run.expectedFailures !== undefined) args.push("--expected-failures", run.expectedFailures);

  console.log(`Running the ${run.revision} requirement set…`);
  const started = performance.now();
  const file = createWriteStream(logFile);
  const child = spawn(node, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } });
  child.stdout.pipe(file, { end: false });
  child.stderr.pipe(file, { end: false });
  const exitCode = await new Promise<number>((done, fail) => {
    child.once("error", fail);
    child.once("close", (code) => done(code ?? 1));
  });
  await new Promise<void>((done) => file.end(done));
  const seconds = (performance.now() - started) / 1000;

  const results = scenarioResults(outputDir);
  const passed: string[] = [];
  const notPassed: string[] = [];
  for (const scenario of requiredScenarios(run.revision)) {
    const problems = results.get(scenario) ?? ["did not run"];
    if (problems.length === 0) passed.push(scenario);
    else notPassed.push(`${scenario}: ${problems.join("; ")}`);
  }
  return { run, exitCode, passed, notPassed, seconds, logFile };
}

/**
 * Runs scripts/conformance-authorization.ts through the dev TLS wrapper, so
 * that its process trusts the Entra stand-in's certificate (Node reads
 * NODE_EXTRA_CA_CERTS only at start). Its output is this script's output.
 * Resolves with its exit code.
 */
async function runAuthorizationConformance(node22: string): Promise<number> {
  console.log("");
  const scripts = join(ROOT, "dist", "scripts");
  const child = spawn(process.execPath, [join(scripts, "with-dev-tls.js"), process.execPath, join(scripts, "conformance-authorization.js")], {
    cwd: ROOT,
    stdio: "inherit",
    env: { ...process.env, NODE22: node22 },
  });
  return new Promise<number>((done, fail) => {
    child.once("error", fail);
    child.once("close", (code) => done(code ?? 1));
  });
}

/** The server scenarios a requirement set scores, from the suite's own frozen list. */
function requiredScenarios(revision: string): string[] {
  const document: unknown = parseYaml(readFileSync(join(SUITE, "requirements", `${revision}.yaml`), "utf8"));
  const server = (document as { server?: unknown } | null)?.server;
  if (!Array.isArray(server) || !server.every((item): item is string => typeof item === "string")) {
    throw new Error(`requirements/${revision}.yaml of the conformance suite has no list of server scenarios`);
  }
  return server;
}

interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
}

/**
 * Per scenario, its failed and warning checks (none when it passed), from the
 * checks.json the suite writes into one folder per scenario, named
 * `server-<scenario>-<timestamp>`. A warning counts against its scenario, as
 * it does in the suite's expected-failures evaluation.
 */
function scenarioResults(outputDir: string): Map<string, string[]> {
  const results = new Map<string, string[]>();
  if (!existsSync(outputDir)) return results;
  for (const entry of readdirSync(outputDir)) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry)?.[1];
    const checksFile = join(outputDir, entry, "checks.json");
    if (scenario === undefined || !existsSync(checksFile)) continue;
    const checks = JSON.parse(readFileSync(checksFile, "utf8")) as Check[];
    const problems = checks
      .filter((check) => check.status === "FAILURE" || check.status === "WARNING")
      .map((check) => `${check.id} ${check.status}${check.errorMessage === undefined ? "" : ` (${check.errorMessage.slice(0, 160)})`}`);
    results.set(scenario, problems);
  }
  return results;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
