/**
 * The real Azure side of the hooks: the deploying account's credential, Key
 * Vault behind {@link SecretStore}, and the account probe of preprovision.
 *
 * Credential: azd's own sign-in (`AzureDeveloperCliCredential`, which runs
 * `azd auth token`), then the Azure CLI's if azd has none. Hooks run inside
 * azd, so the account that provisioned is the one that writes the keyring,
 * with nothing to install beyond the SDKs the app already depends on: no
 * `az` CLI requirement, no shell parsing of CLI output, typed errors.
 */
import type { TokenCredential } from "@azure/identity";
import type { SecretClient } from "@azure/keyvault-secrets";
import type { AccountClaims, AccountProbe } from "./preprovision.js";
import { SecretStoreAccessDenied, type SecretStore } from "./sealing-keyring.js";

/** azd's sign-in, else the Azure CLI's, in `tenantId` when given. */
export async function deployerCredential(tenantId: string | undefined): Promise<TokenCredential> {
  const identity = await import("@azure/identity");
  const options = tenantId === undefined ? {} : { tenantId };
  return new identity.ChainedTokenCredential(new identity.AzureDeveloperCliCredential(options), new identity.AzureCliCredential(options));
}

/** The fields of a Key Vault REST error the store branches on (RestError, duck-typed to avoid a direct dependency on core-rest-pipeline). */
interface KeyVaultError {
  readonly statusCode?: number;
  readonly code?: string;
  readonly message: string;
}

function asKeyVaultError(error: unknown): KeyVaultError {
  return typeof error === "object" && error !== null ? (error as KeyVaultError) : { message: String(error) };
}

/** {@link SecretStore} over `@azure/keyvault-secrets`. */
export class KeyVaultSecretStore implements SecretStore {
  constructor(private readonly client: SecretClient) {}

  /** Opens the vault at `vaultUrl` with `credential`. */
  static async open(vaultUrl: string, credential: TokenCredential): Promise<KeyVaultSecretStore> {
    const { SecretClient } = await import("@azure/keyvault-secrets");
    return new KeyVaultSecretStore(new SecretClient(vaultUrl, credential));
  }

  async get(name: string): Promise<string | undefined> {
    try {
      return (await this.client.getSecret(name)).value;
    } catch (error) {
      const e = asKeyVaultError(error);
      if (e.statusCode === 404) {
        return undefined;
      }
      throw this.translate(e);
    }
  }

  async set(name: string, value: string, contentType: string): Promise<"written" | "soft-deleted"> {
    try {
      await this.client.setSecret(name, value, { contentType, tags: { "managed-by": "mcp-functions-kit" } });
      return "written";
    } catch (error) {
      const e = asKeyVaultError(error);
      if (e.statusCode === 409 && e.code === "Conflict" && /deleted/i.test(e.message)) {
        return "soft-deleted";
      }
      if (e.statusCode === 409 && e.code === "ObjectIsDeletedButRecoverable") {
        return "soft-deleted";
      }
      throw this.translate(e);
    }
  }

  async recoverDeleted(name: string): Promise<void> {
    try {
      const poller = await this.client.beginRecoverDeletedSecret(name);
      await poller.pollUntilDone();
    } catch (error) {
      throw this.translate(asKeyVaultError(error));
    }
  }

  private translate(error: KeyVaultError): Error {
    if (error.statusCode === 403) {
      return new SecretStoreAccessDenied(error.message.split("\n")[0] ?? "Forbidden");
    }
    return error instanceof Error ? error : new Error(error.message);
  }
}

/** Reads the claims of a JWT without verifying it: they only word messages, never grant anything. */
export function unverifiedClaims(token: string): Record<string, unknown> {
  const payload = token.split(".")[1];
  if (payload === undefined) {
    throw new Error("not a JWT");
  }
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** {@link AccountProbe} reading an Azure Resource Manager token of the credential. */
export function tokenAccountProbe(credential: (tenantId: string | undefined) => Promise<TokenCredential>): AccountProbe {
  return {
    async signedInAccount(tenantId) {
      const token = await (await credential(tenantId)).getToken("https://management.azure.com/.default", tenantId === undefined ? {} : { tenantId });
      if (token === null) {
        throw new Error("no token");
      }
      const claims = unverifiedClaims(token.token);
      if (typeof claims["tid"] !== "string") {
        throw new Error("the token has no tenant id");
      }
      return claims as unknown as AccountClaims;
    },
  };
}
