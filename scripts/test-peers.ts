/**
 * The programs the test suite starts as real peers, found on the machine or
 * installed when that can be done without asking anyone: `redis-server` (the
 * shared token cache tests) and Chromium (the consent page in a real browser).
 *
 * Order, for each program: its override variable (REDIS_SERVER,
 * CHROMIUM_PATH), which must name an executable file; then the command names
 * on PATH. What is still missing is installed with Debian's `apt-get` when
 * this process runs as root and `apt-get` is on PATH (the package lists are
 * refreshed only when apt cannot find a package), and then also looked for
 * where the package puts it; otherwise nothing is installed and the caller
 * gets one line saying what to install. A program counts as present only
 * when an executable file is found the way a shell would find it, never
 * because a package database says so: a machine whose programs were removed,
 * or hidden from PATH, is treated as the fresh machine it looks like (for a
 * package that is in fact installed, apt-get then changes nothing).
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** One program the suite needs. */
export interface TestPeer {
  /** For messages: "redis-server", "chromium". */
  readonly name: string;
  /** What the suite uses it for, for messages. */
  readonly usedFor: string;
  /** The variable that names its path and that the tests read. */
  readonly pathVariable: string;
  /** Command names looked up on PATH, in order. */
  readonly commands: readonly string[];
  /** The Debian package that provides it. */
  readonly debianPackage: string;
  /** Where that package puts the program. */
  readonly debianPath: string;
}

/** The suite's peers: what test/support/redis.ts and test/support/browser.ts start. */
export const TEST_PEERS: readonly TestPeer[] = [
  {
    name: "redis-server",
    usedFor: "the shared token cache tests",
    pathVariable: "REDIS_SERVER",
    commands: ["redis-server"],
    debianPackage: "redis-server",
    debianPath: "/usr/bin/redis-server",
  },
  {
    name: "chromium",
    usedFor: "the consent page in a real browser",
    pathVariable: "CHROMIUM_PATH",
    commands: ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"],
    debianPackage: "chromium",
    debianPath: "/usr/bin/chromium",
  },
];

/** What this module needs from the machine; tests pass a fake one. */
export interface Machine {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly isRoot: boolean;
  /** Whether `path` is a file this process may execute. */
  isExecutable(path: string): boolean;
  /** Runs a command to completion; stdout and stderr come back together. */
  run(command: string, args: readonly string[], env?: Readonly<Record<string, string>>): { readonly status: number | null; readonly output: string };
  /** Receives progress lines ("Installing …"). */
  say(line: string): void;
}

/** Thrown when a peer is missing and cannot be installed here; the message is the one line to show. */
export class TestPeersMissingError extends Error {
  readonly code = "TEST_PEERS_MISSING";
  constructor(message: string) {
    super(message);
    this.name = "TestPeersMissingError";
  }
}

/** The machine this process runs on. */
export function thisMachine(): Machine {
  return {
    env: process.env,
    platform: process.platform,
    isRoot: process.getuid?.() === 0,
    isExecutable(path) {
      try {
        accessSync(path, constants.X_OK);
        return statSync(path).isFile();
      } catch {
        return false;
      }
    },
    run(command, args, env) {
      const result = spawnSync(command, args, { encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      return { status: result.error === undefined ? result.status : null, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error?.message ?? ""}` };
    },
    say: (line) => console.error(line),
  };
}

/**
 * Finds every peer, installing what is missing when this machine allows it
 * (root, Debian's apt-get), and returns the path variables to hand to the
 * test process.
 *
 * @example
 * const paths = provisionTestPeers(thisMachine());
 * spawn("mocha", [], { env: { ...process.env, ...paths } }); // REDIS_SERVER, CHROMIUM_PATH
 * @throws TestPeersMissingError with one line naming what to install (or the bad override).
 */
export function provisionTestPeers(machine: Machine, peers: readonly TestPeer[] = TEST_PEERS): Record<string, string> {
  const found = new Map<TestPeer, string>();
  for (const peer of peers) {
    const path = locate(machine, peer, false);
    if (path !== undefined) found.set(peer, path);
  }
  const missing = peers.filter((peer) => !found.has(peer));
  if (missing.length > 0) {
    const apt = onPath(machine, "apt-get");
    if (machine.platform !== "linux" || !machine.isRoot || apt === undefined) throw new TestPeersMissingError(installHint(machine, missing));
    aptInstall(machine, apt, missing);
    for (const peer of missing) {
      const path = locate(machine, peer, true);
      if (path === undefined) throw new TestPeersMissingError(`apt-get installed ${peer.debianPackage}, but no ${peer.name} is at ${peer.debianPath} or on PATH; set ${peer.pathVariable} to its path.`);
      found.set(peer, path);
    }
  }
  return Object.fromEntries(peers.map((peer) => [peer.pathVariable, found.get(peer)!]));
}

/** The peer's executable: its override, else PATH, else (once apt-get installed it) Debian's location. */
function locate(machine: Machine, peer: TestPeer, installed: boolean): string | undefined {
  const override = machine.env[peer.pathVariable];
  if (override !== undefined && override !== "") {
    const path = isAbsolute(override) ? override : onPath(machine, override);
    if (path === undefined || !machine.isExecutable(path)) {
      throw new TestPeersMissingError(`${peer.pathVariable}=${override} is not an executable file; point it at ${peer.name} (${peer.usedFor}) or unset it.`);
    }
    return path;
  }
  for (const command of peer.commands) {
    const path = onPath(machine, command);
    if (path !== undefined) return path;
  }
  return installed && machine.isExecutable(peer.debianPath) ? peer.debianPath : undefined;
}

/** `command` resolved against PATH, as a shell would. */
function onPath(machine: Machine, command: string): string | undefined {
  for (const directory of (machine.env["PATH"] ?? "").split(delimiter)) {
    if (directory === "") continue;
    const path = join(directory, command);
    if (machine.isExecutable(path)) return path;
  }
  return undefined;
}

function aptInstall(machine: Machine, apt: string, missing: readonly TestPeer[]): void {
  const packages = missing.map((peer) => peer.debianPackage);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  const install = (): ReturnType<Machine["run"]> => machine.run(apt, ["install", "-y", "-qq", "--no-install-recommends", ...packages], env);
  machine.say(`Installing ${packages.join(" and ")} for the test suite (${missing.map((peer) => peer.usedFor).join("; ")}) with apt-get…`);
  let result = install();
  if (result.status !== 0 && /Unable to locate package|has no installation candidate/.test(result.output)) {
    // A fresh image ships without package lists; fetch them once, then try again.
    const update = machine.run(apt, ["update", "-qq"], env);
    if (update.status !== 0) throw new TestPeersMissingError(`apt-get update failed (${lastLine(update.output)}); install ${packages.join(" ")} yourself.`);
    result = install();
  }
  if (result.status !== 0) throw new TestPeersMissingError(`apt-get install ${packages.join(" ")} failed (${lastLine(result.output)}); install them yourself.`);
}

/** One line: what is missing, what for, and how to get it on this kind of machine. */
function installHint(machine: Machine, missing: readonly TestPeer[]): string {
  const names = missing.map((peer) => `${peer.name} (${peer.usedFor})`).join(" and ");
  const variables = missing.map((peer) => peer.pathVariable).join(" / ");
  const how =
    machine.platform === "linux"
      ? `install ${missing.length > 1 ? "them" : "it"}: sudo apt-get install ${missing.map((peer) => peer.debianPackage).join(" ")} (Debian; npm test does this itself when run as root)`
      : machine.platform === "darwin"
        ? `install ${missing.length > 1 ? "them" : "it"} (brew install redis; Chromium or Google Chrome)`
        : "install Redis and Chromium (or Google Chrome)";
  return `npm test needs ${names}, not found: ${how}, or set ${variables} to ${missing.length > 1 ? "their paths" : "its path"}.`;
}

function lastLine(output: string): string {
  return output.trim().split("\n").pop()?.trim() || "no output";
}
