/**
 * `node dist/scripts/bundle-app.js` (the second step of `npm run build`):
 * bundles the compiled function app into `dist/app/`, the entry package.json
 * `main` names and Azure Functions loads.
 *
 * Loading some seventy small ES modules one by one (read, compile, link each)
 * was a quarter of the app's import time, which every cold start pays
 * (bench/README.md). esbuild joins the kit's own modules into a few files;
 * packages stay in node_modules, imported as they are, and every module the
 * app loads on first use (the facade, telemetry, OpenAPI, MSAL...) stays a
 * chunk of its own (code splitting), loaded when it was before.
 *
 * The bundle must hold nothing that does not ship: a module of dev/, test/,
 * bench/ or scripts/ reached from the entry stops the build, naming it.
 */
import { rm } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The compiled entry, and where the bundle goes. */
const APP_ENTRY = join(PROJECT_ROOT, "dist", "functions", "index.js");
const BUNDLE_DIR = join(PROJECT_ROOT, "dist", "app");
/** Compiled folders whose code never runs in Azure (the deployment package leaves them out too). */
const NOT_SHIPPED = /^dist\/(dev|test|bench|scripts)\//;

async function main(): Promise<void> {
  // Chunk names carry a hash of their content: without this, every build would leave the last one's behind.
  await rm(BUNDLE_DIR, { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: APP_ENTRY },
    outdir: BUNDLE_DIR,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Packages are loaded from node_modules as before: the same files, the same versions, the lock file's.
    packages: "external",
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
  });
  const inputs = Object.keys(result.metafile.inputs).map((input) => relative(PROJECT_ROOT, join(process.cwd(), input)).split("\\").join("/"));
  const strays = inputs.filter((input) => NOT_SHIPPED.test(input));
  if (strays.length > 0) {
    throw new Error(`the function app's bundle would include code that never ships (the app must not import it):\n  ${strays.join("\n  ")}`);
  }
}

main().catch((error: unknown) => {
  console.error(`bundle-app: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
