/**
 * Stages the deployment package azd zips for the function app
 * (azure.yaml: `dist: .local/deploy`, `remoteBuild: false`):
 *
 * - the compiled `dist/` without what never runs in Azure (tests, the local
 *   Entra stand-in, benchmarks, scripts, source maps, the tsc build info);
 * - `host.json`, `package.json` (without scripts) and `package-lock.json`;
 * - `node_modules` with production dependencies only, from `npm ci --omit=dev`.
 *
 * azd would otherwise zip the project with its whole node_modules, dev
 * dependencies included (TypeScript, Azurite, Playwright, the conformance
 * suite), or ask Azure to run a remote build that installs them too.
 */
import { execFile } from "node:child_process";
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { HookError } from "./hook-env.js";

/** Paths under dist/ that never ship, and files that do not either. */
export const EXCLUDED_FROM_PACKAGE: readonly string[] = ["dist/test/", "dist/dev/", "dist/bench/", "dist/scripts/", "dist/.tsbuildinfo"];

/** What {@link stagePackage} needs. */
export interface StageOptions {
  readonly projectRoot: string;
  /** The directory azd zips; recreated from scratch. */
  readonly stageDir: string;
  /** Installs production dependencies into the staged directory (`npm ci --omit=dev`). */
  readonly installProductionDependencies: (dir: string) => Promise<void>;
}

/** Whether a project-relative path belongs in the package. */
export function shipsInPackage(path: string): boolean {
  const normalized = path.split(sep).join("/");
  return !normalized.endsWith(".map") && !EXCLUDED_FROM_PACKAGE.some((prefix) => normalized === prefix.replace(/\/$/, "") || normalized.startsWith(prefix));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") {
        files.push(...(await filesUnder(full)));
      }
    } else {
      files.push(full);
    }
  }
  return files;
}

/**
 * Relative imports of the staged JavaScript that point at a file missing from
 * the package (e.g. code under dist/ importing the excluded dev/ stand-in).
 */
export async function danglingImports(stageDir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const file of (await filesUnder(stageDir)).filter((f) => f.endsWith(".js"))) {
    const source = await readFile(file, "utf8");
    for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)) {
      const target = resolve(dirname(file), match[1]!);
      if (!(await exists(target))) {
        problems.push(`${relative(stageDir, file).split(sep).join("/")} imports ${match[1]}, which is not in the package`);
      }
    }
  }
  return problems;
}

/**
 * Builds the deployment package in `stageDir`.
 * @throws HookError when the app is not built, or the staged code imports something left out.
 */
export async function stagePackage(options: StageOptions): Promise<{ readonly files: number }> {
  const { projectRoot, stageDir } = options;
  const manifest = JSON.parse(await readFile(join(projectRoot, "package.json"), "utf8")) as Record<string, unknown> & { main?: string };
  if (typeof manifest.main !== "string" || !(await exists(join(projectRoot, manifest.main)))) {
    throw new HookError(`package.json main (${String(manifest.main)}) is not built; run \`npm run build\``);
  }
  await rm(stageDir, { recursive: true, force: true });
  await mkdir(stageDir, { recursive: true });

  let count = 0;
  for (const file of await filesUnder(join(projectRoot, "dist"))) {
    const path = relative(projectRoot, file);
    if (shipsInPackage(path)) {
      await cp(file, join(stageDir, path), { recursive: false });
      count++;
    }
  }
  await cp(join(projectRoot, "host.json"), join(stageDir, "host.json"));
  if (await exists(join(projectRoot, "package-lock.json"))) {
    await cp(join(projectRoot, "package-lock.json"), join(stageDir, "package-lock.json"));
  }
  // Scripts would only invite a build on the server; the dependency lists stay
  // so that `npm ci` finds package.json in step with the lock file.
  const { scripts: _scripts, ...shipped } = manifest;
  await writeFile(join(stageDir, "package.json"), `${JSON.stringify(shipped, null, 2)}\n`);
  // azd zips everything in the staged directory that this file does not
  // exclude; it excludes nothing, node_modules included.
  await writeFile(join(stageDir, ".funcignore"), "# Staged by scripts/hooks/stage-package.ts: everything here ships.\n");
  count += 3;

  const dangling = await danglingImports(stageDir);
  if (dangling.length > 0) {
    throw new HookError(`the deployment package is incomplete:\n  ${dangling.join("\n  ")}`);
  }
  await options.installProductionDependencies(stageDir);
  return { files: count };
}

/** `npm ci --omit=dev` in `dir`, through the npm that runs this hook when there is one. */
export function npmCiProductionOnly(dir: string): Promise<void> {
  const args = ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"];
  const npmCli = process.env["npm_execpath"];
  const [file, fileArgs] = npmCli !== undefined && npmCli.endsWith(".js") ? [process.execPath, [npmCli, ...args]] : ["npm", args];
  return new Promise((resolvePromise, reject) => {
    execFile(file, fileArgs, { cwd: dir, shell: process.platform === "win32" && file === "npm", maxBuffer: 16 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) {
        reject(new HookError(`npm ci --omit=dev failed in ${dir}:\n${stderr}`));
      } else {
        resolvePromise();
      }
    });
  });
}
