/**
 * Key Vault's JSON shapes (REST API 7.x / 2025-07-01), as the fake vault
 * writes them and `@azure/keyvault-secrets` reads them: secret bundles,
 * deleted-secret bundles and error bodies.
 */
import { RECOVERABLE_DAYS, type DeletedSecret, type StoredSecret, type StoredVersion } from "./store.js";

/** Key Vault's error body: `{"error":{"code","message","innererror":{"code"}}}`. */
export function errorBody(code: string, message: string, innerCode?: string): unknown {
  return { error: { code, message, ...(innerCode === undefined ? {} : { innererror: { code: innerCode } }) } };
}

/** The `attributes` object of a bundle. */
function attributes(version: StoredVersion): Record<string, unknown> {
  return {
    enabled: version.enabled,
    ...(version.nbf === undefined ? {} : { nbf: version.nbf }),
    ...(version.exp === undefined ? {} : { exp: version.exp }),
    created: version.created,
    updated: version.updated,
    // Soft delete with purge protection, as infra/ provisions the vault.
    recoveryLevel: "Recoverable",
    recoverableDays: RECOVERABLE_DAYS,
  };
}

/** `GET /secrets/{name}/{version}` and `PUT /secrets/{name}`: a secret bundle, with its value unless `withValue` is false. */
export function secretBundle(origin: string, secret: StoredSecret, version: StoredVersion, withValue = true): Record<string, unknown> {
  return {
    ...(withValue ? { value: version.value } : {}),
    id: `${origin}/secrets/${secret.name}/${version.version}`,
    ...(version.contentType === undefined ? {} : { contentType: version.contentType }),
    ...(version.tags === undefined ? {} : { tags: version.tags }),
    attributes: attributes(version),
  };
}

/** `DELETE /secrets/{name}` and `GET /deletedsecrets/{name}`: the current version, without value, plus the recovery fields. */
export function deletedBundle(origin: string, deleted: DeletedSecret): Record<string, unknown> {
  const current = deleted.secret.versions.at(-1)!;
  return {
    ...secretBundle(origin, deleted.secret, current, false),
    recoveryId: `${origin}/deletedsecrets/${deleted.secret.name}`,
    deletedDate: deleted.deletedDate,
    scheduledPurgeDate: deleted.scheduledPurgeDate,
  };
}
