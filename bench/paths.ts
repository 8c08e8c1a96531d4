/** Where the compiled benchmark finds its server entries and the project. */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** dist/bench (this module's compiled folder). */
export const BENCH_DIST = dirname(fileURLToPath(import.meta.url));
/** The project root (dist/bench/../..). */
export const PROJECT_ROOT = join(BENCH_DIST, "..", "..");
/** Where recorded runs go. */
export const RESULTS_DIR = join(PROJECT_ROOT, "bench", "results");

/** The compiled entry of a bench server: `server("baseline")` → dist/bench/servers/baseline.js. */
export function serverEntry(name: string): string {
  return join(BENCH_DIST, "servers", `${name}.js`);
}
