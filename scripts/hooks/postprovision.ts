/**
 * `azd provision`'s postprovision hook: creates the facade's sealing keyring
 * in Key Vault when it is missing, writes the deployed server into
 * `.vscode/mcp.json` and prints the MCP URL.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { envValue, HookError, requireEnv, type HookEnv, type HookLog } from "./hook-env.js";
import { ensureSealingKeyring, type KeyringDeps, type RetryPolicy, type SecretStore } from "./sealing-keyring.js";
import { mergeMcpServer } from "./vscode-mcp.js";

/** What the postprovision hook works with. */
export interface PostprovisionDeps {
  readonly env: HookEnv;
  /** Opens the Key Vault at a vault URL. */
  readonly openSecretStore: (vaultUrl: string) => SecretStore;
  /** Directory holding `.vscode/`. */
  readonly projectRoot: string;
  readonly log: HookLog;
  readonly keyringDeps?: KeyringDeps;
  readonly retry?: RetryPolicy;
}

/** Name of the server entry in `.vscode/mcp.json`. */
export function mcpServerName(envName: string): string {
  return `mcp-functions-kit-${envName}`;
}

/** Runs the postprovision steps. */
export async function postprovision(deps: PostprovisionDeps): Promise<void> {
  const { env, log } = deps;
  const hint = "it is an output of infra/main.bicep; did `azd provision` finish?";
  const vaultUrl = requireEnv(env, "KEY_VAULT_URL", hint);
  const secretName = envValue(env, "SEALING_KEYRING_SECRET_NAME") ?? "sealing-keyring";
  const mcpUrl = requireEnv(env, "MCP_URL", hint);
  const envName = requireEnv(env, "AZURE_ENV_NAME", "azd sets it");

  const outcome = await ensureSealingKeyring(deps.openSecretStore(vaultUrl), secretName, {
    log,
    ...(deps.keyringDeps === undefined ? {} : { deps: deps.keyringDeps }),
    ...(deps.retry === undefined ? {} : { retry: deps.retry }),
  });
  log.info(
    outcome === "created"
      ? `Created the sealing keyring (Key Vault secret ${secretName}).`
      : outcome === "recovered"
        ? `Recovered the soft-deleted sealing keyring (Key Vault secret ${secretName}); its keys are unchanged.`
        : `The sealing keyring (Key Vault secret ${secretName}) exists; left unchanged.`,
  );

  const file = join(deps.projectRoot, ".vscode", "mcp.json");
  let existing: string | undefined;
  try {
    existing = await readFile(file, "utf8");
  } catch {
    existing = undefined;
  }
  try {
    const merged = mergeMcpServer(existing, mcpServerName(envName), mcpUrl);
    if (merged.changed) {
      await mkdir(join(deps.projectRoot, ".vscode"), { recursive: true });
      await writeFile(file, merged.text);
      log.info(`Added ${mcpServerName(envName)} to .vscode/mcp.json.`);
    }
  } catch (error) {
    if (!(error instanceof HookError)) {
      throw error;
    }
    log.warn(error.message);
  }

  log.info("");
  log.info(`MCP server: ${mcpUrl}`);
  log.info(`  MCP Inspector: npx @modelcontextprotocol/inspector, transport Streamable HTTP, URL ${mcpUrl}`);
  log.info("  The function app's code is deployed next (azd deploy); sign-in works once it is.");
}
