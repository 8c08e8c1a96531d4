/**
 * `node openapi-probe.js none|subset|subset-unvalidated|full`: in this fresh
 * process, imports the function app (as import-probe does), then generates
 * tools from GitHub's OpenAPI document (@octokit/openapi): none, the twenty
 * operations of {@link GITHUB_SUBSET} (validated or not), or all of them.
 * Prints one JSON line with the time and CPU of each step.
 */
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { GITHUB_SUBSET } from "../openapi-subset.js";

/** What the probe prints. */
export interface OpenApiProbeResult {
  readonly importMs: number;
  readonly importCpuMs: number;
  /** Zero for `none`. */
  readonly generateMs: number;
  readonly generateCpuMs: number;
  readonly tools: number;
}

const mode = process.argv[2];
if (mode !== "none" && mode !== "subset" && mode !== "subset-unvalidated" && mode !== "full") {
  console.error("usage: openapi-probe.js none|subset|subset-unvalidated|full");
  process.exit(2);
}

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

let started = performance.now();
let cpu = process.cpuUsage();
await import("../../functions/index.js");
const importMs = performance.now() - started;
const importCpuMs = cpuMs(cpu);

let tools = 0;
started = performance.now();
cpu = process.cpuUsage();
if (mode !== "none") {
  const { openApiTools } = await import("../../lib/openapi/index.js");
  const document = createRequire(import.meta.url).resolve("@octokit/openapi/generated/api.github.com.json");
  tools = (await openApiTools({ document, ...(mode === "full" ? {} : { include: GITHUB_SUBSET }), ...(mode === "subset-unvalidated" ? { validate: false } : {}) })).length;
}
const result: OpenApiProbeResult = { importMs, importCpuMs, generateMs: mode === "none" ? 0 : performance.now() - started, generateCpuMs: mode === "none" ? 0 : cpuMs(cpu), tools };
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
