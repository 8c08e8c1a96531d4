/**
 * The shared OBO cache in Redis (Azure Cache for Redis, Azure Managed Redis,
 * or any Redis 6.2+).
 *
 * One string key per entry: `<prefix><lookup id>`, value
 * `<expiry ms>:<base64 of the sealed envelope>`, written with
 * `SET … PXAT <expiry> NX`: Redis drops the key when the entry expires (no
 * clean-up needed), and of two writers the second leaves the first's value
 * alone.
 *
 * Connection policy: one connection, opened on first use with a time limit.
 * The client library's own reconnect loop is off and its offline queue too,
 * so a command never waits for a connection that may not come back; when the
 * connection is lost, the next call (the cache spaces those out during an
 * outage) opens a new one. Every command has a time limit.
 *
 * `redis` loads on first use.
 */
import { silentLogger, type Logger } from "../log.js";
import { withDeadline } from "./deadline.js";
import { DEFAULT_STORE_CONNECT_TIMEOUT_MS, DEFAULT_STORE_TIMEOUT_MS, type SharedTokenStore, type StoreTimeouts, type StoredValue } from "./shared-store.js";

/** Where Redis is. */
export interface RedisTokenStoreOptions extends StoreTimeouts {
  /** redis://[user:password@]host:port or rediss://… (TLS). */
  readonly url: string | URL;
  /** Prefix of every key (default `mcpkit:obo:v1:`), so the cache can share a Redis with other data. */
  readonly keyPrefix?: string;
  readonly now?: () => number;
  /** For debug lines about the connection. */
  readonly log?: Logger;
}

/** The few client calls used here; the library's own types are generic far beyond that. */
interface RedisConnection {
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  get(key: string): Promise<unknown>;
  set(key: string, value: string, options: { expiration: { type: "PXAT"; value: number }; condition: "NX" }): Promise<unknown>;
  del(key: string): Promise<unknown>;
  close(): Promise<void>;
  destroy(): void;
}

/** A {@link SharedTokenStore} in Redis. See the module comment. */
export class RedisTokenStore implements SharedTokenStore {
  readonly kind = "redis";
  readonly #url: string;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #now: () => number;
  readonly #log: Logger;
  #connection: Promise<RedisConnection> | undefined;
  #closed = false;

  constructor(options: RedisTokenStoreOptions) {
    const url = new URL(String(options.url));
    if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new TypeError("RedisTokenStore needs a redis:// or rediss:// URL");
    this.#url = url.href;
    this.#prefix = options.keyPrefix ?? "mcpkit:obo:v1:";
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_STORE_CONNECT_TIMEOUT_MS;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? silentLogger;
  }

  async get(id: string): Promise<StoredValue | undefined> {
    const client = await this.#ready();
    const raw = await withDeadline(this.#timeoutMs, "redis get", () => client.get(this.#prefix + id));
    if (raw === null || raw === undefined) return undefined;
    const stored = typeof raw === "string" ? decode(raw) : undefined;
    // An undecodable value is handed on empty, so the cache reports it as rejected rather than as absent.
    if (stored === undefined) return { value: new Uint8Array(), expiresOn: Number.POSITIVE_INFINITY };
    return stored.expiresOn > this.#now() ? stored : undefined;
  }

  async putIfAbsent(id: string, value: StoredValue): Promise<boolean> {
    if (!(value.expiresOn > this.#now())) return false;
    const client = await this.#ready();
    const reply = await withDeadline(this.#timeoutMs, "redis put", () =>
      client.set(this.#prefix + id, encode(value), { expiration: { type: "PXAT", value: Math.floor(value.expiresOn) }, condition: "NX" }),
    );
    return reply === "OK";
  }

  async delete(id: string): Promise<void> {
    const client = await this.#ready();
    await withDeadline(this.#timeoutMs, "redis delete", () => client.del(this.#prefix + id));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#connection;
    this.#connection = undefined;
    if (pending === undefined) return;
    const client = await pending.catch(() => undefined);
    if (client === undefined) return;
    try {
      await withDeadline(this.#timeoutMs, "redis close", () => client.close());
    } catch {
      client.destroy();
    }
  }

  async #ready(): Promise<RedisConnection> {
    if (this.#closed) throw new Error("RedisTokenStore is closed");
    const pending = this.#connection;
    if (pending !== undefined) {
      const client = await pending;
      if (client.isReady) return client;
      // Lost since (reconnecting is off): throw this one away and open another.
      if (this.#connection === pending) {
        this.#connection = undefined;
        destroyQuietly(client);
      }
    }
    if (this.#connection === undefined) {
      const connection = this.#connect();
      connection.catch(() => {
        if (this.#connection === connection) this.#connection = undefined;
      });
      this.#connection = connection;
    }
    return this.#connection;
  }

  async #connect(): Promise<RedisConnection> {
    const { createClient } = await import("redis");
    const client: RedisConnection & { on(event: "error", listener: (error: Error) => void): unknown } = createClient({
      url: this.#url,
      socket: { connectTimeout: this.#connectTimeoutMs, reconnectStrategy: false },
      disableOfflineQueue: true,
      commandOptions: { timeout: this.#timeoutMs },
    });
    // Without a listener an 'error' event would crash the process; the cache logs the failure of the call itself.
    client.on("error", (error) => this.#log.debug("obo_cache.redis_connection_error", { error }));
    try {
      await withDeadline(this.#connectTimeoutMs, "redis connect", () => client.connect());
    } catch (error) {
      destroyQuietly(client);
      throw error;
    }
    if (this.#closed) {
      destroyQuietly(client);
      throw new Error("RedisTokenStore is closed");
    }
    return client;
  }
}

function destroyQuietly(client: RedisConnection): void {
  try {
    client.destroy();
  } catch {
    // Already closed: nothing to release.
  }
}

function encode(value: StoredValue): string {
  return `${Math.floor(value.expiresOn)}:${Buffer.from(value.value).toString("base64")}`;
}

function decode(raw: string): StoredValue | undefined {
  const match = /^(\d{1,16}):([A-Za-z0-9+/]*={0,2})$/.exec(raw);
  if (match === null) return undefined;
  return { expiresOn: Number(match[1]), value: new Uint8Array(Buffer.from(match[2]!, "base64")) };
}
