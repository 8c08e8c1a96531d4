/** The README documents every setting the code reads, and every script it tells people to run exists. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SETTINGS } from "../../lib/config.js";

const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
const scripts = (JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> }).scripts;

describe("README", () => {
  it("lists every setting of lib/config.ts in its configuration table", () => {
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Deploy with azd up"));
    const missing = Object.keys(SETTINGS).filter((name) => !table.includes(`\`${name}\``));
    assert.deepEqual(missing, []);
  });

  it("names no setting in that table that the code does not declare", () => {
    const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## Deploy with azd up"));
    const firstCells = table.split("\n").filter((line) => line.startsWith("| `")).map((line) => line.split("|")[1]!);
    const named = firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]!));
    assert.ok(named.length > 20);
    assert.deepEqual(
      named.filter((name) => !(name in SETTINGS)),
      [],
    );
  });

  it("points tool authors at a test template that exists and uses the support modules it shows", () => {
    const section = readme.slice(readme.indexOf("### Testing your own tool"), readme.indexOf("### Declaring a downstream API"));
    assert.match(section, /test\/integration\/tool-template\.test\.ts/);
    const template = readFileSync(new URL("../../../test/integration/tool-template.test.ts", import.meta.url), "utf8");
    for (const [, module] of section.matchAll(/from "\.\.\/support\/([a-z-]+)\.js"/g)) assert.ok(template.includes(`../support/${module}.js`), `the template uses ../support/${module}.js`);
    for (const name of ["startKit", "connectClient", "proxyEnv", "startDefaultStandIn", "callTool", "mintAccessToken"]) assert.ok(template.includes(name), `the template shows ${name}`);
  });

  it("tells people to run only npm scripts that exist", () => {
    const mentioned = new Set([...readme.matchAll(/npm run (?:--silent )?([a-z][a-z:-]*)/g)].map((match) => match[1]!));
    const missing = [...mentioned].filter((name) => scripts[name] === undefined);
    assert.deepEqual(missing, []);
    for (const command of ["start", "test"]) assert.ok(scripts[command] !== undefined);
  });
});
