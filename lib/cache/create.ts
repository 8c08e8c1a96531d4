/**
 * The OBO cache the settings ask for (`config.cache`): memory only, or memory
 * over an Azure table or a Redis. Building it loads nothing heavy; the store's
 * client library loads on the first call that reaches it.
 */
import type { OboCacheSettings, SharedOboCacheSettings } from "../config.js";
import type { Logger } from "../log.js";
import { OboTokenCache, type OboTokenCacheOptions } from "./obo-cache.js";
import { RedisTokenStore } from "./redis-store.js";
import type { SharedTokenStore, StoreTimeouts } from "./shared-store.js";
import { TableTokenStore } from "./table-store.js";

/** What the cache needs besides its settings. */
export interface OboCacheDependencies extends StoreTimeouts {
  readonly log: Logger;
  /** Client id of the runtime's user-assigned managed identity (MANAGED_IDENTITY_CLIENT_ID), for the table in Azure. */
  readonly managedIdentityClientId?: string;
  readonly now?: () => number;
  /** Anything else an {@link OboTokenCache} takes (margins, pepper, retry timing). */
  readonly cacheOptions?: Omit<OboTokenCacheOptions, "maxEntries" | "maxBytes" | "shared" | "log" | "now">;
}

/**
 * Creates the process's OBO cache from its settings.
 *
 * @example
 * const cache = createOboTokenCache(config.cache, { log, managedIdentityClientId: config.secrets.managedIdentityClientId });
 */
export function createOboTokenCache(settings: OboCacheSettings, dependencies: OboCacheDependencies): OboTokenCache {
  const shared = settings.shared === undefined ? undefined : createSharedTokenStore(settings.shared, dependencies);
  return new OboTokenCache({
    ...dependencies.cacheOptions,
    maxEntries: settings.maxEntries,
    maxBytes: settings.maxBytes,
    log: dependencies.log,
    ...(shared === undefined ? {} : { shared }),
    ...(dependencies.now === undefined ? {} : { now: dependencies.now }),
  });
}

/**
 * Creates the shared store the settings name. `redisKeyPrefix` keeps another
 * user of the same Redis (the facade's refresh-token ledger) apart from the
 * OBO cache's `mcpkit:obo:v1:` keys; in a table, ids of different users are
 * already distinct by construction (each derives its own).
 */
export function createSharedTokenStore(settings: SharedOboCacheSettings, dependencies: OboCacheDependencies, options: { readonly redisKeyPrefix?: string } = {}): SharedTokenStore {
  const common = {
    log: dependencies.log,
    ...(dependencies.now === undefined ? {} : { now: dependencies.now }),
    ...(dependencies.timeoutMs === undefined ? {} : { timeoutMs: dependencies.timeoutMs }),
    ...(dependencies.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: dependencies.connectTimeoutMs }),
  };
  if (settings.kind === "redis") {
    return new RedisTokenStore({ ...common, url: settings.url, ...(options.redisKeyPrefix === undefined ? {} : { keyPrefix: options.redisKeyPrefix }) });
  }
  return new TableTokenStore({
    ...common,
    tableName: settings.tableName,
    ...(settings.connectionString === undefined ? {} : { connectionString: settings.connectionString }),
    ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
    ...(settings.identity === undefined ? {} : { identity: settings.identity }),
    ...(dependencies.managedIdentityClientId === undefined ? {} : { managedIdentityClientId: dependencies.managedIdentityClientId }),
  });
}
