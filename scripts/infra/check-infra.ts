/**
 * `node dist/scripts/infra/check-infra.js`: restores the Bicep compiler,
 * builds the Graph extension, then builds and lints every `.bicep` file of
 * `infra/` offline. Exits 1 on any error or warning. The tests in
 * `test/infra/` run the same check and read the compiled ARM JSON it leaves
 * in `.local/bicep/check/infra/`.
 */
import { checkInfra, formatDiagnostic } from "./bicep-toolchain.js";

const started = Date.now();
const result = await checkInfra(undefined, (line) => console.log(`- ${line}`));
for (const command of result.commands) {
  console.log(`$ ${command}`);
}
const failures = [...result.buildDiagnostics, ...result.lintDiagnostics].filter((d) => d.level !== "note");
for (const diagnostic of [...result.buildDiagnostics, ...result.lintDiagnostics]) {
  console.log(formatDiagnostic(diagnostic));
}
console.log(
  `${result.files.length} Bicep files built and linted with ${result.bicepPath.includes(".local") ? "the restored" : "BICEP_PATH's"} compiler in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
    `${failures.length === 0 ? "no errors, no warnings" : `${failures.length} errors or warnings`}`,
);
process.exitCode = failures.length === 0 ? 0 : 1;
