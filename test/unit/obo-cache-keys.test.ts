import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { EnvelopeRejectedError, openEnvelope, sealEnvelope } from "../../lib/cache/envelope.js";
import { CacheKeyDeriver, cacheContext, memoryKey, normalizeScopes } from "../../lib/cache/keys.js";
import { DEFAULT_EXPIRY_MARGIN_MS, entryExpiry } from "../../lib/cache/lifetime.js";
import { fakeAccessToken, fakeAssertion } from "../support/obo-cache-fixtures.js";

const GRAPH_READ = "https://graph.microsoft.com/User.Read";
const GRAPH_MAIL = "https://graph.microsoft.com/Mail.Read";

describe("OBO cache: keys", () => {
  const keys = new CacheKeyDeriver();
  const assertion = fakeAssertion("alice");

  it("ignores scope order, repetition and surrounding space", () => {
    assert.deepEqual(normalizeScopes([GRAPH_READ, ` ${GRAPH_MAIL} `, GRAPH_READ, ""]), [GRAPH_MAIL, GRAPH_READ]);
    const a = keys.lookupId(assertion, cacheContext([GRAPH_READ, GRAPH_MAIL]));
    const b = keys.lookupId(assertion, cacheContext([GRAPH_MAIL, GRAPH_READ, GRAPH_MAIL]));
    assert.equal(a, b);
    assert.match(a, /^[0-9a-f]{64}$/);
  });

  it("gives a different key for different scopes and for a different scope case", () => {
    const read = keys.lookupId(assertion, cacheContext([GRAPH_READ]));
    assert.notEqual(read, keys.lookupId(assertion, cacheContext([GRAPH_READ, GRAPH_MAIL])));
    assert.notEqual(read, keys.lookupId(assertion, cacheContext([GRAPH_READ.toLowerCase()])));
  });

  it("changes the key with the claims challenge; an empty challenge counts as none", () => {
    const none = keys.lookupId(assertion, cacheContext([GRAPH_READ]));
    assert.equal(none, keys.lookupId(assertion, cacheContext([GRAPH_READ], "")));
    const mfa = keys.lookupId(assertion, cacheContext([GRAPH_READ], '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}'));
    const other = keys.lookupId(assertion, cacheContext([GRAPH_READ], '{"access_token":{"acrs":{"essential":true,"value":"c2"}}}'));
    assert.notEqual(none, mfa);
    assert.notEqual(mfa, other);
  });

  it("keys memory by the same rules, and differently from the shared store's id", () => {
    const a = memoryKey(assertion, cacheContext([GRAPH_READ, GRAPH_MAIL]));
    assert.equal(a, memoryKey(assertion, cacheContext([GRAPH_MAIL, GRAPH_READ, GRAPH_READ])));
    assert.notEqual(a, memoryKey(assertion, cacheContext([GRAPH_READ, GRAPH_MAIL], "{}")));
    assert.notEqual(a, memoryKey(fakeAssertion("bob"), cacheContext([GRAPH_READ, GRAPH_MAIL])));
    assert.notEqual(Buffer.from(a, "base64url").toString("hex"), keys.lookupId(assertion, cacheContext([GRAPH_READ, GRAPH_MAIL])));
  });

  it("cannot confuse a scope list with a claims string", () => {
    const a = keys.lookupId(assertion, cacheContext(["a", "b"]));
    const b = keys.lookupId(assertion, cacheContext(["a"], "b"));
    const c = keys.lookupId(assertion, cacheContext(["a,b"]));
    assert.equal(new Set([a, b, c]).size, 3);
  });

  it("never gives two assertions the same key (2,000 assertions, same scopes)", () => {
    const ids = new Set<string>();
    const memoryKeys = new Set<string>();
    const context = cacheContext([GRAPH_READ]);
    for (let i = 0; i < 2000; i += 1) {
      const other = fakeAssertion(`user-${i}`);
      ids.add(keys.lookupId(other, context));
      memoryKeys.add(memoryKey(other, context));
    }
    assert.equal(ids.size, 2000);
    assert.equal(memoryKeys.size, 2000);
  });

  it("derives the lookup id and the value key independently, and from the pepper when there is one", () => {
    const context = cacheContext([GRAPH_READ]);
    const id = keys.lookupId(assertion, context);
    const valueKey = keys.valueKey(assertion, context);
    assert.equal(valueKey.length, 32);
    assert.ok(!valueKey.toString("hex").includes(id.slice(0, 16)));
    assert.ok(!id.includes(Buffer.from(assertion).toString("hex").slice(0, 16)));
    const peppered = new CacheKeyDeriver(randomBytes(32));
    assert.notEqual(peppered.lookupId(assertion, context), id);
    assert.equal(new CacheKeyDeriver().lookupId(assertion, context), id, "instances without a pepper agree");
  });
});

describe("OBO cache: sealed values", () => {
  const keys = new CacheKeyDeriver();
  const context = cacheContext([GRAPH_READ]);
  const alice = fakeAssertion("alice");
  const bob = fakeAssertion("bob");
  const payload = { accessToken: fakeAccessToken("alice"), expiresOn: Date.now() + 3600_000, until: Date.now() + 3300_000, scopes: [GRAPH_READ], tokenType: "Bearer" };

  it("opens with the same assertion and id, and contains neither the token nor the assertion in clear", () => {
    const id = keys.lookupId(alice, context);
    const sealed = sealEnvelope(keys.valueKey(alice, context), id, payload);
    assert.deepEqual(openEnvelope(keys.valueKey(alice, context), id, sealed), payload);
    const text = Buffer.from(sealed).toString("latin1");
    assert.ok(!text.includes(payload.accessToken.slice(0, 40)));
    assert.ok(!text.includes("obo-for-alice"));
    assert.ok(!text.includes(alice.slice(0, 40)));
  });

  it("refuses another assertion's key, another id (a moved value) and any altered byte", () => {
    const id = keys.lookupId(alice, context);
    const key = keys.valueKey(alice, context);
    const sealed = sealEnvelope(key, id, payload);
    assert.throws(() => openEnvelope(keys.valueKey(bob, context), id, sealed), EnvelopeRejectedError);
    assert.throws(() => openEnvelope(key, keys.lookupId(bob, context), sealed), EnvelopeRejectedError);
    for (const at of [0, 5, sealed.length - 20, sealed.length - 1]) {
      const altered = Uint8Array.from(sealed);
      altered[at] = altered[at]! ^ 1;
      assert.throws(() => openEnvelope(key, id, altered), EnvelopeRejectedError, `byte ${at}`);
    }
    assert.throws(() => openEnvelope(key, id, new Uint8Array(3)), EnvelopeRejectedError);
  });

  it("encrypts the same token differently each time", () => {
    const id = keys.lookupId(alice, context);
    const key = keys.valueKey(alice, context);
    assert.notDeepEqual(sealEnvelope(key, id, payload), sealEnvelope(key, id, payload));
  });
});

describe("OBO cache: entry lifetime", () => {
  const now = Date.UTC(2026, 0, 1);
  const minutes = (n: number): number => n * 60_000;

  it("stops 5 minutes before a long token expires", () => {
    assert.equal(entryExpiry(now + minutes(60), now + minutes(90), now), now + minutes(60) - DEFAULT_EXPIRY_MARGIN_MS);
  });

  it("stops when the assertion expires, if that comes first", () => {
    assert.equal(entryExpiry(now + minutes(60), now + minutes(20), now), now + minutes(20));
  });

  it("keeps half of a short token's remaining life as margin, but never less than 30 seconds", () => {
    assert.equal(entryExpiry(now + minutes(6), now + minutes(60), now), now + minutes(3));
    assert.equal(entryExpiry(now + 40_000, now + minutes(60), now), now + 10_000);
  });

  it("does not cache a token with 30 seconds or less left, or an assertion already expired", () => {
    assert.equal(entryExpiry(now + 30_000, now + minutes(60), now), undefined);
    assert.equal(entryExpiry(now + minutes(60), now, now), undefined);
    assert.equal(entryExpiry(Number.NaN, now + minutes(60), now), undefined);
  });
});
