/**
 * Remembered token validations: a token seen again skips the signature check,
 * but never past the instant it would have been refused, never across a
 * change of Entra's key set, and frozen, so no request can change what the next one sees.
 */
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT, type JSONWebKeySet } from "jose";
import { loadConfig } from "../../lib/config.js";
import { AccessTokenValidator, InvalidTokenError, type ValidatedToken } from "../../lib/entra/access-token.js";
import { EntraAuthority } from "../../lib/entra/authority.js";
import { SigningKeys } from "../../lib/entra/signing-keys.js";
import { ValidatedTokenCache } from "../../lib/entra/validated-tokens.js";
import { silentLogger } from "../../lib/log.js";
import { ManualClock } from "../support/obo-cache-fixtures.js";

const SKEW = 60;

function validated(overrides: Partial<ValidatedToken> = {}): ValidatedToken {
  return {
    token: `eyJhbGciOiJSUzI1NiJ9.${"a".repeat(800)}.${Math.random().toString(36).slice(2)}`,
    claims: { oid: "o", tid: "t", groups: ["g1", "g2"], nested: { deep: ["x"] } },
    tenantId: "t",
    objectId: "o",
    scopes: ["mcp.access"],
    roles: ["Tools.Read"],
    clientId: "c",
    expiresAt: Math.floor(Date.now() / 1000) + 3600,
    ...overrides,
  };
}

describe("remembered token validations", () => {
  it("returns what was remembered, frozen: no caller can change it for the next, and nobody pays for a copy", () => {
    const cache = new ValidatedTokenCache();
    const token = validated();
    const remembered = cache.remember(token, 1, SKEW);
    const first = cache.get(token.token, 1)!;
    assert.equal(first, remembered, "the same object every time");
    assert.deepEqual(first, token);
    assert.throws(() => (first.claims["groups"] as string[]).push("intruder"), TypeError);
    assert.throws(() => {
      ((first.claims["nested"] as { deep: string[] }).deep as string[]).length = 0;
    }, TypeError);
    assert.throws(() => (first.scopes as string[]).push("admin"), TypeError);
    assert.throws(() => {
      (first as { objectId: string }).objectId = "someone else";
    }, TypeError);
    assert.deepEqual(cache.get(token.token, 1), validated({ token: token.token, expiresAt: token.expiresAt }));
    (token.claims["groups"] as string[]).push("changed after");
    assert.deepEqual(cache.get(token.token, 1)!.claims["groups"], ["g1", "g2"], "the caller's own object was copied, not frozen in place");
  });

  it("forgets a token at the instant the full check would refuse it (exp plus the clock skew)", () => {
    const clock = new ManualClock(1_700_000_000_000);
    const cache = new ValidatedTokenCache({ now: clock.now, maxAgeMs: 24 * 3600 * 1000 });
    const token = validated({ expiresAt: 1_700_000_120 });
    cache.remember(token, 1, SKEW);
    clock.advance((120 + SKEW) * 1000 - 1);
    assert.ok(cache.get(token.token, 1));
    clock.advance(1);
    assert.equal(cache.get(token.token, 1), undefined);
  });

  it("trusts a token without a full check for maxAgeMs at most", () => {
    const clock = new ManualClock();
    const cache = new ValidatedTokenCache({ now: clock.now, maxAgeMs: 5 * 60 * 1000 });
    const token = validated();
    cache.remember(token, 1, SKEW);
    clock.advance(5 * 60 * 1000 - 1);
    assert.ok(cache.get(token.token, 1));
    clock.advance(1);
    assert.equal(cache.get(token.token, 1), undefined);
  });

  it("forgets every token once the signing key set has changed", () => {
    const cache = new ValidatedTokenCache();
    const token = validated();
    cache.remember(token, 3, SKEW);
    assert.equal(cache.get(token.token, 4), undefined);
    assert.equal(cache.get(token.token, 3), undefined, "dropped, not kept for the old key set");
  });

  it("matches the whole token only", () => {
    const cache = new ValidatedTokenCache();
    const token = validated();
    cache.remember(token, 1, SKEW);
    assert.equal(cache.get(`${token.token}x`, 1), undefined);
    assert.equal(cache.get(token.token.slice(0, -1), 1), undefined);
  });

  it("stays bounded, dropping the least recently used", () => {
    const cache = new ValidatedTokenCache({ maxEntries: 3 });
    const tokens = [validated(), validated(), validated(), validated()];
    for (const token of tokens.slice(0, 3)) cache.remember(token, 1, SKEW);
    assert.ok(cache.get(tokens[0]!.token, 1));
    cache.remember(tokens[3]!, 1, SKEW);
    assert.equal(cache.size, 3);
    assert.equal(cache.get(tokens[1]!.token, 1), undefined);
    assert.ok(cache.get(tokens[0]!.token, 1));
  });

  it("keeps a claim named __proto__ a claim", () => {
    const cache = new ValidatedTokenCache();
    const claims = JSON.parse('{"oid":"o","__proto__":{"polluted":true}}') as Record<string, unknown>;
    const token = validated({ claims });
    cache.remember(token, 1, SKEW);
    const copy = cache.get(token.token, 1)!;
    assert.ok(Object.isFrozen(copy.claims));
    assert.ok(Object.hasOwn(copy.claims, "__proto__"));
    assert.equal((copy.claims as { polluted?: unknown }).polluted, undefined);
    assert.equal(Object.getPrototypeOf(copy.claims), Object.prototype);
  });
});

describe("the validator with remembered tokens", () => {
  const TENANT = "11111111-1111-1111-1111-111111111111";
  const CLIENT = "c0ffee00-0000-4000-8000-00000000c0de";
  const config = loadConfig({ AUTH_MODE: "direct", ENTRA_TENANT_ID: TENANT, ENTRA_CLIENT_ID: CLIENT, ENTRA_CLIENT_SECRET: "x", PORT: "7071" });
  const settings = config.entra!;
  const authority = new EntraAuthority(settings);

  async function keyPair(kid: string): Promise<{ sign: (claims?: Record<string, unknown>) => Promise<string>; jwks: JSONWebKeySet }> {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" };
    const sign = (claims: Record<string, unknown> = {}): Promise<string> =>
      new SignJWT({ tid: TENANT, oid: "a11ce000-0000-4000-8000-000000000001", ver: "2.0", scp: "mcp.access", aud: CLIENT, ...claims })
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .setIssuer(authority.issuerFor(TENANT))
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey);
    return { sign, jwks: { keys: [jwk] } };
  }

  it("refuses a remembered token as soon as Entra stops publishing its key", async () => {
    const oldKey = await keyPair("old");
    const newKey = await keyPair("new");
    let published: JSONWebKeySet = oldKey.jwks;
    let fetches = 0;
    const fetchKeys = (async () => {
      fetches += 1;
      return new Response(JSON.stringify(published), { status: 200, headers: { "content-type": "application/json" } });
    }) as typeof fetch;
    const keys = new SigningKeys({ jwksUri: authority.jwksUri, cooldownMs: 0, log: silentLogger, fetch: fetchKeys });
    const validator = new AccessTokenValidator({ settings, authority, keys });

    const token = await oldKey.sign();
    await validator.validate(token);
    await validator.validate(token);
    await validator.validate(token);
    assert.equal(fetches, 1, "validated from what was remembered, no refetch");

    published = newKey.jwks;
    // A token with a key id the instance does not know makes it fetch the key set again.
    await validator.validate(await newKey.sign());
    assert.ok(fetches >= 2);
    await assert.rejects(validator.validate(token), (error: unknown) => error instanceof InvalidTokenError && /key Entra does not publish/.test(error.description));
  });

  it("remembers the first token an instance sees, whose check fetched the key set", async () => {
    const key = await keyPair("k");
    const keys = new SigningKeys({ jwksUri: authority.jwksUri, cooldownMs: 0, log: silentLogger, fetch: (async () => new Response(JSON.stringify(key.jwks), { status: 200 })) as typeof fetch });
    let signatureChecks = 0;
    const counted = new Proxy(keys, {
      get(target, name) {
        if (name === "getKey") {
          return (...args: Parameters<SigningKeys["getKey"]>) => {
            signatureChecks += 1;
            return target.getKey(...args);
          };
        }
        return Reflect.get(target, name, target) as unknown;
      },
    });
    const validator = new AccessTokenValidator({ settings, authority, keys: counted });
    const token = await key.sign();
    const first = await validator.validate(token);
    assert.equal(keys.version, 1, "the first check fetched the key set");
    const second = await validator.validate(token);
    await validator.validate(token);
    assert.equal(signatureChecks, 1, "the second and third requests were served from the remembered validation");
    assert.equal(second, first);
  });

  it("still refuses what it refused before, every time", async () => {
    const key = await keyPair("k");
    const keys = new SigningKeys({ jwksUri: authority.jwksUri, cooldownMs: 0, log: silentLogger, fetch: (async () => new Response(JSON.stringify(key.jwks), { status: 200 })) as typeof fetch });
    const validator = new AccessTokenValidator({ settings, authority, keys });
    const wrongAudience = await key.sign({ aud: "api://someone-else" });
    for (let attempt = 0; attempt < 3; attempt++) {
      await assert.rejects(validator.validate(wrongAudience), (error: unknown) => error instanceof InvalidTokenError && /another audience/.test(error.description));
    }
  });
});
