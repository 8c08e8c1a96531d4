/**
 * The offline Bicep toolchain: the real Bicep compiler restored from NuGet,
 * the Microsoft Graph extension built from the type files kept in
 * `../shared/third_party/`, and a check that builds and lints every `.bicep`
 * file of `infra/` with no diagnostics at all.
 *
 * Nothing here reaches a container registry: the deployed `infra/bicepconfig.json`
 * names the Graph extension in the Microsoft container registry, so the check
 * compiles a copy of `infra/` whose bicepconfig points at the locally built
 * package instead. Everything restored or generated lives under `.local/`
 * (gitignored); nobody commits a binary.
 *
 * The same functions serve `node dist/scripts/infra/check-infra.js` and the
 * tests in `test/infra/`, which read the compiled ARM JSON.
 */
import { execFile } from "node:child_process";
import { chmod, copyFile, cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/** Version of `Azure.Bicep.CommandLine.<rid>` restored from NuGet. */
export const BICEP_VERSION = "0.49.2";

/** The registry reference `infra/bicepconfig.json` must carry for the Graph extension. */
export const GRAPH_EXTENSION_REFERENCE = "br:mcr.microsoft.com/bicep/extensions/microsoftgraph/v1.0:1.0.0";

/** Alias under which `infra/` declares the Graph extension (`extension microsoftGraphV1`). */
export const GRAPH_EXTENSION_ALIAS = "microsoftGraphV1";

/** Where the project, its `infra/` and the shared third-party files are. */
export interface ToolchainPaths {
  /** The project root (holds package.json and infra/). */
  readonly projectRoot: string;
  /** `../shared/third_party` of the project. */
  readonly thirdPartyDir: string;
  /** Working directory for everything restored or generated: `.local/bicep`. */
  readonly workDir: string;
}

/** Default paths, derived from this file's place in `dist/scripts/infra/`. */
export function defaultPaths(): ToolchainPaths {
  const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
  return {
    projectRoot,
    thirdPartyDir: resolve(projectRoot, "..", "shared", "third_party"),
    workDir: join(projectRoot, ".local", "bicep"),
  };
}

/** Thrown when a tool cannot be restored or run; the message says what to do. */
export class ToolchainError extends Error {
  readonly code = "TOOLCHAIN_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "ToolchainError";
  }
}

/** One diagnostic of `bicep build` or `bicep lint`. */
export interface BicepDiagnostic {
  /** Project-relative path of the file, e.g. `infra/modules/storage.bicep`. */
  readonly file: string;
  readonly line: number;
  /** `error`, `warning` or `note` (SARIF levels; a result without one is a warning). */
  readonly level: string;
  /** Rule or diagnostic code, e.g. `no-unused-params` or `BCP081`. */
  readonly rule: string;
  readonly message: string;
}

/** What {@link checkInfra} produced. */
export interface InfraCheckResult {
  /** The compiler that ran. */
  readonly bicepPath: string;
  /** Directory holding the checked copy of infra/ and, beside each `.bicep`, its compiled `.json`. */
  readonly compiledInfraDir: string;
  /** Project-relative paths of the `.bicep` files checked. */
  readonly files: readonly string[];
  readonly buildDiagnostics: readonly BicepDiagnostic[];
  readonly lintDiagnostics: readonly BicepDiagnostic[];
  /** The commands run, for the record (README "Checks"). */
  readonly commands: readonly string[];
}

interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      [...args],
      { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) {
          reject(new ToolchainError(`${file} ${args.join(" ")} failed (${error.message.split("\n")[0]}):\n${stderr || stdout}`));
        } else {
          resolvePromise({ stdout, stderr });
        }
      },
    );
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** NuGet runtime identifier of this machine, as the Bicep CLI packages are named. */
export function runtimeIdentifier(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  const os = platform === "win32" ? "win" : platform === "darwin" ? "osx" : platform === "linux" ? "linux" : undefined;
  const cpu = arch === "x64" ? "x64" : arch === "arm64" ? "arm64" : undefined;
  if (os === undefined || cpu === undefined) {
    throw new ToolchainError(`no Bicep CLI package for ${platform}-${arch}; set BICEP_PATH to an installed bicep executable`);
  }
  return `${os}-${cpu}`;
}

/**
 * The throwaway project whose restore downloads the Bicep CLI package.
 * `PackageDownload` fetches a package without referencing it, so the target
 * framework only has to be one the installed SDK knows.
 */
export function restoreProject(rid: string, targetFramework: string): string {
  return [
    '<Project Sdk="Microsoft.NET.Sdk">',
    "  <!-- Generated by scripts/infra/bicep-toolchain.ts: restores the Bicep CLI, builds nothing. -->",
    "  <PropertyGroup>",
    `    <TargetFramework>${targetFramework}</TargetFramework>`,
    "  </PropertyGroup>",
    "  <ItemGroup>",
    `    <PackageDownload Include="Azure.Bicep.CommandLine.${rid}" Version="[${BICEP_VERSION}]" />`,
    "  </ItemGroup>",
    "</Project>",
    "",
  ].join("\n");
}

/**
 * Returns the path of a Bicep CLI, restoring `Azure.Bicep.CommandLine.<rid>`
 * from NuGet with `dotnet restore` into `.local/bicep/packages` the first time.
 * `BICEP_PATH` in the environment overrides the restore.
 *
 * @example
 * const bicep = await ensureBicep(); // ".../.local/bicep/packages/azure.bicep.commandline.linux-x64/0.49.2/tools/bicep"
 */
export async function ensureBicep(paths: ToolchainPaths = defaultPaths(), log: (line: string) => void = () => {}): Promise<string> {
  const override = process.env["BICEP_PATH"];
  if (override !== undefined && override.trim() !== "") {
    return override.trim();
  }
  const rid = runtimeIdentifier();
  const packagesDir = join(paths.workDir, "packages");
  const executable = join(
    packagesDir,
    `azure.bicep.commandline.${rid}`,
    BICEP_VERSION,
    "tools",
    process.platform === "win32" ? "bicep.exe" : "bicep",
  );
  if (!(await exists(executable))) {
    const dotnetEnv = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1", DOTNET_SKIP_FIRST_TIME_EXPERIENCE: "1" };
    let sdkVersion: string;
    try {
      sdkVersion = (await run("dotnet", ["--version"], { cwd: paths.projectRoot, env: dotnetEnv })).stdout.trim();
    } catch (error) {
      throw new ToolchainError(
        `the .NET SDK is needed to restore the Bicep CLI from NuGet (or set BICEP_PATH to an installed bicep): ${(error as Error).message}`,
      );
    }
    const major = sdkVersion.split(".")[0];
    const projectFile = join(paths.workDir, "restore-bicep.csproj");
    await mkdir(paths.workDir, { recursive: true });
    await writeFile(projectFile, restoreProject(rid, `net${major}.0`));
    log(`restoring Azure.Bicep.CommandLine.${rid} ${BICEP_VERSION} from NuGet`);
    await run("dotnet", ["restore", projectFile, "--packages", packagesDir, "--nologo"], { cwd: paths.workDir, env: dotnetEnv });
    if (!(await exists(executable))) {
      throw new ToolchainError(`dotnet restore finished but ${executable} is missing`);
    }
  }
  if (process.platform !== "win32") {
    // NuGet extraction does not always keep the executable bit.
    await chmod(executable, 0o755);
  }
  return executable;
}

/**
 * Builds the Microsoft Graph extension package (`.tgz`) from the type index
 * in `../shared/third_party/msgraph-bicep-types/v1.0-1.0.0/` with
 * `bicep publish-extension`, once; returns its path.
 */
export async function ensureGraphExtension(bicep: string, paths: ToolchainPaths = defaultPaths(), log: (line: string) => void = () => {}): Promise<string> {
  const index = join(paths.thirdPartyDir, "msgraph-bicep-types", "v1.0-1.0.0", "index.json");
  if (!(await exists(index))) {
    throw new ToolchainError(`Graph extension types not found at ${index}; the project expects ../shared/third_party beside it`);
  }
  const target = join(paths.workDir, "microsoftgraph-v1.0-1.0.0.tgz");
  const types = join(dirname(index), "types.json");
  const sourceTime = Math.max((await stat(index)).mtimeMs, (await stat(types)).mtimeMs);
  if (!(await exists(target)) || (await stat(target)).mtimeMs < sourceTime) {
    await mkdir(paths.workDir, { recursive: true });
    log("building the Microsoft Graph extension package from the shared type files");
    await run(bicep, ["publish-extension", index, "--target", target, "--force"], { cwd: paths.workDir });
  }
  return target;
}

/**
 * Rewrites a bicepconfig.json (JSONC) so that the Graph extension alias points
 * at a local package. Only the registry reference changes; comments and the
 * linter settings stay, so the copy is checked with the project's own rules.
 * @throws ToolchainError when the reference is not there exactly once.
 */
export function offlineBicepConfig(text: string, localPackage: string): string {
  const quoted = JSON.stringify(GRAPH_EXTENSION_REFERENCE);
  const occurrences = text.split(quoted).length - 1;
  if (occurrences !== 1) {
    throw new ToolchainError(`infra/bicepconfig.json must reference ${GRAPH_EXTENSION_REFERENCE} exactly once (found ${occurrences})`);
  }
  return text.replace(quoted, JSON.stringify(localPackage.split(sep).join("/")));
}

interface SarifLog {
  runs?: Array<{
    results?: Array<{
      ruleId?: string;
      level?: string;
      message?: { text?: string };
      locations?: Array<{ physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number } } }>;
    }>;
  }>;
}

/**
 * Splits text holding several JSON documents one after another (what
 * `bicep --pattern` prints: one SARIF log per file) into the documents.
 */
export function splitJsonDocuments(text: string): string[] {
  const documents: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (escaped) {
        escaped = false;
      } else if (char === "\\") {
        escaped = true;
      } else if (char === '"') {
        inString = false;
      }
      continue;
    }
    if (char === '"') {
      inString = true;
    } else if (char === "{" || char === "[") {
      if (depth === 0) {
        start = i;
      }
      depth++;
    } else if (char === "}" || char === "]") {
      depth--;
      if (depth === 0) {
        documents.push(text.slice(start, i + 1));
      }
    } else if (depth === 0 && char !== undefined && char.trim() !== "") {
      throw new ToolchainError(`unexpected output from bicep: ${JSON.stringify(text.slice(i, i + 80))}`);
    }
  }
  if (depth !== 0) {
    throw new ToolchainError("truncated JSON output from bicep");
  }
  return documents;
}

/** Parses the SARIF logs that `bicep --diagnostics-format sarif` prints; paths become relative to `root`. */
export function parseSarif(text: string, root: string): BicepDiagnostic[] {
  const diagnostics: BicepDiagnostic[] = [];
  for (const document of splitJsonDocuments(text)) {
    const log = JSON.parse(document) as SarifLog;
    for (const runEntry of log.runs ?? []) {
      for (const result of runEntry.results ?? []) {
        const location = result.locations?.[0]?.physicalLocation;
        const uri = location?.artifactLocation?.uri ?? "";
        const file = uri.startsWith("file://") ? relative(root, fileURLToPath(uri)).split(sep).join("/") : uri;
        diagnostics.push({
          file,
          line: location?.region?.startLine ?? 0,
          // SARIF: a result without a level is a warning.
          level: result.level ?? "warning",
          rule: result.ruleId ?? "",
          message: result.message?.text ?? "",
        });
      }
    }
  }
  return diagnostics;
}

async function listBicepFiles(dir: string, base: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      found.push(...(await listBicepFiles(full, base)));
    } else if (entry.name.endsWith(".bicep")) {
      found.push(relative(base, full).split(sep).join("/"));
    }
  }
  return found.sort();
}

/**
 * Restores the compiler, builds the Graph extension, copies `infra/` to
 * `.local/bicep/check/infra/` with an offline bicepconfig, then runs
 * `bicep build` and `bicep lint` over every `.bicep` file in it.
 * Diagnostics are returned, not thrown: callers decide (the tests fail on any).
 */
export async function checkInfra(paths: ToolchainPaths = defaultPaths(), log: (line: string) => void = () => {}): Promise<InfraCheckResult> {
  const bicep = await ensureBicep(paths, log);
  const extension = await ensureGraphExtension(bicep, paths, log);
  const checkRoot = join(paths.workDir, "check");
  const checkInfraDir = join(checkRoot, "infra");
  await rm(checkRoot, { recursive: true, force: true });
  await mkdir(checkRoot, { recursive: true });
  await cp(join(paths.projectRoot, "infra"), checkInfraDir, { recursive: true });
  await copyFile(extension, join(checkRoot, "microsoftgraph.tgz"));
  const config = await readFile(join(paths.projectRoot, "infra", "bicepconfig.json"), "utf8");
  await writeFile(join(checkInfraDir, "bicepconfig.json"), offlineBicepConfig(config, "../microsoftgraph.tgz"));

  const files = await listBicepFiles(checkInfraDir, checkRoot);
  const pattern = "infra/**/*.bicep";
  const build = await run(bicep, ["build", "--pattern", pattern, "--diagnostics-format", "sarif"], { cwd: checkRoot });
  const lint = await run(bicep, ["lint", "--pattern", pattern, "--diagnostics-format", "sarif"], { cwd: checkRoot });
  return {
    bicepPath: bicep,
    compiledInfraDir: checkInfraDir,
    files,
    buildDiagnostics: diagnosticsOf(build, checkRoot),
    lintDiagnostics: diagnosticsOf(lint, checkRoot),
    commands: [
      `dotnet restore ${relative(paths.projectRoot, join(paths.workDir, "restore-bicep.csproj"))} --packages ${relative(paths.projectRoot, join(paths.workDir, "packages"))}`,
      `${relative(paths.projectRoot, bicep)} publish-extension ../shared/third_party/msgraph-bicep-types/v1.0-1.0.0/index.json --target ${relative(paths.projectRoot, extension)} --force`,
      `(cd ${relative(paths.projectRoot, checkRoot)} && bicep build --pattern '${pattern}' --diagnostics-format sarif)`,
      `(cd ${relative(paths.projectRoot, checkRoot)} && bicep lint --pattern '${pattern}' --diagnostics-format sarif)`,
    ],
  };
}

/**
 * `bicep lint` prints its SARIF logs on stdout, `bicep build` on stderr;
 * anything else on either stream is an unexpected message, reported as an
 * error rather than lost.
 */
function diagnosticsOf(result: RunResult, root: string): BicepDiagnostic[] {
  const diagnostics: BicepDiagnostic[] = [];
  for (const stream of [result.stdout, result.stderr]) {
    if (stream.trim() === "") {
      continue;
    }
    try {
      diagnostics.push(...parseSarif(stream, root));
    } catch {
      diagnostics.push({ file: "", line: 0, level: "error", rule: "output", message: stream.trim() });
    }
  }
  return diagnostics;
}

/** Formats a diagnostic as `file(line): level rule: message`. */
export function formatDiagnostic(d: BicepDiagnostic): string {
  return `${d.file}(${d.line}): ${d.level} ${d.rule}: ${d.message}`;
}
