/**
 * What the OBO cache needs from a store shared by every instance of the app.
 *
 * A store holds opaque bytes under an opaque id, each with an expiry. It
 * never sees a token, an assertion or a user: the cache hands it ciphertext
 * and a one-way id (see keys.ts and envelope.ts). Implementations: Azure
 * Table Storage (table-store.ts) and Redis (redis-store.ts); each loads its
 * client library on first use, so importing the app stays cheap.
 *
 * Every call is bounded in time by the implementation and may throw; the
 * cache turns any error into "no shared value" and never passes it on.
 */

/** A value as stored. */
export interface StoredValue {
  /** The sealed envelope. */
  readonly value: Uint8Array;
  /** After this instant (ms since the epoch) the value must not be used, and the store may drop it. */
  readonly expiresOn: number;
}

/** A store shared by all instances. See the module comment. */
export interface SharedTokenStore {
  /** Short name for logs: "table", "redis". */
  readonly kind: string;
  /** The live value under `id`, or undefined when there is none or it has expired. */
  get(id: string): Promise<StoredValue | undefined>;
  /**
   * Writes `value` under `id` unless a live value is already there, and says
   * whether it wrote. Two writers racing on one id leave exactly one of the
   * two values, whole; the loser gets false, not an error.
   */
  putIfAbsent(id: string, value: StoredValue): Promise<boolean>;
  /** Removes the value under `id`, if any. */
  delete(id: string): Promise<void>;
  /** Releases connections. Calls after this fail. */
  close(): Promise<void>;
}

/** Time limits every store implementation takes. */
export interface StoreTimeouts {
  /** Longest wait for one read, write or delete, in ms (default 1000). */
  readonly timeoutMs?: number;
  /** Longest wait for connecting (and, for tables, creating the table) before the first call, in ms (default 3000). */
  readonly connectTimeoutMs?: number;
}

/** 1 s per call: the store sits in the same region, answering in milliseconds; a read slower than the OBO request it saves is not worth waiting for. */
export const DEFAULT_STORE_TIMEOUT_MS = 1000;
/** 3 s for the first connection: TLS, a managed-identity token and creating the table, once per instance. */
export const DEFAULT_STORE_CONNECT_TIMEOUT_MS = 3000;
