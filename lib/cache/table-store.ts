/**
 * The shared OBO cache in Azure Table Storage: the storage account the
 * Function App already has, reached with its managed identity.
 *
 * One row per entry. PartitionKey is the first two hex characters of the
 * lookup id (256 partitions, so load spreads across partition servers);
 * RowKey is the whole id. Columns: `value` (Edm.Binary, the sealed envelope)
 * and `expiresOn` (Edm.DateTime). Nothing else: no user, no scope, no token.
 *
 * Conditional writes: an insert, which fails with 409 when the row exists.
 * Then a live row wins (the loser's token is just as good) and an expired
 * one is replaced under its ETag, so of two writers replacing it one gets
 * 412 and loses. No interleaving leaves a mixed or partial row.
 *
 * Stale rows: Table Storage has no TTL, so an expired row stays until
 * deleted. Readers ignore it (both its `expiresOn` column and the expiry
 * sealed inside the value are checked), and it is harmless if read: it holds
 * an expired token, encrypted under a key derived from an assertion that has
 * expired too. It only costs storage, so each instance sweeps: after its first
 * successful write, then at most once per `sweepIntervalMs` (10 minutes), it deletes up
 * to `sweepMaxRows` rows whose `expiresOn` passed more than a minute ago, each
 * under its ETag so a row re-written meanwhile survives. The sweep runs in the
 * background, bounded in time, and its failures are only debug lines.
 *
 * `@azure/data-tables` (and `@azure/identity`, for an endpoint) load on first use.
 */
import type { TableClient, TableServiceClientOptions } from "@azure/data-tables";
import type { TokenCredential } from "@azure/identity";
import { silentLogger, type Logger } from "../log.js";
import { isLoopbackHostname } from "../config.js";
import { withDeadline } from "./deadline.js";
import { DEFAULT_STORE_CONNECT_TIMEOUT_MS, DEFAULT_STORE_TIMEOUT_MS, type SharedTokenStore, type StoreTimeouts, type StoredValue } from "./shared-store.js";

/** Where the table is and how to reach it. Give a connection string, or an endpoint (with a credential or a managed identity). */
export interface TableTokenStoreOptions extends StoreTimeouts {
  /** Table name; created on first use when missing. */
  readonly tableName: string;
  /** Local development and tests: Azurite's or an account's connection string. */
  readonly connectionString?: string;
  /** In Azure: the account's table endpoint, e.g. https://contoso.table.core.windows.net. */
  readonly endpoint?: string | URL;
  /** Credential for `endpoint`; default per `identity`. */
  readonly credential?: TokenCredential;
  /**
   * Without `credential`: "managed-identity" (default; in Azure, for `managedIdentityClientId`)
   * or "developer" (locally: `DefaultAzureCredential`, i.e. azd / az / VS Code sign-in).
   */
  readonly identity?: "managed-identity" | "developer";
  /** Client id of the user-assigned managed identity; omit for the system-assigned one. */
  readonly managedIdentityClientId?: string;
  /** Least time between two sweeps of expired rows by this instance, ms (default 600000; 0 turns sweeping off). */
  readonly sweepIntervalMs?: number;
  /** Most rows one sweep deletes (default 1000). */
  readonly sweepMaxRows?: number;
  readonly now?: () => number;
  /** For debug lines about sweeps and re-creating the table. */
  readonly log?: Logger;
}

interface TokenRow {
  value: Uint8Array;
  expiresOn: Date;
}

/** Rows must have been expired this long before a sweep deletes them, so clock skew between instances does not matter. */
const SWEEP_GRACE_MS = 60_000;
const SWEEP_BUDGET_MS = 30_000;

/** A {@link SharedTokenStore} in an Azure Table. See the module comment for the schema and the clean-up. */
export class TableTokenStore implements SharedTokenStore {
  readonly kind = "table";
  readonly #options: TableTokenStoreOptions;
  readonly #timeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  #client: Promise<TableClient> | undefined;
  #lastSweep: number;
  #sweep: AbortController | undefined;
  #closed = false;

  constructor(options: TableTokenStoreOptions) {
    if ((options.connectionString === undefined) === (options.endpoint === undefined)) {
      throw new TypeError("TableTokenStore needs exactly one of connectionString and endpoint");
    }
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_STORE_CONNECT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? silentLogger;
    // The first successful write sweeps at once: Flex Consumption instances often live less than
    // an interval, and a table swept only by long-lived instances would grow in a quiet app.
    this.#lastSweep = Number.NEGATIVE_INFINITY;
  }

  async get(id: string): Promise<StoredValue | undefined> {
    const client = await this.#ready();
    const row = await withDeadline(this.#timeoutMs, "table get", (signal) => this.#read(client, id, signal));
    if (row === undefined || row.expiresOn <= this.#now()) return undefined;
    return { value: row.value, expiresOn: row.expiresOn };
  }

  async putIfAbsent(id: string, value: StoredValue): Promise<boolean> {
    let written: boolean;
    try {
      const client = await this.#ready();
      written = await withDeadline(this.#timeoutMs, "table put", (signal) => this.#insertOrReplaceExpired(client, id, value, signal));
    } catch (error) {
      if (!this.#tableMissing(error)) throw error;
      // The table went away (deleted, or an emulator restarted): create it again and write once more.
      const client = await this.#ready();
      written = await withDeadline(this.#timeoutMs, "table put", (signal) => this.#insertOrReplaceExpired(client, id, value, signal));
    }
    if (written) this.#maybeSweep();
    return written;
  }

  async delete(id: string): Promise<void> {
    const client = await this.#ready();
    await withDeadline(this.#timeoutMs, "table delete", async (signal) => {
      try {
        await client.deleteEntity(partitionKeyOf(id), id, { abortSignal: signal });
      } catch (error) {
        // Already gone, with or without its table.
        if (statusOf(error) !== 404) throw error;
        this.#tableMissing(error);
      }
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#sweep?.abort();
    // TableClient holds no connection of its own; its keep-alive sockets are unreferenced and time out.
  }

  /**
   * Deletes expired rows now (up to `sweepMaxRows`); returns how many went.
   * Normally called in the background by writes; public for operations and tests.
   */
  async sweepExpired(signal?: AbortSignal): Promise<number> {
    const client = await this.#ready();
    const cutoff = new Date(this.#now() - SWEEP_GRACE_MS).toISOString();
    const maxRows = this.#options.sweepMaxRows ?? 1000;
    let deleted = 0;
    const pages = client
      .listEntities({
        queryOptions: { filter: `expiresOn lt datetime'${cutoff}'`, select: ["PartitionKey", "RowKey"] },
        ...(signal === undefined ? {} : { abortSignal: signal }),
      })
      .byPage({ maxPageSize: 100 });
    for await (const page of pages) {
      for (const row of page) {
        if (deleted >= maxRows) return deleted;
        // Rows listed always carry both keys; the SDK types them optional because a select could omit them.
        if (row.partitionKey === undefined || row.rowKey === undefined) continue;
        try {
          // Under the row's ETag: a row re-written since the query is live again and stays.
          await client.deleteEntity(row.partitionKey, row.rowKey, { etag: row.etag, ...(signal === undefined ? {} : { abortSignal: signal }) });
          deleted += 1;
        } catch (error) {
          const status = statusOf(error);
          if (status !== 404 && status !== 412) throw error;
        }
      }
    }
    return deleted;
  }

  async #read(client: TableClient, id: string, signal: AbortSignal): Promise<(StoredValue & { etag: string }) | undefined> {
    try {
      const entity = await client.getEntity<Partial<TokenRow>>(partitionKeyOf(id), id, { abortSignal: signal });
      const value = entity.value;
      const expiresOn = entity.expiresOn instanceof Date ? entity.expiresOn.getTime() : Number.NaN;
      // A row in an unexpected shape is no value at all; the envelope check would refuse it anyway.
      if (!(value instanceof Uint8Array) || Number.isNaN(expiresOn)) return { value: new Uint8Array(), expiresOn: 0, etag: entity.etag };
      return { value, expiresOn, etag: entity.etag };
    } catch (error) {
      // No row, or no table at all: either way there is no value (and a missing table is created again on the next call).
      if (statusOf(error) === 404) {
        this.#tableMissing(error);
        return undefined;
      }
      throw error;
    }
  }

  async #insertOrReplaceExpired(client: TableClient, id: string, value: StoredValue, signal: AbortSignal): Promise<boolean> {
    const entity = { partitionKey: partitionKeyOf(id), rowKey: id, value: value.value, expiresOn: new Date(value.expiresOn) };
    try {
      await client.createEntity(entity, { abortSignal: signal });
      return true;
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
    }
    const existing = await this.#read(client, id, signal);
    // Deleted since our insert failed (a sweep): the next writer will insert; losing once costs nothing.
    if (existing === undefined) return false;
    if (existing.expiresOn > this.#now()) return false;
    try {
      await client.updateEntity(entity, "Replace", { etag: existing.etag, abortSignal: signal });
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 412 || status === 404) return false;
      throw error;
    }
  }

  #ready(): Promise<TableClient> {
    if (this.#closed) return Promise.reject(new Error("TableTokenStore is closed"));
    if (this.#client === undefined) {
      const client = withDeadline(this.#connectTimeoutMs, "table connect", (signal) => this.#connect(signal));
      // A failed start is retried by the next call (the cache's outage logic spaces those out).
      client.catch(() => {
        if (this.#client === client) this.#client = undefined;
      });
      this.#client = client;
    }
    return this.#client;
  }

  async #connect(signal: AbortSignal): Promise<TableClient> {
    const { TableClient } = await import("@azure/data-tables");
    const options: TableServiceClientOptions = {
      // Retries belong inside the call's time limit: one quick retry for a dropped connection, no more.
      retryOptions: { maxRetries: 1, retryDelayInMs: 100, maxRetryDelayInMs: 250 },
    };
    let client: TableClient;
    if (this.#options.connectionString !== undefined) {
      client = TableClient.fromConnectionString(this.#options.connectionString, this.#options.tableName, options);
      const url = new URL(client.url);
      // Azurite speaks plain http on loopback; the SDK refuses http unless told, and should keep refusing anywhere else.
      if (url.protocol === "http:" && isLoopbackHostname(url.hostname)) {
        client = TableClient.fromConnectionString(this.#options.connectionString, this.#options.tableName, { ...options, allowInsecureConnection: true });
      }
    } else {
      const credential = this.#options.credential ?? (await defaultCredential(this.#options.identity ?? "managed-identity", this.#options.managedIdentityClientId));
      client = new TableClient(String(this.#options.endpoint), this.#options.tableName, credential, options);
    }
    try {
      await client.createTable({ abortSignal: signal });
    } catch (error) {
      // An identity allowed to read and write rows but not to create tables is a sound setup when
      // the infrastructure created the table (azd does); a table that really is missing shows up on
      // the first write.
      if (statusOf(error) !== 403) throw error;
      this.#log.debug("obo_cache.table_create_forbidden", { table: this.#options.tableName });
    }
    return client;
  }

  /** When the table itself is gone (deleted, or a restarted emulator), the next call creates it again. Returns whether that was the case. */
  #tableMissing(error: unknown): boolean {
    if (statusOf(error) !== 404 || codeOf(error) !== "TableNotFound") return false;
    this.#client = undefined;
    this.#log.debug("obo_cache.table_missing", { table: this.#options.tableName });
    return true;
  }

  #maybeSweep(): void {
    const interval = this.#options.sweepIntervalMs ?? 600_000;
    if (interval <= 0 || this.#sweep !== undefined || this.#now() - this.#lastSweep < interval) return;
    this.#lastSweep = this.#now();
    const controller = new AbortController();
    this.#sweep = controller;
    const timer = setTimeout(() => controller.abort(), SWEEP_BUDGET_MS);
    timer.unref();
    this.sweepExpired(controller.signal)
      .then((deleted) => this.#log.debug("obo_cache.table_swept", { table: this.#options.tableName, deleted }))
      .catch((error: unknown) => this.#log.debug("obo_cache.table_sweep_failed", { table: this.#options.tableName, error }))
      .finally(() => {
        clearTimeout(timer);
        this.#sweep = undefined;
      });
  }
}

async function defaultCredential(identity: "managed-identity" | "developer", clientId: string | undefined): Promise<TokenCredential> {
  const { DefaultAzureCredential, ManagedIdentityCredential } = await import("@azure/identity");
  if (identity === "developer") return new DefaultAzureCredential();
  return clientId === undefined ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId });
}

function partitionKeyOf(id: string): string {
  return id.slice(0, 2);
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The storage error code ("TableNotFound"…), which the SDK puts in `details` rather than in `code`. */
function codeOf(error: unknown): string | undefined {
  const candidate = error as { code?: unknown; details?: { errorCode?: unknown; odataError?: { code?: unknown } } } | null;
  for (const code of [candidate?.code, candidate?.details?.errorCode, candidate?.details?.odataError?.code]) {
    if (typeof code === "string") return code;
  }
  return undefined;
}
