/**
 * `npm run conformance` gets Node 22 by itself (scripts/node22.ts): these run
 * its install path against a stand-in for npm, so that the suite stays
 * offline, while pretending to be an older Node.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureNode22, findNode22, NODE22_VERSION } from "../../scripts/node22.js";

const NODE20 = { path: "/usr/bin/node-20", version: "20.19.0" };
const PACKAGE = `node-${process.platform === "win32" ? "win" : process.platform}-${process.arch}`;

/**
 * A fake npm CLI: records its arguments, then installs a "node" that
 * reports `version`, or fails like npm does for a missing version.
 */
function fakeNpm(directory: string, outcome: { version: string } | { fails: string }): string {
  const cli = join(directory, "npm-cli.js");
  writeFileSync(
    cli,
    `const fs = require("node:fs"), path = require("node:path");
const args = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(join(directory, "npm-args.json"))}, JSON.stringify(args));
${"fails" in outcome ? `console.error(${JSON.stringify(outcome.fails)}); process.exit(1);` : ""}
const prefix = args[args.indexOf("--prefix") + 1];
const bin = path.join(prefix, "node_modules", ${JSON.stringify(PACKAGE)}, "bin");
fs.mkdirSync(bin, { recursive: true });
fs.writeFileSync(path.join(bin, "node"), "#!/bin/sh\\necho v${"version" in outcome ? outcome.version : ""}\\n");
fs.chmodSync(path.join(bin, "node"), 0o755);
`,
  );
  writeFileSync(join(directory, "package.json"), '{"type":"commonjs"}');
  return cli;
}

describe("Node 22 for the conformance suite (scripts/node22.ts)", () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), "node22-"));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it("uses the running Node when it is 22 or later, and installs nothing", () => {
    const current = { path: "/opt/node-22/bin/node", version: "22.1.0" };
    const npmCli = fakeNpm(directory, { version: "22.23.3" });
    assert.deepEqual(ensureNode22({ current, prefix: join(directory, "prefix"), npmCli, say: () => undefined }), current);
    assert.throws(() => readFileSync(join(directory, "npm-args.json")), /ENOENT/, "npm was not run");
  });

  it("on an older Node with none found, installs Node 22 from npm outside package.json and returns it", () => {
    const prefix = join(directory, "prefix");
    const npmCli = fakeNpm(directory, { version: NODE22_VERSION });
    const said: string[] = [];
    assert.equal(findNode22({ current: NODE20, explicit: "", prefix }), undefined);
    const node22 = ensureNode22({ current: NODE20, explicit: "", prefix, npmCli, say: (line) => void said.push(line) });
    assert.deepEqual(node22, { path: join(prefix, "node_modules", PACKAGE, "bin", "node"), version: NODE22_VERSION });
    const args = JSON.parse(readFileSync(join(directory, "npm-args.json"), "utf8")) as string[];
    assert.equal(args[0], "install");
    for (const flag of ["--no-save", "--no-package-lock"]) assert.ok(args.includes(flag), `${flag} keeps package.json and the lock file as they are`);
    assert.equal(args.at(-1), `${PACKAGE}@${NODE22_VERSION}`);
    assert.deepEqual(said, [`Node 20.19.0 runs this; installing Node ${NODE22_VERSION} from npm (${PACKAGE}) into ${prefix}…`]);
    // The next run finds it without npm.
    rmSync(join(directory, "npm-args.json"));
    assert.deepEqual(ensureNode22({ current: NODE20, explicit: "", prefix, npmCli, say: () => undefined }), node22);
    assert.throws(() => readFileSync(join(directory, "npm-args.json")), /ENOENT/);
  });

  it("says what failed and how to provide Node 22 when npm cannot install it", () => {
    const npmCli = fakeNpm(directory, { fails: `npm error 404 Not Found - GET https://registry.npmjs.org/${PACKAGE}` });
    assert.throws(
      () => ensureNode22({ current: NODE20, explicit: "", prefix: join(directory, "prefix"), npmCli, say: () => undefined }),
      new RegExp(`^Error: .*needs Node 22 or later; this is Node 20\\.19\\.0, and installing ${PACKAGE}@${NODE22_VERSION} from npm failed \\(npm error 404 .*\\)\\. Run this with Node 22, or set NODE22 to a Node 22 binary\\.$`),
    );
  });

  it("takes NODE22 when it names a Node 22, and passes over one that is older", () => {
    const prefix = join(directory, "prefix");
    const explicit = join(directory, "node");
    writeFileSync(explicit, "#!/bin/sh\necho v22.5.1\n");
    chmodSync(explicit, 0o755);
    assert.deepEqual(findNode22({ current: NODE20, explicit, prefix }), { path: explicit, version: "22.5.1" });
    writeFileSync(explicit, "#!/bin/sh\necho v18.20.0\n");
    assert.equal(findNode22({ current: NODE20, explicit, prefix }), undefined);
  });
});
