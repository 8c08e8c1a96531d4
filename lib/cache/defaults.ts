/**
 * Defaults of the OBO cache, in a module of their own so `lib/config.ts` can
 * show them without loading the cache.
 */

/**
 * Entries kept in memory per instance. An entry is one (user session, scope
 * set); a Functions instance serving 5,000 distinct sessions within a token's
 * lifetime is already a busy one, and past that the least recently used
 * entries fall back to the shared layer or a new OBO request.
 */
export const DEFAULT_OBO_CACHE_MAX_ENTRIES = 5000;

/**
 * Bytes kept in memory per instance (32 MiB): 5,000 entries at up to ~6 KB
 * each (an access token with many group claims), a small share of the
 * smallest Flex Consumption instance (512 MB).
 */
export const DEFAULT_OBO_CACHE_MAX_BYTES = 32 * 1024 * 1024;

/** Name of the Azure table of the shared layer. */
export const DEFAULT_OBO_CACHE_TABLE_NAME = "obocache";
