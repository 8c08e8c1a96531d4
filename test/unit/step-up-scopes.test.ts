/** The scope names of step-up: downstream scopes in the form clients know, and a claims challenge carried as a scope. */
import assert from "node:assert/strict";
import { claimsOfScope, claimsScope, DownstreamScopeNames, isClaimsRequest } from "../../lib/auth/downstream-scopes.js";
import { downstreamScopesToAsk, InvalidScopeError, refreshedApiScopes, requestedScopes } from "../../lib/oauth/scopes.js";

const GRAPH_USER_READ = "https://graph.microsoft.com/User.Read";
const ORDERS_READ = "api://contoso-orders/Orders.Read";
const api = { identifierUri: "api://11112222-3333-4444-5555-666677778888", names: ["mcp.access", "orders.write"] as [string, ...string[]] };
const CAPOLIDS = JSON.stringify({ access_token: { capolids: { essential: true, values: ["9e5f4b8a-0000-4000-8000-00000000ca01"] } } });

describe("downstream scope names", () => {
  it("are a declared scope's own name when that is unambiguous, else its full form", () => {
    const names = new DownstreamScopeNames([GRAPH_USER_READ, ORDERS_READ, "api://other/Orders.Read", "api://other/orders.write", "https://graph.microsoft.com/email"], api.names);
    assert.equal(names.clientForm(GRAPH_USER_READ), "User.Read");
    assert.equal(names.clientForm(ORDERS_READ), ORDERS_READ, "two APIs expose Orders.Read");
    assert.equal(names.clientForm("api://other/Orders.Read"), "api://other/Orders.Read");
    assert.equal(names.clientForm("api://other/orders.write"), "api://other/orders.write", "this API has an orders.write scope of its own");
    assert.equal(names.clientForm("https://graph.microsoft.com/email"), "https://graph.microsoft.com/email", "an OpenID scope name");
    assert.equal(names.clientForm("https://graph.microsoft.com/Mail.Send"), undefined, "not declared");
  });

  it("map both forms back to the declared full form, case-insensitively, and nothing undeclared", () => {
    const names = new DownstreamScopeNames([GRAPH_USER_READ, ORDERS_READ], api.names);
    assert.equal(names.fullForm("User.Read"), GRAPH_USER_READ);
    assert.equal(names.fullForm("user.read"), GRAPH_USER_READ);
    assert.equal(names.fullForm(GRAPH_USER_READ.toLowerCase()), GRAPH_USER_READ);
    assert.equal(names.fullForm("Orders.Read"), ORDERS_READ);
    for (const undeclared of ["Mail.Send", "https://graph.microsoft.com/Mail.Send", "mcp.access", ".default"]) assert.equal(names.fullForm(undeclared), undefined, undeclared);
  });
});

describe("a claims challenge carried as a scope", () => {
  it("round-trips Entra's challenge exactly, in one scope token", () => {
    const token = claimsScope(CAPOLIDS)!;
    assert.match(token, /^claims:[A-Za-z0-9_-]+$/, "a valid OAuth scope token");
    assert.equal(claimsOfScope(token), CAPOLIDS);
  });

  it("carries only claims requests of bounded size", () => {
    assert.ok(isClaimsRequest(JSON.stringify({ id_token: { acrs: { essential: true, value: "c1" } } })));
    for (const bad of ["not json", "[]", "null", "{}", JSON.stringify({ scope: "x" }), JSON.stringify({ access_token: { x: "y".repeat(3000) } })]) {
      assert.equal(isClaimsRequest(bad), false, bad.slice(0, 40));
      assert.equal(claimsScope(bad), undefined);
    }
    for (const forged of ["claims:", "claims:!!!", `claims:${Buffer.from("[1]").toString("base64url")}`, "claimz:e30"]) {
      assert.throws(() => claimsOfScope(forged), forged);
    }
  });
});

describe("what a client asks the facade for", () => {
  const downstream = new DownstreamScopeNames([GRAPH_USER_READ, ORDERS_READ], api.names);

  it("splits API scopes, declared downstream scopes and a claims challenge", () => {
    const asked = requestedScopes(`mcp.access User.Read ${ORDERS_READ} offline_access ${claimsScope(CAPOLIDS)!}`, api, downstream);
    assert.deepEqual(asked, { api: ["mcp.access"], downstream: [GRAPH_USER_READ, ORDERS_READ], claims: CAPOLIDS });
    assert.deepEqual(requestedScopes("User.Read", api, downstream), { api: ["mcp.access"], downstream: [GRAPH_USER_READ] }, "the base scope when none is named");
  });

  it("refuses undeclared scopes, a malformed claims token and two claims tokens", () => {
    for (const scope of ["Mail.Send", "https://graph.microsoft.com/Mail.Send", "claims:e30", `${claimsScope(CAPOLIDS)!} ${claimsScope(CAPOLIDS)!}`]) {
      assert.throws(() => requestedScopes(`mcp.access ${scope}`, api, downstream), InvalidScopeError, scope);
    }
    assert.throws(() => requestedScopes("User.Read", api), InvalidScopeError, "no tool declares it");
  });

  it("asks Entra for every declared downstream scope up front, or only those asked for when incremental", () => {
    assert.deepEqual(downstreamScopesToAsk("upfront", [GRAPH_USER_READ, ORDERS_READ], []), [GRAPH_USER_READ, ORDERS_READ]);
    assert.deepEqual(downstreamScopesToAsk("incremental", [GRAPH_USER_READ, ORDERS_READ], []), []);
    assert.deepEqual(downstreamScopesToAsk("incremental", [GRAPH_USER_READ, ORDERS_READ], [ORDERS_READ]), [ORDERS_READ]);
  });

  it("lets a refresh repeat downstream scopes and claims without widening the API scopes", () => {
    assert.deepEqual(refreshedApiScopes(`mcp.access User.Read ${claimsScope(CAPOLIDS)!}`, ["mcp.access"], api, downstream), ["mcp.access"]);
    assert.throws(() => refreshedApiScopes("mcp.access orders.write User.Read", ["mcp.access"], api, downstream), InvalidScopeError);
  });
});
