/**
 * Client ID Metadata Documents for the authorization-server facade
 * (draft-ietf-oauth-client-id-metadata-document, MCP authorization
 * 2025-11-25 and later): a client whose `client_id` is an `https` URL is
 * known by the JSON document at that URL, fetched here.
 *
 * What is decided where, and why:
 *
 * - URL rules (lib/oauth/client-metadata-document.ts): checked on the raw
 *   text before any network traffic.
 * - The fetch (lib/oauth/safe-fetch.ts): public addresses only, after
 *   resolving the name ourselves; the connection pinned to the checked
 *   addresses; TLS verified for the host name; no redirects; 5 KiB and
 *   5 seconds by default for the whole exchange.
 * - The document (lib/oauth/client-metadata-document.ts): `application/json`,
 *   names itself as `client_id` exactly, redirect URIs that pass
 *   `checkRedirectUri`, public client, no secrets.
 * - Caching (lib/oauth/client-metadata-cache.ts): per HTTP headers within
 *   bounds, LRU-bounded, concurrent resolutions share one fetch, and failures
 *   are never cached (the draft says MUST NOT; the time and size limits and
 *   the shared in-flight fetch bound what a repeated failure costs).
 */
import type { Logger } from "../log.js";
import { silentLogger } from "../log.js";
import { cacheLifetimeSeconds, ExpiringLru } from "./client-metadata-cache.js";
import { checkClientMetadataUrl, ClientMetadataError, type ClientMetadata, parseClientMetadataDocument } from "./client-metadata-document.js";
import { type HostLookup, PrivateHostAllowList, SafeFetchError, safeGet, systemLookup } from "./safe-fetch.js";

export { ClientMetadataError, checkClientMetadataUrl, isClientMetadataUrl } from "./client-metadata-document.js";
export type { ClientMetadata, ClientMetadataFailure } from "./client-metadata-document.js";
export type { HostLookup } from "./safe-fetch.js";

/**
 * The draft's recommended read limit ("5 kilobytes"): a real document is a few
 * hundred bytes (a name, a handful of redirect URIs), and anything bigger is
 * either a mistake or an attempt to make the facade buffer someone's payload.
 */
export const DEFAULT_MAX_BYTES = 5 * 1024;
/** Long enough for a slow but healthy server across the world, short enough that /authorize stays usable. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** Options of {@link ClientMetadataResolver}; every field has a default. */
export interface ClientMetadataResolverOptions {
  /**
   * `host` or `host:port` entries whose URLs may resolve to loopback or private
   * addresses (`127.0.0.1:8443`, `localhost`). For tests and local development
   * only: every entry is a place a stranger can make this server send requests
   * to. Default: none.
   */
  readonly allowedPrivateHosts?: readonly string[];
  /** Time limit for one fetch, from DNS lookup to the last body byte, in milliseconds. Default {@link DEFAULT_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
  /** Largest document accepted, in bytes, whatever Content-Length says. Default {@link DEFAULT_MAX_BYTES}. */
  readonly maxBytes?: number;
  /** Documents kept in memory at most (least recently used go first). Default 1000. */
  readonly maxCacheEntries?: number;
  /** Lifetime of a document whose response says nothing about caching, in seconds. Default 300. */
  readonly defaultTtlSeconds?: number;
  /** Least lifetime of a cacheable document, in seconds (a `max-age` below it is raised; `max-age=0` and `no-store` still mean no caching). Default 60. */
  readonly minTtlSeconds?: number;
  /** Most lifetime of a document, whatever its headers say, in seconds. Default 86400 (24 h). */
  readonly maxTtlSeconds?: number;
  /** Where the one line per fetch goes. Default: nowhere. */
  readonly log?: Logger;
  /** Name resolution (tests map names to chosen addresses). Default: `dns.lookup` with `all: true`. */
  readonly lookup?: HostLookup;
  /** Clock for cache expiry, epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

interface InFlight {
  readonly promise: Promise<ClientMetadata>;
  readonly controller: AbortController;
  waiters: number;
}

const USER_AGENT = "mcp-functions-kit (client-id-metadata-document fetcher)";

/**
 * Resolves `https` client ids to validated client metadata, with caching.
 * One instance per process: the cache and the shared in-flight fetches live in it.
 *
 * @example
 * const resolver = new ClientMetadataResolver({ log });
 * if (isClientMetadataUrl(clientId)) {
 *   const client = await resolver.resolve(clientId, request.signal);
 *   matchRedirectUri(redirectUri, client.redirectUris);
 * }
 */
export class ClientMetadataResolver {
  private readonly allowList: PrivateHostAllowList;
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly bounds: { readonly defaultSeconds: number; readonly minSeconds: number; readonly maxSeconds: number };
  private readonly log: Logger;
  private readonly lookup: HostLookup;
  private readonly now: () => number;
  private readonly cache: ExpiringLru<string, ClientMetadata>;
  private readonly inFlight = new Map<string, InFlight>();

  /** @throws TypeError for an unusable option (a malformed allow-list entry, a non-positive limit). */
  constructor(options: ClientMetadataResolverOptions = {}) {
    this.allowList = new PrivateHostAllowList(options.allowedPrivateHosts ?? []);
    this.timeoutMs = positive("timeoutMs", options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.maxBytes = positive("maxBytes", options.maxBytes ?? DEFAULT_MAX_BYTES);
    const minSeconds = nonNegative("minTtlSeconds", options.minTtlSeconds ?? 60);
    const maxSeconds = nonNegative("maxTtlSeconds", options.maxTtlSeconds ?? 86_400);
    if (minSeconds > maxSeconds) throw new TypeError("minTtlSeconds must not exceed maxTtlSeconds");
    this.bounds = { defaultSeconds: nonNegative("defaultTtlSeconds", options.defaultTtlSeconds ?? 300), minSeconds, maxSeconds };
    this.cache = new ExpiringLru(nonNegative("maxCacheEntries", options.maxCacheEntries ?? 1000));
    this.log = options.log ?? silentLogger;
    this.lookup = options.lookup ?? systemLookup;
    this.now = options.now ?? Date.now;
  }

  /**
   * The validated metadata of the client whose `client_id` is `clientId`,
   * from the cache or fetched now. Concurrent calls for the same id share one
   * fetch; `signal` cancels this caller's wait (and the fetch, once nobody
   * waits for it).
   *
   * @throws ClientMetadataError with a `reason` and a message fit for the error page.
   */
  async resolve(clientId: string, signal?: AbortSignal): Promise<ClientMetadata> {
    let url: URL;
    try {
      url = checkClientMetadataUrl(clientId);
    } catch (error) {
      if (error instanceof ClientMetadataError) this.log.warn("oauth.client_metadata.fetch", { outcome: "refused", reason: error.reason, detail: error.message });
      throw error;
    }
    if (signal?.aborted === true) throw aborted();
    const cached = this.cache.get(clientId, this.now());
    if (cached !== undefined) return cached;

    let flight = this.inFlight.get(clientId);
    if (flight === undefined) {
      const controller = new AbortController();
      const promise = this.fetchAndValidate(clientId, url, controller.signal).finally(() => {
        if (this.inFlight.get(clientId)?.promise === promise) this.inFlight.delete(clientId);
      });
      flight = { promise, controller, waiters: 0 };
      this.inFlight.set(clientId, flight);
    }
    return this.wait(clientId, flight, signal);
  }

  /** Forgets a cached document (for instance after the facade saw it change). */
  forget(clientId: string): void {
    this.cache.delete(clientId);
  }

  private wait(clientId: string, flight: InFlight, signal: AbortSignal | undefined): Promise<ClientMetadata> {
    flight.waiters++;
    if (signal === undefined) return flight.promise;
    return new Promise((resolve, reject) => {
      const leave = (): void => {
        signal.removeEventListener("abort", onAbort);
        flight.waiters--;
      };
      const onAbort = (): void => {
        leave();
        if (flight.waiters === 0) {
          // Nobody wants it any more; a later caller starts afresh rather than join a cancelled fetch.
          if (this.inFlight.get(clientId) === flight) this.inFlight.delete(clientId);
          flight.controller.abort();
        }
        reject(aborted());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      flight.promise.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  private async fetchAndValidate(clientId: string, url: URL, signal: AbortSignal): Promise<ClientMetadata> {
    const started = performance.now();
    const line: Record<string, unknown> = { host: url.host };
    try {
      const response = await safeGet(url, {
        lookup: this.lookup,
        allowList: this.allowList,
        timeoutMs: this.timeoutMs,
        maxBytes: this.maxBytes,
        headers: { accept: "application/json", "user-agent": USER_AGENT },
        signal,
      });
      Object.assign(line, { status: response.status, bytes: response.body.length, address: response.address });
      if (response.status >= 300 && response.status <= 399) {
        throw new ClientMetadataError("redirect", `The client metadata document at ${url.host} answered with a redirect; redirects are not followed.`);
      }
      if (response.status !== 200) {
        throw new ClientMetadataError("fetch_failed", `The client metadata document at ${url.host} answered with HTTP status ${response.status} instead of 200.`);
      }
      const encoding = response.headers["content-encoding"];
      if (encoding !== undefined && encoding.toLowerCase() !== "identity") {
        throw new ClientMetadataError("not_json", "The client metadata document was sent compressed although this server asked for no compression.");
      }
      const metadata = parseClientMetadataDocument(clientId, url, response.body, response.headers["content-type"]);
      const ttlSeconds = cacheLifetimeSeconds(response.headers, this.now(), this.bounds);
      if (ttlSeconds > 0) this.cache.set(clientId, metadata, this.now() + ttlSeconds * 1000);
      this.log.info("oauth.client_metadata.fetch", { ...line, ms: elapsed(started), outcome: "accepted", ttlSeconds });
      return metadata;
    } catch (error) {
      const refusal = this.toRefusal(error, url);
      if (error instanceof SafeFetchError) Object.assign(line, error.detail);
      const cause = refusal.cause ?? (error instanceof SafeFetchError ? error.cause : undefined);
      this.log.warn("oauth.client_metadata.fetch", {
        ...line,
        ms: elapsed(started),
        outcome: "refused",
        reason: refusal.reason,
        detail: refusal.message,
        ...(cause instanceof Error ? { cause: (cause as NodeJS.ErrnoException).code ?? cause.message } : {}),
      });
      throw refusal;
    }
  }

  private toRefusal(error: unknown, url: URL): ClientMetadataError {
    if (error instanceof ClientMetadataError) return error;
    if (!(error instanceof SafeFetchError)) {
      return new ClientMetadataError("fetch_failed", `The client metadata document at ${url.host} could not be fetched.`, { cause: error });
    }
    const host = url.host;
    switch (error.reason) {
      case "private_address":
        return new ClientMetadataError("private_address", `The client metadata URL's host ${url.hostname} does not resolve to a public internet address.`);
      case "dns_failed":
        return new ClientMetadataError("dns_failed", `The client metadata URL's host ${url.hostname} could not be resolved.`);
      case "timeout":
        return new ClientMetadataError("timeout", `The client metadata document at ${host} did not arrive within ${this.timeoutMs} ms.`);
      case "too_large":
        return new ClientMetadataError("too_large", `The client metadata document at ${host} is larger than ${this.maxBytes} bytes.`);
      case "aborted":
        return aborted();
      case "connect_failed":
        return new ClientMetadataError("fetch_failed", `The client metadata document at ${host} could not be fetched over verified HTTPS.`, { cause: error.cause });
    }
  }
}

function aborted(): ClientMetadataError {
  return new ClientMetadataError("aborted", "Fetching the client metadata document was cancelled.");
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be zero or more`);
  return value;
}
