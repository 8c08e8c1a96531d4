/**
 * The real Bicep compiler builds and lints every file of infra/ offline, and
 * the parameters file fits main.bicep.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import {
  BICEP_VERSION,
  GRAPH_EXTENSION_REFERENCE,
  defaultPaths,
  formatDiagnostic,
  offlineBicepConfig,
  parseSarif,
  restoreProject,
  splitJsonDocuments,
} from "../../scripts/infra/bicep-toolchain.js";
import { compiledInfra } from "./support/compiled.js";

const root = defaultPaths().projectRoot;

async function bicepFilesInRepo(dir = join(root, "infra")): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      files.push(...(await bicepFilesInRepo(full)));
    } else if (entry.name.endsWith(".bicep")) {
      files.push(relative(root, full).split(sep).join("/"));
    }
  }
  return files.sort();
}

describe("infra: Bicep compiled and linted offline", function () {
  // The first run restores the compiler from NuGet.
  this.timeout(300_000);

  it("checks every .bicep file under infra/", async () => {
    const infra = await compiledInfra();
    assert.deepEqual([...infra.check.files], await bicepFilesInRepo());
    assert.ok(infra.check.files.length >= 8, "main.bicep and its modules");
  });

  it("builds every file with no error and no warning", async () => {
    const infra = await compiledInfra();
    assert.deepEqual(infra.check.buildDiagnostics.map(formatDiagnostic), []);
  });

  it("lints every file with no warning", async () => {
    const infra = await compiledInfra();
    assert.deepEqual(infra.check.lintDiagnostics.map(formatDiagnostic), []);
  });

  it("compiles main.bicep for the subscription scope", async () => {
    const infra = await compiledInfra();
    assert.match(String((infra.main as unknown as { $schema: string }).$schema), /subscriptionDeploymentTemplate\.json/);
  });

  it("keeps the registry reference of the Graph extension in the deployed bicepconfig.json", async () => {
    const config = await readFile(join(root, "infra", "bicepconfig.json"), "utf8");
    assert.ok(config.includes(JSON.stringify(GRAPH_EXTENSION_REFERENCE)));
    assert.match(config, /"microsoftGraphV1"\s*:/);
  });
});

describe("infra: main.parameters.json", () => {
  it("gives a value to every parameter without a default and names only parameters main.bicep has", async () => {
    const infra = await compiledInfra();
    const file = JSON.parse(await readFile(join(root, "infra", "main.parameters.json"), "utf8")) as {
      parameters: Record<string, { value: unknown }>;
    };
    const declared = infra.main.parameters ?? {};
    for (const name of Object.keys(file.parameters)) {
      assert.ok(name in declared, `main.parameters.json sets ${name}, which main.bicep does not declare`);
    }
    for (const [name, spec] of Object.entries(declared)) {
      if (spec.defaultValue === undefined) {
        assert.ok(name in file.parameters, `main.bicep requires ${name}, which main.parameters.json does not set`);
      }
    }
  });

  it("takes the environment name, region and deploying principal from azd", async () => {
    const file = JSON.parse(await readFile(join(root, "infra", "main.parameters.json"), "utf8")) as {
      parameters: Record<string, { value: unknown }>;
    };
    assert.equal(file.parameters["environmentName"]?.value, "${AZURE_ENV_NAME}");
    assert.equal(file.parameters["location"]?.value, "${AZURE_LOCATION}");
    assert.equal(file.parameters["principalId"]?.value, "${AZURE_PRINCIPAL_ID}");
  });

  it("defaults every azd substitution that azd does not set itself", async () => {
    const text = await readFile(join(root, "infra", "main.parameters.json"), "utf8");
    const azdOwn = new Set(["AZURE_ENV_NAME", "AZURE_LOCATION", "AZURE_PRINCIPAL_ID"]);
    for (const [, name, fallback] of text.matchAll(/\$\{([A-Z0-9_]+)(=[^}]*)?\}/g)) {
      assert.ok(azdOwn.has(name!) || fallback !== undefined, `\${${name}} needs a default (\${${name}=...})`);
    }
  });
});

describe("infra: offline toolchain helpers", () => {
  it("restores exactly the pinned Bicep CLI package for the machine's runtime", () => {
    const project = restoreProject("linux-x64", "net10.0");
    assert.match(project, new RegExp(`<PackageDownload Include="Azure\\.Bicep\\.CommandLine\\.linux-x64" Version="\\[${BICEP_VERSION.replace(/\./g, "\\.")}\\]" />`));
  });

  it("points only the Graph extension at the local package and keeps comments and linter settings", () => {
    const config = `{\n  // why\n  "extensions": { "microsoftGraphV1": "${GRAPH_EXTENSION_REFERENCE}" },\n  "analyzers": { "core": { "enabled": true } }\n}`;
    const offline = offlineBicepConfig(config, "../microsoftgraph.tgz");
    assert.ok(offline.includes('"microsoftGraphV1": "../microsoftgraph.tgz"'));
    assert.ok(offline.includes("// why"));
    assert.ok(offline.includes('"analyzers": { "core": { "enabled": true } }'));
  });

  it("refuses a bicepconfig.json without the registry reference", () => {
    assert.throws(() => offlineBicepConfig('{ "extensions": {} }', "x.tgz"), /exactly once/);
  });

  it("reads every SARIF log of a --pattern run, warnings without a level included", () => {
    const log = (rule: string, level?: string): string =>
      JSON.stringify({
        runs: [
          {
            results: [
              {
                ruleId: rule,
                ...(level === undefined ? {} : { level }),
                message: { text: `about {braces} and "quotes"` },
                locations: [{ physicalLocation: { artifactLocation: { uri: "file:///w/infra/main.bicep" }, region: { startLine: 3 } } }],
              },
            ],
          },
        ],
      });
    assert.equal(splitJsonDocuments(`${log("a")}${log("b")}\n`).length, 2);
    const diagnostics = parseSarif(`${log("no-unused-params")}\n${log("BCP081", "error")}`, "/w");
    assert.deepEqual(
      diagnostics.map((d) => [d.file, d.line, d.level, d.rule]),
      [
        ["infra/main.bicep", 3, "warning", "no-unused-params"],
        ["infra/main.bicep", 3, "error", "BCP081"],
      ],
    );
  });
});
