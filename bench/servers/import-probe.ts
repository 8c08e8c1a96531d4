/**
 * `node import-probe.js <module> [--audit | --await-telemetry]`: imports one
 * module in this fresh process and prints, as one JSON line, how long the
 * import took and how long since the process started. With
 * `--await-telemetry`, also how long after the import started the kit's
 * telemetry runtime (loaded in the background) was recording.
 *
 * With `--audit`, module resolution is watched (a loader hook, which slows
 * importing down, so audited runs are never timed) and the packages that
 * were loaded are listed as well.
 */
import { createRequire, register } from "node:module";
import { MessageChannel } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

/** What the probe prints. */
export interface ImportProbeResult {
  readonly importMs: number;
  /** CPU time (user + system) the import used: less sensitive than wall time to other processes on the machine. */
  readonly importCpuMs: number;
  /** From process start (performance.timeOrigin) until the import finished. */
  readonly sinceStartMs: number;
  /** With --audit: every package loaded (name of its node_modules folder). */
  readonly packages?: readonly string[];
  /** With --await-telemetry: from the start of the import until telemetry was recording (lib/telemetry). */
  readonly telemetryReadyMs?: number;
}

const [target, flag] = process.argv.slice(2);
if (target === undefined) {
  console.error("usage: import-probe.js <module specifier or path> [--audit]");
  process.exit(2);
}

const resolved: string[] = [];
let channel: MessageChannel | undefined;
if (flag === "--audit") {
  channel = new MessageChannel();
  channel.port1.on("message", (url: string) => resolved.push(url));
  channel.port1.unref();
  register(new URL("./import-audit-hooks.js", import.meta.url), { data: { port: channel.port2 }, transferList: [channel.port2] });
}

const specifier = target.startsWith("/") ? pathToFileURL(target).href : target;
const started = performance.now();
const cpuBefore = process.cpuUsage();
await import(specifier);
const cpu = process.cpuUsage(cpuBefore);
const finished = performance.now();

let telemetryReadyMs: number | undefined;
if (flag === "--await-telemetry") {
  // The same module instance the app imported: its state says when the background load is done.
  const telemetry = (await import(new URL("../../lib/telemetry/index.js", import.meta.url).href)) as typeof import("../../lib/telemetry/index.js");
  while (!telemetry.telemetryActive() && performance.now() - started < 60_000) await new Promise((resolve) => setTimeout(resolve, 2));
  telemetryReadyMs = performance.now() - started;
}

let packages: string[] | undefined;
if (channel !== undefined) {
  // The hook thread posts asynchronously; give it a moment to deliver the last URLs.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  packages = [...new Set([...resolved, ...cjs].map(packageOf).filter((name): name is string => name !== undefined))].sort();
}

const result: ImportProbeResult = { importMs: finished - started, importCpuMs: (cpu.user + cpu.system) / 1000, sinceStartMs: finished, ...(packages === undefined ? {} : { packages }), ...(telemetryReadyMs === undefined ? {} : { telemetryReadyMs }) };
process.stdout.write(`${JSON.stringify(result)}\n`);
// Nothing the imported module started (timers, sockets) may keep the probe alive.
process.exit(0);

function packageOf(location: string): string | undefined {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(location);
  return match?.[1];
}
