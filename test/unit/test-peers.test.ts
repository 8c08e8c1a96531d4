/**
 * scripts/test-peers.ts decides, for a machine, where redis-server and
 * Chromium are and whether it may install them. These tests give it machines
 * it cannot be run on here (not root, no apt, package lists missing), with
 * apt-get played by a fake that records what it was asked.
 */
import assert from "node:assert/strict";
import { provisionTestPeers, TestPeersMissingError, type Machine } from "../../scripts/test-peers.js";

interface FakeMachineOptions {
  readonly executables?: readonly string[];
  readonly env?: Record<string, string>;
  readonly isRoot?: boolean;
  readonly platform?: NodeJS.Platform;
  /** The package lists are empty until `apt-get update` runs (a fresh image). */
  readonly listsMissing?: boolean;
  /** apt-get install fails this way. */
  readonly installFails?: string;
}

function fakeMachine(options: FakeMachineOptions = {}): Machine & { readonly commands: string[]; readonly said: string[] } {
  const executables = new Set(options.executables ?? ["/usr/bin/apt-get"]);
  let listsMissing = options.listsMissing ?? false;
  const commands: string[] = [];
  const said: string[] = [];
  const debianFiles: Record<string, string> = { "redis-server": "/usr/bin/redis-server", chromium: "/usr/bin/chromium" };
  return {
    commands,
    said,
    env: { PATH: "/usr/local/bin:/usr/bin", ...options.env },
    platform: options.platform ?? "linux",
    isRoot: options.isRoot ?? true,
    isExecutable: (path) => executables.has(path),
    run(command, args, env) {
      commands.push([command, ...args].join(" "));
      assert.equal(env?.["DEBIAN_FRONTEND"], "noninteractive", "apt-get never waits for a question");
      if (args[0] === "update") {
        listsMissing = false;
        return { status: 0, output: "" };
      }
      const packages = args.filter((arg) => !arg.startsWith("-")).slice(1);
      if (listsMissing) return { status: 100, output: `E: Unable to locate package ${packages[0]}` };
      if (options.installFails !== undefined) return { status: 100, output: `Reading package lists...\n${options.installFails}` };
      for (const name of packages) executables.add(debianFiles[name]!);
      return { status: 0, output: "" };
    },
    say: (line) => void said.push(line),
  };
}

describe("test peers (npm test provisions redis-server and Chromium)", () => {
  it("uses the programs on PATH and installs nothing", () => {
    const machine = fakeMachine({ executables: ["/usr/bin/apt-get", "/usr/local/bin/redis-server", "/usr/bin/google-chrome"] });
    assert.deepEqual(provisionTestPeers(machine), { REDIS_SERVER: "/usr/local/bin/redis-server", CHROMIUM_PATH: "/usr/bin/google-chrome" });
    assert.deepEqual(machine.commands, []);
  });

  it("prefers REDIS_SERVER and CHROMIUM_PATH to anything on PATH", () => {
    const machine = fakeMachine({
      executables: ["/usr/bin/redis-server", "/usr/bin/chromium", "/opt/redis/bin/redis-server", "/opt/chrome/chrome"],
      env: { REDIS_SERVER: "/opt/redis/bin/redis-server", CHROMIUM_PATH: "/opt/chrome/chrome" },
    });
    assert.deepEqual(provisionTestPeers(machine), { REDIS_SERVER: "/opt/redis/bin/redis-server", CHROMIUM_PATH: "/opt/chrome/chrome" });
  });

  it("refuses an override that names no executable, naming the variable, before installing anything", () => {
    const machine = fakeMachine({ env: { CHROMIUM_PATH: "/opt/nothing/chrome" } });
    assert.throws(() => provisionTestPeers(machine), (error: unknown) => error instanceof TestPeersMissingError && /^CHROMIUM_PATH=\/opt\/nothing\/chrome is not an executable file/.test(error.message));
    assert.deepEqual(machine.commands, []);
  });

  it("as root with apt-get, installs exactly the missing Debian packages and returns where they went", () => {
    const machine = fakeMachine({ executables: ["/usr/bin/apt-get", "/usr/bin/redis-server"] });
    assert.deepEqual(provisionTestPeers(machine), { REDIS_SERVER: "/usr/bin/redis-server", CHROMIUM_PATH: "/usr/bin/chromium" });
    assert.deepEqual(machine.commands, ["/usr/bin/apt-get install -y -qq --no-install-recommends chromium"]);
    assert.equal(machine.said.length, 1);
    assert.match(machine.said[0]!, /Installing chromium .* with apt-get/);
  });

  it("fetches the package lists only when apt-get cannot find a package (a fresh image has none)", () => {
    const machine = fakeMachine({ listsMissing: true });
    assert.deepEqual(provisionTestPeers(machine), { REDIS_SERVER: "/usr/bin/redis-server", CHROMIUM_PATH: "/usr/bin/chromium" });
    assert.deepEqual(machine.commands, [
      "/usr/bin/apt-get install -y -qq --no-install-recommends redis-server chromium",
      "/usr/bin/apt-get update -qq",
      "/usr/bin/apt-get install -y -qq --no-install-recommends redis-server chromium",
    ]);
  });

  it("counts a program hidden from PATH as missing: apt-get is asked (a no-op when the package is installed), then Debian's location is used", () => {
    const machine = fakeMachine({ executables: ["/usr/local/sbin/apt-get", "/usr/bin/redis-server", "/usr/bin/chromium"], env: { PATH: "/usr/local/bin:/usr/local/sbin" } });
    assert.deepEqual(provisionTestPeers(machine), { REDIS_SERVER: "/usr/bin/redis-server", CHROMIUM_PATH: "/usr/bin/chromium" });
    assert.deepEqual(machine.commands, ["/usr/local/sbin/apt-get install -y -qq --no-install-recommends redis-server chromium"]);
  });

  for (const [label, options, pattern] of [
    ["not root", { isRoot: false }, /sudo apt-get install redis-server chromium/],
    ["without apt-get", { executables: [] }, /sudo apt-get install redis-server chromium/],
    ["on macOS", { platform: "darwin" as const }, /brew install redis/],
  ] as const) {
    it(`${label}, says in one line what to install and which variables to set, and runs nothing`, () => {
      const machine = fakeMachine(options);
      assert.throws(
        () => provisionTestPeers(machine),
        (error: unknown) =>
          error instanceof TestPeersMissingError &&
          !error.message.includes("\n") &&
          pattern.test(error.message) &&
          /REDIS_SERVER \/ CHROMIUM_PATH/.test(error.message) &&
          /redis-server \(the shared token cache tests\) and chromium \(the consent page in a real browser\)/.test(error.message),
      );
      assert.deepEqual(machine.commands, []);
    });
  }

  it("names only what is missing", () => {
    const machine = fakeMachine({ isRoot: false, executables: ["/usr/bin/chromium"] });
    assert.throws(() => provisionTestPeers(machine), /needs redis-server \(the shared token cache tests\), not found: install it: sudo apt-get install redis-server \(/);
  });

  it("reports a failed apt-get install in one line with apt's last word", () => {
    const machine = fakeMachine({ installFails: "E: Could not get lock /var/lib/dpkg/lock-frontend" });
    assert.throws(() => provisionTestPeers(machine), /^TestPeersMissingError: apt-get install redis-server chromium failed \(E: Could not get lock \/var\/lib\/dpkg\/lock-frontend\); install them yourself\.$/);
  });
});
