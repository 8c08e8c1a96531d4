import assert from "node:assert/strict";
import { cacheLifetimeSeconds, ExpiringLru } from "../../lib/oauth/client-metadata-cache.js";
import {
  checkClientMetadataUrl,
  ClientMetadataError,
  type ClientMetadataFailure,
  isClientMetadataUrl,
  parseClientMetadataDocument,
} from "../../lib/oauth/client-metadata-document.js";
import { ClientMetadataResolver } from "../../lib/oauth/client-metadata.js";

function reasonOf(action: () => unknown): ClientMetadataFailure {
  try {
    action();
  } catch (error) {
    assert.ok(error instanceof ClientMetadataError, String(error));
    return error.reason;
  }
  assert.fail("accepted");
}

describe("client metadata URLs", () => {
  it("recognises https client ids and nothing else", () => {
    assert.equal(isClientMetadataUrl("https://app.example.com/client.json"), true);
    assert.equal(isClientMetadataUrl("HTTPS://app.example.com/client.json"), true);
    assert.equal(isClientMetadataUrl("http://app.example.com/client.json"), false);
    assert.equal(isClientMetadataUrl("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..abc.def.ghi"), false);
    assert.equal(isClientMetadataUrl(""), false);
  });

  for (const accepted of [
    "https://app.example.com/client.json",
    "https://app.example.com:8443/oauth/client-metadata",
    "https://app.example.com/client?version=2",
    "https://[2606:4700::1111]/client.json",
    "https://app.example.com/a.b/..c/client.json",
  ]) {
    it(`accepts ${accepted}`, () => {
      assert.equal(checkClientMetadataUrl(accepted).protocol, "https:");
    });
  }

  for (const [label, refused] of [
    ["http", "http://app.example.com/client.json"],
    ["an upper-case scheme the parser would fold", "HTTPS://app.example.com/client.json"],
    ["no path", "https://app.example.com"],
    ["a root path", "https://app.example.com/"],
    ["a query without a path", "https://app.example.com?client=1"],
    ["a fragment", "https://app.example.com/client.json#frag"],
    ["an empty fragment", "https://app.example.com/client.json#"],
    ["user info", "https://evil@app.example.com/client.json"],
    ["user and password", "https://u:p@app.example.com/client.json"],
    [".. segment", "https://app.example.com/x/../client.json"],
    [". segment", "https://app.example.com/./client.json"],
    ["trailing .. segment", "https://app.example.com/x/.."],
    ["encoded dot segment", "https://app.example.com/x/%2E%2e/client.json"],
    ["half-encoded dot segment", "https://app.example.com/x/.%2e/client.json"],
    ["a backslash", "https://app.example.com\\client.json"],
    ["a space", "https://app.example.com/client .json"],
    ["a tab", "https://app.example.com/cli\tent.json"],
    ["an empty host", "https:///app.example.com/client.json"],
    ["a bad port", "https://app.example.com:99999/client.json"],
    ["too much length", `https://app.example.com/${"a".repeat(2000)}`],
  ] as const) {
    it(`refuses ${label}`, () => {
      assert.equal(reasonOf(() => checkClientMetadataUrl(refused)), "invalid_url");
    });
  }
});

describe("client metadata documents", () => {
  const clientId = "https://app.example.com/client.json";
  const url = new URL(clientId);
  const json = "application/json";
  const parse = (document: unknown, contentType: string | undefined = json): ReturnType<typeof parseClientMetadataDocument> =>
    parseClientMetadataDocument(clientId, url, new TextEncoder().encode(JSON.stringify(document)), contentType);
  const base = { client_id: clientId, redirect_uris: ["https://app.example.com/cb"] };

  it("accepts a minimal document and reports only what it contains", () => {
    assert.deepEqual(parse(base), { clientId, redirectUris: ["https://app.example.com/cb"], verifiedHost: "app.example.com" });
  });

  it("accepts application/json with parameters, in any case", () => {
    assert.equal(parse(base, "Application/JSON; charset=UTF-8").clientId, clientId);
  });

  for (const contentType of [undefined, "text/plain", "application/jsonp", "application/json-seq", "text/json", "application/x-json"]) {
    it(`refuses content type ${String(contentType)}`, () => {
      const body = new TextEncoder().encode(JSON.stringify(base));
      assert.equal(reasonOf(() => parseClientMetadataDocument(clientId, url, body, contentType)), "not_json");
    });
  }

  it("refuses bytes that are not UTF-8", () => {
    const body = Buffer.concat([Buffer.from(`{"client_id":"${clientId}","client_name":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    assert.equal(reasonOf(() => parseClientMetadataDocument(clientId, url, body, json)), "not_json");
  });

  for (const [label, document] of [
    ["an array", [base]],
    ["a string", "hello"],
    ["null", null],
  ] as const) {
    it(`refuses ${label}`, () => {
      assert.equal(reasonOf(() => parse(document)), "invalid_document");
    });
  }

  it("refuses a missing client_id and a different one", () => {
    assert.equal(reasonOf(() => parse({ redirect_uris: base.redirect_uris })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, client_id: "https://app.example.com:443/client.json" })), "client_id_mismatch");
    assert.equal(reasonOf(() => parse({ ...base, client_id: `${clientId}/` })), "client_id_mismatch");
  });

  it("accepts token_endpoint_auth_method none and refuses every other method", () => {
    assert.equal(parse({ ...base, token_endpoint_auth_method: "none" }).clientId, clientId);
    for (const method of ["private_key_jwt", "client_secret_post", "client_secret_basic", "client_secret_jwt", "tls_client_auth"]) {
      assert.equal(reasonOf(() => parse({ ...base, token_endpoint_auth_method: method })), "unsupported_auth_method", method);
    }
    assert.equal(reasonOf(() => parse({ ...base, token_endpoint_auth_method: ["none"] })), "invalid_document");
  });

  it("refuses shared secrets and private keys", () => {
    assert.equal(reasonOf(() => parse({ ...base, client_secret: "x" })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, client_secret_expires_at: 0 })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, jwks: { keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b", d: "secret" }] } })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, jwks: { keys: [{ kty: "oct", k: "secret" }] } })), "invalid_document");
    assert.equal(parse({ ...base, jwks: { keys: [{ kty: "EC", crv: "P-256", x: "a", y: "b" }] } }).clientId, clientId);
  });

  it("requires authorization_code and code when grant and response types are listed", () => {
    assert.equal(reasonOf(() => parse({ ...base, grant_types: ["client_credentials"] })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, response_types: ["token"] })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, grant_types: "authorization_code" })), "invalid_document");
  });

  it("checks every redirect URI and drops duplicates", () => {
    assert.equal(reasonOf(() => parse({ ...base, redirect_uris: "https://app.example.com/cb" })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, redirect_uris: [42] })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, redirect_uris: ["https://app.example.com/cb", " javascript:alert(1)"] })), "invalid_redirect_uri");
    assert.equal(reasonOf(() => parse({ ...base, redirect_uris: ["https://app.example.com/cb#x"] })), "invalid_redirect_uri");
    assert.equal(reasonOf(() => parse({ ...base, redirect_uris: Array.from({ length: 21 }, (_, i) => `https://app.example.com/cb${i}`) })), "invalid_document");
    assert.deepEqual(parse({ ...base, redirect_uris: ["http://127.0.0.1/cb", "http://127.0.0.1/cb"] }).redirectUris, ["http://127.0.0.1/cb"]);
  });

  it("bounds and cleans the display fields", () => {
    assert.equal(parse({ ...base, client_name: "N".repeat(200) }).clientName?.length, 200);
    assert.equal(reasonOf(() => parse({ ...base, client_name: "N".repeat(201) })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, client_name: "   " })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, client_name: "Good\u202eevil" })), "invalid_document");
    for (const disguised of ["Micro\u200bsoft", "Micro\u061csoft", "Micro\u00adsoft", "\ufeffMicrosoft", "Micro\u2060soft"]) assert.equal(reasonOf(() => parse({ ...base, client_name: disguised })), "invalid_document", JSON.stringify(disguised));
    assert.equal(reasonOf(() => parse({ ...base, client_name: "Line\nbreak" })), "invalid_document");
    assert.equal(reasonOf(() => parse({ ...base, client_name: 7 })), "invalid_document");
  });

  it("requires https for client_uri and logo_uri", () => {
    assert.equal(parse({ ...base, client_uri: "https://app.example.com/", logo_uri: "https://cdn.example.com/logo.png" }).logoUri, "https://cdn.example.com/logo.png");
    for (const bad of ["http://app.example.com/", "javascript:alert(1)", "data:image/png;base64,AAAA", "https://u:p@app.example.com/", "https://app.example.com/ x"]) {
      assert.equal(reasonOf(() => parse({ ...base, client_uri: bad })), "invalid_document", bad);
      assert.equal(reasonOf(() => parse({ ...base, logo_uri: bad })), "invalid_document", bad);
    }
  });

  it("reports the host with its port as the verified host", () => {
    const withPort = "https://App.Example.com:8443/c.json";
    const metadata = parseClientMetadataDocument(withPort, checkClientMetadataUrl(withPort), new TextEncoder().encode(JSON.stringify({ ...base, client_id: withPort })), json);
    assert.equal(metadata.verifiedHost, "app.example.com:8443");
  });
});

describe("client metadata cache lifetime", () => {
  const bounds = { defaultSeconds: 300, minSeconds: 60, maxSeconds: 86_400 };
  const now = Date.parse("2026-11-26T12:00:00Z");
  const table: ReadonlyArray<readonly [string, Record<string, string>, number]> = [
    ["no caching headers: the default", {}, 300],
    ["max-age within bounds", { "cache-control": "public, max-age=600" }, 600],
    ["max-age below the minimum", { "cache-control": "max-age=5" }, 60],
    ["max-age above the maximum", { "cache-control": "max-age=31536000" }, 86_400],
    ["max-age=0", { "cache-control": "max-age=0" }, 0],
    ["quoted max-age", { "cache-control": 'max-age="600"' }, 600],
    ["upper-case directive", { "cache-control": "MAX-AGE=600" }, 600],
    ["unparseable max-age: stale", { "cache-control": "max-age=soon" }, 0],
    ["no-store", { "cache-control": "max-age=600, no-store" }, 0],
    ["no-cache", { "cache-control": "no-cache" }, 0],
    ["Age subtracted from max-age", { "cache-control": "max-age=600", age: "500" }, 100],
    ["Age beyond max-age: stale", { "cache-control": "max-age=600", age: "700" }, 0],
    ["Expires relative to Date", { expires: "Thu, 26 Nov 2026 13:00:00 GMT", date: "Thu, 26 Nov 2026 12:00:00 GMT" }, 3600],
    ["Expires in the past", { expires: "Thu, 26 Nov 2026 11:00:00 GMT" }, 0],
    ["invalid Expires: stale", { expires: "0" }, 0],
    ["max-age wins over Expires", { "cache-control": "max-age=900", expires: "Thu, 26 Nov 2026 11:00:00 GMT" }, 900],
    ["unrelated directives: the default", { "cache-control": "public, immutable" }, 300],
  ];
  for (const [label, headers, expected] of table) {
    it(`${label} → ${expected} s`, () => {
      assert.equal(cacheLifetimeSeconds(headers, now, bounds), expected);
    });
  }
});

describe("the expiring LRU store", () => {
  it("expires entries and evicts the least recently used", () => {
    const lru = new ExpiringLru<string, number>(2);
    lru.set("a", 1, 1000);
    lru.set("b", 2, 1000);
    assert.equal(lru.get("a", 0), 1);
    lru.set("c", 3, 1000);
    assert.equal(lru.get("b", 0), undefined);
    assert.equal(lru.get("a", 0), 1);
    assert.equal(lru.get("a", 1000), undefined);
    assert.equal(lru.size, 1);
  });

  it("stores nothing with a bound of zero", () => {
    const lru = new ExpiringLru<string, number>(0);
    lru.set("a", 1, 1000);
    assert.equal(lru.get("a", 0), undefined);
  });
});

describe("client metadata resolver options", () => {
  it("rejects unusable options when constructed", () => {
    assert.throws(() => new ClientMetadataResolver({ timeoutMs: 0 }), TypeError);
    assert.throws(() => new ClientMetadataResolver({ maxBytes: -1 }), TypeError);
    assert.throws(() => new ClientMetadataResolver({ minTtlSeconds: 600, maxTtlSeconds: 60 }), TypeError);
    assert.throws(() => new ClientMetadataResolver({ allowedPrivateHosts: ["http://localhost"] }), TypeError);
  });
});
