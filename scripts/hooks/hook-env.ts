/**
 * What every azd hook shares: the environment azd hands it (its own values,
 * the Bicep outputs and the user's `azd env set` values), typed errors and a
 * reader of `.azure/<env>/.env` for commands run outside azd.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** Environment variables as a hook sees them. */
export type HookEnv = Readonly<Record<string, string | undefined>>;

/** A failure the user can act on; the message says how. Hooks exit 1 with it, without a stack trace. */
export class HookError extends Error {
  readonly code = "HOOK_FAILED";
  constructor(message: string) {
    super(message);
    this.name = "HookError";
  }
}

/** Where hooks write what they have to say. */
export interface HookLog {
  info(line: string): void;
  warn(line: string): void;
}

/** A value of `env`, trimmed; undefined when missing or blank. */
export function envValue(env: HookEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/**
 * A value the hook cannot work without.
 * @throws HookError naming the variable and how to get it.
 */
export function requireEnv(env: HookEnv, name: string, hint: string): string {
  const value = envValue(env, name);
  if (value === undefined) {
    throw new HookError(`${name} is not set: ${hint}`);
  }
  return value;
}

/** Parses a dotenv file as azd writes it (`NAME="value"` lines). */
export function parseDotenv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (match === null) {
      continue;
    }
    let value = match[2]!;
    if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) {
      value = value.slice(1, -1).replace(/\\"/g, '"').replace(/\\n/g, "\n");
    }
    values[match[1]!] = value;
  }
  return values;
}

/**
 * The azd environment for commands run outside azd (e.g. rotating the sealing
 * key): `.azure/<AZURE_ENV_NAME or the default environment>/.env`, under the
 * variables already in `env`, which win.
 */
export async function withAzdEnvironment(projectRoot: string, env: HookEnv): Promise<HookEnv> {
  let name = envValue(env, "AZURE_ENV_NAME");
  if (name === undefined) {
    try {
      const config = JSON.parse(await readFile(join(projectRoot, ".azure", "config.json"), "utf8")) as { defaultEnvironment?: string };
      name = config.defaultEnvironment;
    } catch {
      return env;
    }
  }
  if (name === undefined) {
    return env;
  }
  try {
    const values = parseDotenv(await readFile(join(projectRoot, ".azure", name, ".env"), "utf8"));
    return { ...values, ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) };
  } catch {
    return env;
  }
}
