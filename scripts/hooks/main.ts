/**
 * Entry point of the azd hooks and the keyring commands:
 * `node dist/scripts/hooks/main.js <command>`, normally through
 * `npm run azd-hook -- <command>`, which builds first.
 *
 * Commands: preprovision, postprovision, prepackage (azure.yaml runs these),
 * rotate-sealing-key, retire-sealing-key <kid> (run by hand; they read the
 * azd environment from .azure/ when azd does not pass it).
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deployerCredential, KeyVaultSecretStore, tokenAccountProbe } from "./azure.js";
import { envValue, HookError, requireEnv, withAzdEnvironment, type HookLog } from "./hook-env.js";
import { postprovision } from "./postprovision.js";
import { preprovision } from "./preprovision.js";
import { DEFAULT_RETRY, retireKey, rotateKeyring, updateKeyring, withAccessRetry, type SecretStore } from "./sealing-keyring.js";
import { npmCiProductionOnly, stagePackage } from "./stage-package.js";

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const log: HookLog = {
  info: (line) => console.log(line),
  warn: (line) => console.warn(`WARNING: ${line}`),
};

/** The Key Vault at `vaultUrl`; the Azure SDKs load on the first call, so commands that never touch the vault do not pay for them. */
function lazyStore(vaultUrl: string, tenantId: string | undefined): SecretStore {
  let store: Promise<SecretStore> | undefined;
  const open = (): Promise<SecretStore> => (store ??= deployerCredential(tenantId).then((credential) => KeyVaultSecretStore.open(vaultUrl, credential)));
  return {
    get: async (name) => (await open()).get(name),
    set: async (name, value, contentType) => (await open()).set(name, value, contentType),
    recoverDeleted: async (name) => (await open()).recoverDeleted(name),
  };
}

async function main(command: string | undefined, args: readonly string[]): Promise<void> {
  switch (command) {
    case "preprovision":
      return preprovision(process.env, tokenAccountProbe(deployerCredential), log);
    case "postprovision":
      return postprovision({
        env: process.env,
        openSecretStore: (vaultUrl) => lazyStore(vaultUrl, envValue(process.env, "AZURE_TENANT_ID")),
        projectRoot,
        log,
      });
    case "prepackage": {
      const { files } = await stagePackage({ projectRoot, stageDir: join(projectRoot, ".local", "deploy"), installProductionDependencies: npmCiProductionOnly });
      log.info(`Staged the deployment package in .local/deploy (${files} files and production dependencies).`);
      return;
    }
    case "rotate-sealing-key":
    case "retire-sealing-key": {
      const env = await withAzdEnvironment(projectRoot, process.env);
      const hint = "run it in a provisioned azd environment (or set the variable)";
      const store = lazyStore(requireEnv(env, "KEY_VAULT_URL", hint), envValue(env, "AZURE_TENANT_ID"));
      const name = envValue(env, "SEALING_KEYRING_SECRET_NAME") ?? "sealing-keyring";
      const kid = args[0];
      if (command === "retire-sealing-key" && kid === undefined) {
        throw new HookError("name the key to retire: npm run azd-hook -- retire-sealing-key <kid>");
      }
      // One attempt: run by hand, long after provisioning, a 403 means a missing role, not a slow one.
      const updated = await withAccessRetry(
        () => updateKeyring(store, name, (ring) => (command === "rotate-sealing-key" ? rotateKeyring(ring) : retireKey(ring, kid!))),
        { ...DEFAULT_RETRY, attempts: 1 },
        log,
      );
      log.info(`Sealing keyring ${name}: current key ${updated.current}; keys ${Object.keys(updated.keys).join(", ")}.`);
      log.info("Running instances pick the new keyring up when their cached copy expires (or on restart).");
      return;
    }
    default:
      throw new HookError(`unknown command ${JSON.stringify(command)}; expected preprovision, postprovision, prepackage, rotate-sealing-key or retire-sealing-key <kid>`);
  }
}

try {
  await main(process.argv[2], process.argv.slice(3));
} catch (error) {
  if (error instanceof HookError) {
    console.error(`ERROR: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
