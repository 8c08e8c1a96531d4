/** The fake Azure Key Vault (secrets), over HTTPS with the development certificate. See fake-vault.ts. */
export { startFakeKeyVault, FakeKeyVault, KEY_VAULT_RESOURCE } from "./fake-vault.js";
export type { FakeKeyVaultOptions, VaultFault, VaultRequestRecord, VaultTokenRequest } from "./fake-vault.js";
export { VaultStore, VaultConflict, RECOVERABLE_DAYS } from "./store.js";
export type { DeletedSecret, StoredSecret, StoredVersion, VersionAttributes, VersionInput } from "./store.js";
