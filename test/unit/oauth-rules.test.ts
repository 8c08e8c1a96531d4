import assert from "node:assert/strict";
import { isSameOriginPost } from "../../lib/oauth/consent.js";
import { isS256Challenge, newPkcePair, s256, verifierMatches } from "../../lib/oauth/pkce.js";
import {
  authorizeScopes,
  InvalidScopeError,
  redemptionScopes,
  refreshedApiScopes,
  refreshScopes,
  reportedScope,
  requestedApiScopes,
} from "../../lib/oauth/scopes.js";

const api = { identifierUri: "api://11112222-3333-4444-5555-666677778888", names: ["mcp.access", "orders.write"] as [string, ...string[]] };

describe("PKCE", () => {
  it("verifies S256 (the RFC 7636 appendix B example) and nothing else", () => {
    const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert.equal(s256(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert.ok(verifierMatches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    assert.ok(!verifierMatches(`${verifier}x`, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    assert.ok(!verifierMatches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"), "plain refused");
    assert.ok(!verifierMatches("short", s256("short")), "a verifier under 43 characters is refused");
  });

  it("makes fresh pairs in the S256 shape", () => {
    const a = newPkcePair();
    const b = newPkcePair();
    assert.notEqual(a.verifier, b.verifier);
    assert.ok(isS256Challenge(a.challenge));
    assert.ok(verifierMatches(a.verifier, a.challenge));
    assert.ok(!isS256Challenge("plain-challenge"));
  });
});

describe("scope rules", () => {
  it("gives the base scope to a client that asks for nothing or only OpenID scopes", () => {
    assert.deepEqual(requestedApiScopes(undefined, api), ["mcp.access"]);
    assert.deepEqual(requestedApiScopes("", api), ["mcp.access"]);
    assert.deepEqual(requestedApiScopes("openid offline_access", api), ["mcp.access"]);
  });

  it("accepts short and full names of this API and refuses anything else", () => {
    assert.deepEqual(requestedApiScopes(`orders.write ${api.identifierUri}/mcp.access orders.write`, api), ["orders.write", "mcp.access"]);
    for (const scope of ["User.Read", "https://graph.microsoft.com/User.Read", "api://other/mcp.access", ".default", `${api.identifierUri}/.default`]) {
      assert.throws(() => requestedApiScopes(scope, api), InvalidScopeError, scope);
    }
  });

  it("asks Entra for everything once at /authorize, and for the API and OpenID only when redeeming or refreshing", () => {
    const downstream = ["https://graph.microsoft.com/User.Read", "api://contoso-orders/Orders.Read"];
    assert.deepEqual(authorizeScopes(["mcp.access"], api, downstream), [
      `${api.identifierUri}/mcp.access`,
      "openid",
      "profile",
      "offline_access",
      ...downstream,
    ]);
    const expected = [`${api.identifierUri}/mcp.access`, "openid", "profile", "offline_access"];
    assert.deepEqual(redemptionScopes(["mcp.access"], api), expected);
    assert.deepEqual(refreshScopes(["mcp.access"], api), expected);
  });

  it("lets a refresh narrow the scopes but never widen them", () => {
    assert.deepEqual(refreshedApiScopes(undefined, ["mcp.access", "orders.write"], api), ["mcp.access", "orders.write"]);
    assert.deepEqual(refreshedApiScopes("mcp.access", ["mcp.access", "orders.write"], api), ["mcp.access"]);
    assert.throws(() => refreshedApiScopes("orders.write", ["mcp.access"], api), InvalidScopeError);
  });

  it("reports scopes in the short form", () => {
    assert.equal(reportedScope(["mcp.access", "orders.write"]), "mcp.access orders.write");
  });
});

describe("consent answers", () => {
  const origin = "https://mcp.contoso.com";
  const post = (headers: Record<string, string>) => new Request(`${origin}/consent`, { method: "POST", headers });

  it("count only when they come from our own page", () => {
    assert.ok(isSameOriginPost(post({ origin, "sec-fetch-site": "same-origin" }), origin));
    assert.ok(isSameOriginPost(post({ origin }), origin));
    assert.ok(isSameOriginPost(post({ "sec-fetch-site": "same-origin" }), origin));
    assert.ok(isSameOriginPost(post({ origin: "null", "sec-fetch-site": "same-origin" }), origin), "Origin: null under strict privacy settings");
  });

  it("are refused from other sites, other origins, or with nothing to vouch for them", () => {
    assert.ok(!isSameOriginPost(post({ origin: "https://evil.example" }), origin));
    assert.ok(!isSameOriginPost(post({ origin, "sec-fetch-site": "cross-site" }), origin));
    assert.ok(!isSameOriginPost(post({ "sec-fetch-site": "same-site" }), origin));
    assert.ok(!isSameOriginPost(post({ origin: "null" }), origin));
    assert.ok(!isSameOriginPost(post({ origin: "https://evil.example", "sec-fetch-site": "same-origin" }), origin));
    assert.ok(!isSameOriginPost(post({}), origin));
  });
});
