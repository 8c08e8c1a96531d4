/**
 * An HTTPS GET that a stranger may aim: the authorization-server facade
 * fetches URLs chosen by whoever calls /authorize (Client ID Metadata
 * Documents), so every fetch is a potential server-side request forgery.
 *
 * Threats and the rule that answers each:
 *
 * - A URL naming an internal service (metadata service, loopback admin port,
 *   a private subnet): the host name is resolved here, and the fetch is
 *   refused if ANY address is not a public unicast address
 *   ({@link classifyAddress}); IP literals are checked the same way.
 * - DNS rebinding (public answer at check time, private answer at connect
 *   time): the socket connects only to the addresses that were checked; the
 *   connection's own lookup returns those and never asks DNS again.
 * - Impersonation by whoever answers at that address: TLS is verified
 *   against the original host name (SNI and certificate), never the address.
 * - Redirects to internal URLs: nothing is followed; the status is returned
 *   and a non-2xx body is never read.
 * - Resource exhaustion (endless or huge bodies, slow servers): one deadline
 *   covers lookup, connect, headers and body, and the body is counted while it
 *   streams, whatever Content-Length says.
 *
 * Loopback and private addresses can be allowed for named hosts only
 * ({@link PrivateHostAllowList}), for tests and local development.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import type { LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, isIPv4, isIPv6, type LookupFunction } from "node:net";

import { untilAborted } from "../abort.js";
export type { LookupAddress } from "node:dns";

/** What kind of address an IP address is; only `public` may be fetched from. */
export type AddressClass =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "shared"
  | "link-local"
  | "unique-local"
  | "multicast"
  | "documentation"
  | "benchmarking"
  | "cloud-platform"
  | "reserved"
  | "invalid";

type Range = readonly [network: string, prefix: number];

// RFC 6890 and the IANA special-purpose registries, plus what clouds put on
// public-looking addresses. Order matters only for the class reported.
const RANGES: ReadonlyArray<readonly [Exclude<AddressClass, "public" | "invalid">, readonly Range[]]> = [
  ["unspecified", [["0.0.0.0", 8], ["::", 128]]],
  ["loopback", [["127.0.0.0", 8], ["::1", 128]]],
  ["private", [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["fec0::", 10]]],
  // RFC 6598 carrier-grade NAT space: reaches the provider's internal network.
  ["shared", [["100.64.0.0", 10]]],
  // Includes the instance metadata service at 169.254.169.254.
  ["link-local", [["169.254.0.0", 16], ["fe80::", 10]]],
  ["unique-local", [["fc00::", 7]]],
  ["multicast", [["224.0.0.0", 4], ["ff00::", 8]]],
  ["documentation", [["192.0.2.0", 24], ["198.51.100.0", 24], ["203.0.113.0", 24], ["2001:db8::", 32], ["3fff::", 20]]],
  ["benchmarking", [["198.18.0.0", 15], ["2001:2::", 48]]],
  // Azure's platform address (WireServer, platform DNS, health probes): public-looking, answers only inside Azure.
  ["cloud-platform", [["168.63.129.16", 32]]],
  [
    "reserved",
    [
      ["192.0.0.0", 24], // IETF protocol assignments
      ["192.88.99.0", 24], // 6to4 relay anycast
      ["240.0.0.0", 4], // future use, and 255.255.255.255
      ["64:ff9b:1::", 48], // local-use IPv4/IPv6 translation
      ["100::", 64], // discard-only
      ["2001::", 23], // IETF protocol assignments: Teredo, ORCHID, AMT...
      ["2002::", 16], // 6to4: tunnels to an IPv4 address we did not check
    ],
  ],
];

const CLASS_LISTS: ReadonlyArray<readonly [AddressClass, BlockList]> = RANGES.map(([name, ranges]) => {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, isIPv4(network) ? "ipv4" : "ipv6");
  return [name, list] as const;
});

// Of IPv6, only global unicast (2000::/3) is public at all; everything else not named above is reserved.
const GLOBAL_UNICAST_V6 = new BlockList();
GLOBAL_UNICAST_V6.addSubnet("2000::", 3, "ipv6");

/**
 * Classifies an IP address for the SSRF check. IPv4-mapped IPv6 addresses
 * (`::ffff:10.0.0.5`) and NAT64 addresses (`64:ff9b::a00:5`) are judged by the
 * IPv4 address they carry. Anything that does not parse is `invalid`.
 *
 * @example
 * classifyAddress("169.254.169.254"); // "link-local"
 * classifyAddress("::ffff:127.0.0.1"); // "loopback"
 * classifyAddress("2606:4700::1111"); // "public"
 */
export function classifyAddress(address: string): AddressClass {
  // A zone id only ever accompanies link-local addresses; classify the address itself.
  const bare = address.includes("%") ? address.slice(0, address.indexOf("%")) : address;
  if (isIPv4(bare)) return classifyV4(bare);
  if (!isIPv6(bare)) return "invalid";
  const words = ipv6Words(bare);
  if (words === undefined) return "invalid";
  const embedded = embeddedIPv4(words);
  if (embedded !== undefined) return classifyV4(embedded);
  for (const [name, list] of CLASS_LISTS) if (list.check(bare, "ipv6")) return name;
  return GLOBAL_UNICAST_V6.check(bare, "ipv6") ? "public" : "reserved";
}

/** Whether an address is a public unicast address, i.e. one the facade may fetch from. */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === "public";
}

function classifyV4(address: string): AddressClass {
  for (const [name, list] of CLASS_LISTS) if (list.check(address, "ipv4")) return name;
  return "public";
}

/** The eight 16-bit words of an IPv6 address that `isIPv6` already accepted. */
function ipv6Words(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const dotted = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): number[] => (part === undefined || part === "" ? [] : part.split(":").map((word) => parseInt(word, 16)));
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const words = halves.length === 2 ? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head;
  return words.length === 8 && words.every((word) => Number.isInteger(word) && word >= 0 && word <= 0xffff) ? words : undefined;
}

/** The IPv4 address inside an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) address. */
function embeddedIPv4(words: readonly number[]): string | undefined {
  const [w0, w1, w2, w3, w4, w5, w6 = 0, w7 = 0] = words;
  const mapped = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0xffff;
  const nat64 = w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0;
  if (!mapped && !nat64) return undefined;
  return [w6 >> 8, w6 & 0xff, w7 >> 8, w7 & 0xff].join(".");
}

/**
 * Hosts whose addresses are not checked, from `host` or `host:port` entries
 * (`localhost:8443`, `127.0.0.1`, `[::1]:9000`). An entry without a port
 * covers every port. For tests and local development only: in production an
 * entry lets a stranger aim the facade at that host.
 */
export class PrivateHostAllowList {
  private readonly entries: ReadonlyArray<{ readonly hostname: string; readonly port: string | undefined }>;

  /** @throws TypeError naming the first entry that is not `host` or `host:port`. */
  constructor(entries: readonly string[]) {
    this.entries = entries.map((entry) => {
      const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]/@?#\s]+)(?::(\d{1,5}))?$/.exec(entry.trim());
      let hostname: string | undefined;
      try {
        hostname = match === null ? undefined : new URL(`https://${match[1]}/`).hostname;
      } catch {
        hostname = undefined;
      }
      if (match === null || hostname === undefined || (match[2] !== undefined && Number(match[2]) > 65535)) {
        throw new TypeError(`allowedPrivateHosts: ${JSON.stringify(entry)} is not "host" or "host:port"`);
      }
      return { hostname, port: match[2] === undefined ? undefined : String(Number(match[2])) };
    });
  }

  /** Whether `url`'s host (and port, when the entry names one) is listed. */
  allows(url: URL): boolean {
    const port = url.port === "" ? (url.protocol === "http:" ? "80" : "443") : url.port;
    return this.entries.some((entry) => entry.hostname === url.hostname && (entry.port === undefined || entry.port === port));
  }

  get size(): number {
    return this.entries.length;
  }
}

/** Resolves a host name to every address it has (like `dns.lookup` with `all: true`). */
export type HostLookup = (hostname: string) => Promise<readonly LookupAddress[]>;

/** The system resolver, every address, in the order the system prefers. */
export const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Why a safe GET did not produce a response. */
export type SafeFetchFailure = "private_address" | "dns_failed" | "connect_failed" | "timeout" | "too_large" | "aborted";

/** A refused or failed safe GET. The message names no address (it may reach an error page). */
export class SafeFetchError extends Error {
  readonly code = "SAFE_FETCH_FAILED";
  constructor(
    readonly reason: SafeFetchFailure,
    message: string,
    /** For the log only: the address and its class, when the reason is about one. */
    readonly detail: { readonly address?: string; readonly addressClass?: AddressClass; readonly bytes?: number } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "SafeFetchError";
  }
}

/** Options of {@link safeGet}. */
export interface SafeGetOptions {
  /** Resolves the host name; the only DNS query of the fetch. */
  readonly lookup: HostLookup;
  /** Hosts that may resolve to non-public addresses (tests, local development). */
  readonly allowList?: PrivateHostAllowList;
  /** Deadline for the whole exchange (lookup, connect, TLS, headers, body), in milliseconds. */
  readonly timeoutMs: number;
  /** Most body bytes read; more (declared or received) fails with `too_large`. */
  readonly maxBytes: number;
  /** Request headers to add (`Accept`, `User-Agent`...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Cancels the fetch (reason `aborted`). */
  readonly signal?: AbortSignal;
  /**
   * Also fetch `http` URLs (local development against loopback peers only:
   * the caller decides when; nothing a stranger sends may turn it on).
   */
  readonly allowPlainHttp?: boolean;
}

/** What came back. */
export interface SafeGetResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body of a 2xx response, at most `maxBytes`; empty for any other status (never read). */
  readonly body: Buffer;
  /** The address the connection went to. */
  readonly address: string;
}

/**
 * GETs an `https` URL without letting the URL's owner aim the request at
 * internal addresses, keep it open, or flood it. Redirects are returned, not
 * followed.
 *
 * @example
 * const response = await safeGet(new URL("https://client.example/meta.json"), { lookup: systemLookup, timeoutMs: 5000, maxBytes: 5120 });
 * if (response.status === 200) JSON.parse(response.body.toString("utf8"));
 * @throws SafeFetchError
 */
export async function safeGet(url: URL, options: SafeGetOptions): Promise<SafeGetResponse> {
  if (url.protocol !== "https:" && !(url.protocol === "http:" && options.allowPlainHttp === true)) throw new TypeError("safeGet fetches https URLs only");
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new SafeFetchError("timeout", `The server did not answer completely within ${options.timeoutMs} ms.`)),
    options.timeoutMs,
  );
  const cancel = (): void => controller.abort(new SafeFetchError("aborted", "The fetch was cancelled."));
  if (options.signal?.aborted === true) cancel();
  else options.signal?.addEventListener("abort", cancel, { once: true });
  try {
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const addresses = await untilAborted(checkedAddresses(url, hostname, options), controller.signal);
    return await exchange(url, hostname, addresses, options, controller.signal);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", cancel);
  }
}

async function checkedAddresses(url: URL, hostname: string, options: SafeGetOptions): Promise<LookupAddress[]> {
  let addresses: LookupAddress[];
  const family = isIP(hostname);
  if (family !== 0) {
    addresses = [{ address: hostname, family }];
  } else {
    try {
      addresses = [...(await options.lookup(hostname))];
    } catch (error) {
      throw new SafeFetchError("dns_failed", "The host name could not be resolved.", {}, { cause: error });
    }
    if (addresses.length === 0) throw new SafeFetchError("dns_failed", "The host name could not be resolved.");
  }
  if (options.allowList?.allows(url) === true) return addresses;
  // Every address, not just the first: the connection may fall back to any of them.
  for (const { address } of addresses) {
    const addressClass = classifyAddress(address);
    if (addressClass !== "public") {
      throw new SafeFetchError("private_address", "The host does not resolve to a public internet address.", { address, addressClass });
    }
  }
  return addresses;
}

function exchange(url: URL, hostname: string, addresses: readonly LookupAddress[], options: SafeGetOptions, signal: AbortSignal): Promise<SafeGetResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: { error: Error } | { response: SafeGetResponse }): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      // No keep-alive (agent: false): the socket is done either way.
      request.destroy();
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.response);
    };
    const onAbort = (): void => settle({ error: signal.reason instanceof Error ? signal.reason : new SafeFetchError("aborted", "The fetch was cancelled.") });

    const plain = url.protocol === "http:";
    const request = (plain ? httpRequest : httpsRequest)({
      protocol: url.protocol,
      hostname,
      port: url.port === "" ? (plain ? 80 : 443) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: "GET",
      headers: { ...options.headers, "accept-encoding": "identity" },
      // A fresh connection per fetch: a pooled socket could belong to another host's check.
      agent: false,
      // Pinning: the connection "resolves" to the addresses already checked, never asking DNS again.
      lookup: pinnedLookup(hostname, addresses),
      // Explicit, so NODE_TLS_REJECT_UNAUTHORIZED=0 in some environment cannot turn verification off.
      rejectUnauthorized: true,
    });
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();

    request.on("error", (error) => settle({ error: new SafeFetchError("connect_failed", "The server could not be reached over verified HTTPS.", {}, { cause: error }) }));
    request.on("response", (response) => {
      const status = response.statusCode ?? 0;
      const address = response.socket?.remoteAddress ?? "";
      if (status < 200 || status > 299) {
        settle({ response: { status, headers: response.headers, body: Buffer.alloc(0), address } });
        return;
      }
      const declared = Number(response.headers["content-length"] ?? "0");
      if (declared > options.maxBytes) {
        settle({ error: new SafeFetchError("too_large", `The response is larger than ${options.maxBytes} bytes.`, { address, bytes: declared }) });
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on("data", (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBytes) {
          settle({ error: new SafeFetchError("too_large", `The response is larger than ${options.maxBytes} bytes.`, { address, bytes: received }) });
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () => settle({ response: { status, headers: response.headers, body: Buffer.concat(chunks, received), address } }));
      response.on("error", (error) => settle({ error: new SafeFetchError("connect_failed", "The connection broke before the response was complete.", { address }, { cause: error }) }));
      response.on("close", () => {
        if (!response.complete) settle({ error: new SafeFetchError("connect_failed", "The connection broke before the response was complete.", { address }) });
      });
    });
    request.end();
  });
}

function pinnedLookup(hostname: string, addresses: readonly LookupAddress[]): LookupFunction {
  return (name, lookupOptions, callback) => {
    const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? addresses.filter((entry) => entry.family === lookupOptions.family) : addresses;
    const first = wanted[0];
    if (name !== hostname || first === undefined) {
      const error: NodeJS.ErrnoException = new Error(`no checked address for ${name}`);
      error.code = "ENOTFOUND";
      callback(error, "", undefined);
      return;
    }
    if (lookupOptions.all === true) callback(null, wanted.map((entry) => ({ ...entry })));
    else callback(null, first.address, first.family);
  };
}
