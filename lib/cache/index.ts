/**
 * The kit's OBO result cache: bounded memory, optionally over a store shared
 * by all instances (Azure Table Storage or Redis). See STORAGE.md for what is
 * stored and why it is safe to store.
 */
export { OboTokenCache, type CachedToken, type OboToken, type OboTokenCacheOptions, type OboTokenCacheStats } from "./obo-cache.js";
export { createOboTokenCache, createSharedTokenStore, type OboCacheDependencies } from "./create.js";
export type { SharedTokenStore, StoredValue, StoreTimeouts } from "./shared-store.js";
export { TableTokenStore, type TableTokenStoreOptions } from "./table-store.js";
export { RedisTokenStore, type RedisTokenStoreOptions } from "./redis-store.js";
export { MemoryTokenStore, type MemoryTokenStoreOptions } from "./memory-store.js";
export { BoundedLru, type BoundedLruOptions, type BoundedLruStats } from "./lru.js";
export { StoreTimeoutError } from "./deadline.js";
export { EnvelopeRejectedError } from "./envelope.js";
export { DEFAULT_EXPIRY_MARGIN_MS, MIN_EXPIRY_MARGIN_MS, entryExpiry } from "./lifetime.js";
export { DEFAULT_OBO_CACHE_MAX_BYTES, DEFAULT_OBO_CACHE_MAX_ENTRIES, DEFAULT_OBO_CACHE_TABLE_NAME } from "./defaults.js";
