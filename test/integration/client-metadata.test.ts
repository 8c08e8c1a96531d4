import assert from "node:assert/strict";
import type { LookupAddress } from "node:dns";
import { AsyncLocalStorage, createHook } from "node:async_hooks";
import { isIPv6 } from "node:net";
import { createLogger } from "../../lib/log.js";
import {
  ClientMetadataError,
  ClientMetadataResolver,
  type ClientMetadataFailure,
  type ClientMetadataResolverOptions,
  type HostLookup,
} from "../../lib/oauth/client-metadata.js";
import { CimdServer, validDocument } from "../support/cimd-server.js";
import { LogCapture } from "../support/log-capture.js";

/** The refusal's reason; fails the test if the promise resolves or throws something else. */
async function refusal(promise: Promise<unknown>): Promise<ClientMetadataFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ClientMetadataError, String(error));
    return error.reason;
  }
  assert.fail("the client metadata document was accepted");
}

const connectionCounting = new AsyncLocalStorage<{ sockets: number }>();
// Handles Node creates, synchronously, for a TCP socket (TLS rides on one) and for a system DNS query.
const NETWORK_HANDLES = new Set(["TCPWRAP", "TCPCONNECTWRAP", "GETADDRINFOREQWRAP", "UDPWRAP"]);
const networkHook = createHook({
  init(_asyncId, type) {
    if (!NETWORK_HANDLES.has(type)) return;
    const tally = connectionCounting.getStore();
    if (tally !== undefined) tally.sockets++;
  },
});

/**
 * Counts sockets and DNS queries started by `action`, and only by it: the
 * async context tells them apart from anything other test files left running.
 * Zero means no network traffic.
 */
async function socketsOpenedDuring<T>(action: () => Promise<T>): Promise<{ sockets: number; outcome: T }> {
  const tally = { sockets: 0 };
  networkHook.enable();
  try {
    const outcome = await connectionCounting.run(tally, action);
    return { sockets: tally.sockets, outcome };
  } finally {
    networkHook.disable();
  }
}

/** A lookup that answers from a table and counts its calls. */
function tableLookup(table: Record<string, string | string[] | (() => string)>): HostLookup & { calls: string[] } {
  const calls: string[] = [];
  const lookup = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname);
    const entry = table[hostname];
    if (entry === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    const addresses = typeof entry === "function" ? [entry()] : Array.isArray(entry) ? entry : [entry];
    return addresses.map((address) => ({ address, family: isIPv6(address) ? 6 : 4 }));
  };
  return Object.assign(lookup, { calls });
}

describe("Client ID Metadata Documents", function () {
  this.timeout(10_000);
  let server: CimdServer;
  let capture: LogCapture;
  let counter = 0;
  /** A fresh path per test, so no test sees another's cache entry or hit count. */
  const freshPath = (name: string): string => `/clients/${name}-${++counter}.json`;

  const resolver = (options: ClientMetadataResolverOptions = {}): ClientMetadataResolver =>
    new ClientMetadataResolver({ allowedPrivateHosts: [server.hostPort], log: createLogger("debug", capture.sink), ...options });

  before(async () => {
    server = await CimdServer.start();
  });
  after(async () => server?.close());
  beforeEach(() => {
    capture = new LogCapture();
  });

  describe("a valid document", () => {
    it("resolves to the client's metadata with the URL's host as the verified host", async () => {
      const path = freshPath("valid");
      server.document(path, (self) => validDocument(self, { client_uri: "https://app.example.com/", logo_uri: "https://app.example.com/logo.png" }), {
        "content-type": "application/json; charset=utf-8",
      });
      const client = await resolver().resolve(server.url(path));
      assert.deepEqual(client, {
        clientId: server.url(path),
        redirectUris: ["http://127.0.0.1:33418/callback", "https://app.example.com/oauth/callback"],
        clientName: "Example MCP Client",
        clientUri: "https://app.example.com/",
        logoUri: "https://app.example.com/logo.png",
        verifiedHost: `127.0.0.1:${server.port}`,
      });
    });

    it("is cached: a second resolve makes no request", async () => {
      const path = freshPath("cached");
      server.document(path, (self) => validDocument(self), { "cache-control": "max-age=600" });
      const cimd = resolver();
      const first = await socketsOpenedDuring(() => cimd.resolve(server.url(path)));
      assert.ok(first.sockets > 0, "the counter sees the first fetch");
      const second = await socketsOpenedDuring(() => cimd.resolve(server.url(path)));
      assert.equal(server.requests(path), 1);
      assert.equal(second.sockets, 0);
    });

    it("is fetched again when served with no-store", async () => {
      const path = freshPath("no-store");
      server.document(path, (self) => validDocument(self), { "cache-control": "no-store" });
      const cimd = resolver();
      await cimd.resolve(server.url(path));
      await cimd.resolve(server.url(path));
      assert.equal(server.requests(path), 2);
    });

    it("is fetched again when served with max-age=0", async () => {
      const path = freshPath("max-age-0");
      server.document(path, (self) => validDocument(self), { "cache-control": "public, max-age=0" });
      const cimd = resolver();
      await cimd.resolve(server.url(path));
      await cimd.resolve(server.url(path));
      assert.equal(server.requests(path), 2);
    });

    it("is fetched again once its max-age has passed, and not before", async () => {
      const path = freshPath("expiry");
      server.document(path, (self) => validDocument(self), { "cache-control": "max-age=120" });
      let now = Date.parse("2026-11-26T12:00:00Z");
      const cimd = resolver({ now: () => now });
      await cimd.resolve(server.url(path));
      now += 119_000;
      await cimd.resolve(server.url(path));
      assert.equal(server.requests(path), 1);
      now += 2_000;
      await cimd.resolve(server.url(path));
      assert.equal(server.requests(path), 2);
    });

    it("keeps a document for the minimum lifetime even when max-age is smaller, and no longer than the maximum", async () => {
      const short = freshPath("short-max-age");
      const long = freshPath("long-max-age");
      server.document(short, (self) => validDocument(self), { "cache-control": "max-age=1" });
      server.document(long, (self) => validDocument(self), { "cache-control": "max-age=31536000" });
      let now = Date.parse("2026-11-26T12:00:00Z");
      const cimd = resolver({ now: () => now, minTtlSeconds: 60, maxTtlSeconds: 3600 });
      await cimd.resolve(server.url(short));
      await cimd.resolve(server.url(long));
      now += 30_000;
      await cimd.resolve(server.url(short));
      assert.equal(server.requests(short), 1, "max-age=1 is raised to the 60 s minimum");
      now += 3_600_000;
      await cimd.resolve(server.url(long));
      assert.equal(server.requests(long), 2, "a year's max-age is cut to the one-hour maximum");
    });

    it("shares one fetch among concurrent resolutions of the same URL", async () => {
      const path = freshPath("concurrent");
      server.route(path, (_request, response, self) => {
        setTimeout(() => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(validDocument(self))), 150);
      });
      const cimd = resolver();
      const results = await Promise.all(Array.from({ length: 5 }, () => cimd.resolve(server.url(path))));
      assert.equal(server.requests(path), 1);
      for (const result of results) assert.equal(result, results[0]);
    });

    it("lets a caller give up without cancelling the fetch others wait for", async () => {
      const path = freshPath("abandoned");
      server.route(path, (_request, response, self) => {
        setTimeout(() => response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(validDocument(self))), 200);
      });
      const cimd = resolver();
      const impatient = new AbortController();
      const first = cimd.resolve(server.url(path), impatient.signal);
      const second = cimd.resolve(server.url(path));
      setTimeout(() => impatient.abort(), 50);
      assert.equal(await refusal(first), "aborted");
      assert.equal((await second).clientId, server.url(path));
      assert.equal(server.requests(path), 1);
    });

    it("cancels the fetch when its only caller gives up", async () => {
      const path = freshPath("cancelled");
      server.route(path, () => undefined);
      const cimd = resolver();
      const controller = new AbortController();
      const started = Date.now();
      const pending = cimd.resolve(server.url(path), controller.signal);
      setTimeout(() => controller.abort(), 100);
      assert.equal(await refusal(pending), "aborted");
      assert.ok(Date.now() - started < 1000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(capture.matching('"reason":"aborted"').length, 1, capture.text());
    });

    it("does not cache a failure", async () => {
      const path = freshPath("flaky");
      let calls = 0;
      server.route(path, (_request, response, self) => {
        if (++calls === 1) response.writeHead(503, { "content-type": "text/plain" }).end("busy");
        else response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(validDocument(self)));
      });
      const cimd = resolver();
      assert.equal(await refusal(cimd.resolve(server.url(path))), "fetch_failed");
      assert.equal((await cimd.resolve(server.url(path))).clientId, server.url(path));
      assert.equal(server.requests(path), 2);
    });

    it("keeps at most maxCacheEntries documents, dropping the least recently used", async () => {
      const [a, b, c] = [freshPath("lru-a"), freshPath("lru-b"), freshPath("lru-c")];
      for (const path of [a, b, c]) server.document(path, (self) => validDocument(self), { "cache-control": "max-age=600" });
      const cimd = resolver({ maxCacheEntries: 2 });
      await cimd.resolve(server.url(a));
      await cimd.resolve(server.url(b));
      await cimd.resolve(server.url(a));
      await cimd.resolve(server.url(c));
      await cimd.resolve(server.url(a));
      await cimd.resolve(server.url(b));
      assert.deepEqual([server.requests(a), server.requests(b), server.requests(c)], [1, 2, 1]);
    });

    it("connects to the pinned address for an allow-listed name, verifying TLS for that name", async () => {
      const path = freshPath("by-name");
      server.document(path, () => validDocument(server.url(path, "localhost")));
      const lookup = tableLookup({ localhost: "127.0.0.1" });
      const cimd = resolver({ allowedPrivateHosts: [`localhost:${server.port}`], lookup });
      const client = await cimd.resolve(server.url(path, "localhost"));
      assert.equal(client.verifiedHost, `localhost:${server.port}`);
      assert.deepEqual(lookup.calls, ["localhost"]);
    });

    it("logs one line per fetch with host, status, bytes and time, and none of the document", async () => {
      const path = freshPath("logged");
      server.document(path, (self) => validDocument(self, { client_name: "Marker-7f3a9 Client" }));
      await resolver().resolve(server.url(path));
      assert.equal(capture.lines.length, 1, capture.text());
      const line = JSON.parse(capture.lines[0]!.text) as Record<string, unknown>;
      assert.equal(line.event, "oauth.client_metadata.fetch");
      assert.equal(line.host, `127.0.0.1:${server.port}`);
      assert.equal(line.status, 200);
      assert.equal(line.outcome, "accepted");
      assert.equal(typeof line.bytes, "number");
      assert.equal(typeof line.ms, "number");
      assert.doesNotMatch(capture.text(), /Marker-7f3a9|33418|redirect_uris/);
    });
  });

  describe("refuses documents at private addresses", () => {
    const privateAddresses = ["10.0.0.5", "192.168.1.1", "169.254.169.254", "::1", "fd00::1", "::ffff:127.0.0.1", "100.64.0.1", "0.0.0.0"];
    for (const address of privateAddresses) {
      it(`refuses a name that resolves to ${address}, with no network traffic`, async () => {
        const lookup = tableLookup({ "client.attacker.example": address });
        const cimd = resolver({ lookup });
        const before = server.connections;
        const { sockets, outcome } = await socketsOpenedDuring(() => refusal(cimd.resolve(`https://client.attacker.example:${server.port}/clients/x.json`)));
        assert.equal(outcome, "private_address");
        assert.equal(sockets, 0);
        assert.equal(server.connections, before);
        assert.deepEqual(lookup.calls, ["client.attacker.example"]);
      });
    }

    it("refuses when any one of several addresses is private", async () => {
      const lookup = tableLookup({ "mixed.attacker.example": ["93.184.216.34", "10.0.0.5"] });
      const { sockets, outcome } = await socketsOpenedDuring(() => refusal(resolver({ lookup }).resolve("https://mixed.attacker.example/client.json")));
      assert.equal(outcome, "private_address");
      assert.equal(sockets, 0);
    });

    it("refuses 127.0.0.1 itself when it is not allow-listed", async () => {
      const path = freshPath("not-allowed");
      server.document(path, (self) => validDocument(self));
      const before = server.connections;
      const { sockets, outcome } = await socketsOpenedDuring(() => refusal(resolver({ allowedPrivateHosts: [] }).resolve(server.url(path))));
      assert.equal(outcome, "private_address");
      assert.equal(sockets, 0);
      assert.equal(server.connections, before);
    });

    it("refuses an allow-listed host on a port the entry does not name", async () => {
      const path = freshPath("other-port");
      server.document(path, (self) => validDocument(self));
      const cimd = resolver({ allowedPrivateHosts: [`127.0.0.1:${server.port === 65535 ? 1 : server.port + 1}`] });
      assert.equal(await refusal(cimd.resolve(server.url(path))), "private_address");
      assert.equal(server.requests(path), 0);
    });

    it("connects to the address it checked: a rebinding answer at connect time is never asked for", async () => {
      const path = freshPath("rebinding");
      server.document(path, (self) => validDocument(self));
      // First answer: the test server. Any later answer: 127.0.0.2, where nothing listens.
      let answers = 0;
      const lookup = tableLookup({ "rebind.attacker.example": () => (++answers === 1 ? "127.0.0.1" : "127.0.0.2") });
      const cimd = resolver({ allowedPrivateHosts: [`rebind.attacker.example:${server.port}`], lookup });
      const before = server.connections;
      // The certificate does not cover the name, so the exchange fails after connecting; what matters is where it connected.
      assert.equal(await refusal(cimd.resolve(server.url(path, "rebind.attacker.example"))), "fetch_failed");
      assert.deepEqual(lookup.calls, ["rebind.attacker.example"], "one lookup only");
      assert.equal(server.connections, before + 1, "connected to the first (checked) answer");
    });

    it("verifies the certificate for the URL's host name, not the address it connects to", async () => {
      const path = freshPath("wrong-name");
      server.document(path, (self) => validDocument(self));
      const lookup = tableLookup({ "impostor.example": "127.0.0.1" });
      const cimd = resolver({ allowedPrivateHosts: [`impostor.example:${server.port}`], lookup });
      assert.equal(await refusal(cimd.resolve(server.url(path, "impostor.example"))), "fetch_failed");
      assert.equal(server.requests(path), 0);
      assert.match(capture.text(), /ERR_TLS_CERT_ALTNAME_INVALID/);
    });

    it("refuses a name that does not resolve", async () => {
      const lookup = tableLookup({});
      assert.equal(await refusal(resolver({ lookup }).resolve("https://nowhere.example/client.json")), "dns_failed");
    });
  });

  describe("refuses oversized documents", () => {
    const maxBytes = 1024;

    it("accepts a document of exactly the limit and refuses one byte more", async () => {
      const exact = freshPath("exact");
      const over = freshPath("over");
      const padded = (self: string, size: number): string => {
        const base = JSON.stringify(validDocument(self, { software_id: "" }));
        return JSON.stringify(validDocument(self, { software_id: "x".repeat(size - base.length) }));
      };
      for (const [path, size] of [[exact, maxBytes], [over, maxBytes + 1]] as const) {
        server.route(path, (_request, response, self) => {
          const body = padded(self, size);
          assert.equal(Buffer.byteLength(body), size);
          response.writeHead(200, { "content-type": "application/json" }).end(body);
        });
      }
      const cimd = resolver({ maxBytes });
      assert.equal((await cimd.resolve(server.url(exact))).clientId, server.url(exact));
      assert.equal(await refusal(cimd.resolve(server.url(over))), "too_large");
    });

    it("refuses on a Content-Length above the limit before reading the body", async () => {
      const path = freshPath("declared-large");
      server.route(path, (_request, response, self) => {
        // The header promises a megabyte, then a small valid document trickles: only the header can refuse it in time.
        response.writeHead(200, { "content-type": "application/json", "content-length": String(1024 * 1024) });
        response.write(JSON.stringify(validDocument(self)));
      });
      const started = Date.now();
      assert.equal(await refusal(resolver({ maxBytes, timeoutMs: 3000 }).resolve(server.url(path))), "too_large");
      assert.ok(Date.now() - started < 1500, "refused on the header, not after waiting for the body");
    });

    it("refuses a body without Content-Length once it passes the limit", async () => {
      const path = freshPath("chunked-large");
      server.route(path, (_request, response, self) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.write(`{"client_id":${JSON.stringify(self)},"padding":"`);
        // Never ends on its own: without a streaming count this would run into the time limit instead.
        server.every(5, () => {
          if (!response.writableEnded && !response.destroyed) response.write("x".repeat(512));
        });
      });
      const started = Date.now();
      assert.equal(await refusal(resolver({ maxBytes, timeoutMs: 3000 }).resolve(server.url(path))), "too_large");
      assert.ok(Date.now() - started < 1500);
    });

    it("reads no more than the limit when Content-Length understates the body", async () => {
      const path = freshPath("lying-length");
      server.route(path, (_request, response, self) => {
        const body = JSON.stringify(validDocument(self, { padding: "x".repeat(20_000) }));
        response.writeHead(200, { "content-type": "application/json", "content-length": "100" });
        response.end(body);
      });
      assert.notEqual(await refusal(resolver({ maxBytes }).resolve(server.url(path))), undefined);
      const line = JSON.parse(capture.lines.at(-1)!.text) as { bytes?: number; outcome: string };
      assert.equal(line.outcome, "refused");
      assert.ok((line.bytes ?? 0) <= maxBytes, capture.text());
    });
  });

  describe("refuses slow servers", () => {
    const timeoutMs = 400;

    it("times out when the headers never come", async () => {
      const path = freshPath("silent");
      server.route(path, () => undefined);
      const started = Date.now();
      assert.equal(await refusal(resolver({ timeoutMs }).resolve(server.url(path))), "timeout");
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= timeoutMs - 20 && elapsed < timeoutMs + 600, `took ${elapsed} ms`);
    });

    it("times out when the body trickles, though every byte arrives quickly after the last", async () => {
      const path = freshPath("trickle");
      server.route(path, (_request, response, self) => {
        const body = JSON.stringify(validDocument(self));
        response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
        let sent = 0;
        server.every(40, () => {
          if (sent < body.length && !response.destroyed) response.write(body[sent++]!);
        });
      });
      const started = Date.now();
      assert.equal(await refusal(resolver({ timeoutMs }).resolve(server.url(path))), "timeout");
      const elapsed = Date.now() - started;
      assert.ok(elapsed < timeoutMs + 600, `took ${elapsed} ms`);
    });

    it("counts name resolution against the time limit", async () => {
      const lookup: HostLookup = () => new Promise(() => undefined);
      const started = Date.now();
      assert.equal(await refusal(resolver({ timeoutMs, lookup }).resolve("https://slow-dns.example/client.json")), "timeout");
      assert.ok(Date.now() - started < timeoutMs + 600);
    });
  });

  describe("refuses what is not a metadata document", () => {
    it("refuses a redirect and does not follow it", async () => {
      const path = freshPath("redirect");
      const target = freshPath("redirect-target");
      server.document(target, (self) => validDocument(self));
      server.route(path, (_request, response) => response.writeHead(302, { location: server.url(target) }).end());
      assert.equal(await refusal(resolver().resolve(server.url(path))), "redirect");
      assert.equal(server.requests(target), 0);
    });

    it("does not read the body of a redirect", async () => {
      const path = freshPath("redirect-endless");
      server.route(path, (_request, response) => {
        response.writeHead(307, { location: "https://127.0.0.1/elsewhere", "content-type": "text/plain" });
        server.every(5, () => {
          if (!response.destroyed) response.write("x".repeat(256));
        });
      });
      const started = Date.now();
      assert.equal(await refusal(resolver({ timeoutMs: 2000 }).resolve(server.url(path))), "redirect");
      assert.ok(Date.now() - started < 1000, "answered on the status line, without waiting for the body");
    });

    it("refuses a status other than 200", async () => {
      const path = freshPath("gone");
      server.route(path, (_request, response) => response.writeHead(404, { "content-type": "application/json" }).end("{}"));
      assert.equal(await refusal(resolver().resolve(server.url(path))), "fetch_failed");
    });

    it("refuses a document not served as application/json", async () => {
      const path = freshPath("html");
      server.route(path, (_request, response, self) => response.writeHead(200, { "content-type": "text/html" }).end(JSON.stringify(validDocument(self))));
      assert.equal(await refusal(resolver().resolve(server.url(path))), "not_json");
    });

    it("refuses a body that is not JSON", async () => {
      const path = freshPath("garbage");
      server.route(path, (_request, response) => response.writeHead(200, { "content-type": "application/json" }).end("<html>hello</html>"));
      assert.equal(await refusal(resolver().resolve(server.url(path))), "not_json");
    });

    it("refuses a document naming another client_id", async () => {
      const path = freshPath("other-id");
      server.document(path, () => validDocument("https://trusted-client.example.com/client.json"));
      assert.equal(await refusal(resolver().resolve(server.url(path))), "client_id_mismatch");
    });

    it("compares client_id as a plain string (no normalising)", async () => {
      const path = freshPath("case");
      server.document(path, (self) => validDocument(self.replace("/clients/", "/CLIENTS/")));
      assert.equal(await refusal(resolver().resolve(server.url(path))), "client_id_mismatch");
    });

    for (const [label, uri] of [
      ["a javascript: redirect URI", "javascript:alert(1)"],
      ["an http redirect URI that is not loopback", "http://app.example.com/callback"],
      ["a data: redirect URI", "data:text/html,hi"],
    ] as const) {
      it(`refuses ${label}`, async () => {
        const path = freshPath("bad-redirect");
        server.document(path, (self) => validDocument(self, { redirect_uris: ["https://app.example.com/cb", uri] }));
        assert.equal(await refusal(resolver().resolve(server.url(path))), "invalid_redirect_uri");
      });
    }

    it("refuses a document without redirect URIs", async () => {
      const path = freshPath("no-redirects");
      server.document(path, (self) => validDocument(self, { redirect_uris: [] }));
      assert.equal(await refusal(resolver().resolve(server.url(path))), "invalid_document");
    });

    for (const method of ["private_key_jwt", "client_secret_basic"]) {
      it(`refuses token_endpoint_auth_method ${method}`, async () => {
        const path = freshPath("auth-method");
        server.document(path, (self) => validDocument(self, { token_endpoint_auth_method: method, jwks_uri: "https://app.example.com/jwks.json" }));
        assert.equal(await refusal(resolver().resolve(server.url(path))), "unsupported_auth_method");
      });
    }

    it("refuses a document carrying a client_secret", async () => {
      const path = freshPath("secret");
      server.document(path, (self) => validDocument(self, { client_secret: "s3cr3t" }));
      assert.equal(await refusal(resolver().resolve(server.url(path))), "invalid_document");
    });
  });

  describe("refuses client_id URLs that break the rules, before any network traffic", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["http:", "http://127.0.0.1:9/client.json"],
      ["no path", "https://client.example.com"],
      ["only a root path", "https://client.example.com/"],
      ["a fragment", "https://client.example.com/client.json#x"],
      ["user info", "https://user:pass@client.example.com/client.json"],
      ["a dot segment", "https://client.example.com/a/../client.json"],
      ["an encoded dot segment", "https://client.example.com/a/%2e%2E/client.json"],
      ["a single-dot segment", "https://client.example.com/./client.json"],
    ];
    for (const [label, clientId] of cases) {
      it(`refuses ${label}`, async () => {
        const lookup = tableLookup({ "client.example.com": "93.184.216.34" });
        const { sockets, outcome } = await socketsOpenedDuring(() => refusal(resolver({ lookup }).resolve(clientId)));
        assert.equal(outcome, "invalid_url");
        assert.equal(sockets, 0);
        assert.deepEqual(lookup.calls, []);
      });
    }
  });
});
