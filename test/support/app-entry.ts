/** The module Azure Functions loads: package.json `main` (the bundled app, scripts/bundle-app.ts). */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PROJECT_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** The absolute path of package.json `main`. */
export function appEntry(): string {
  const { main } = JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf8")) as { main: string };
  return join(PROJECT_ROOT, main);
}
