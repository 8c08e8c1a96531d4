/**
 * `node dist/scripts/node22-path.js`: prints the path of a Node 22 binary,
 * installing one from npm into .ci/tools/node22 when the machine has none
 * (scripts/node22.ts). `.ci/run` runs the suite a second time with it.
 * Progress goes to stderr, so stdout is the path alone.
 */
import { ensureNode22 } from "./node22.js";

try {
  console.log(ensureNode22({ say: (line) => console.error(line) }).path);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
