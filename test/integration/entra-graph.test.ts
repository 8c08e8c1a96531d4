/**
 * The fake downstream API: Microsoft Graph `/v1.0/me` and the custom
 * `/api/orders`, accepting only tokens the stand-in issued for them.
 */
import assert from "node:assert/strict";
import {
  DEV_USERS,
  GRAPH_USER_READ,
  KIT_CLIENT_ID,
  KIT_DEV_CLIENT_SECRET,
  ORDERS_CLIENT_ID,
  ORDERS_SCOPE_URI,
} from "../../dev/defaults.js";
import { GRAPH_RESOURCE, type EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { kitTokenByPassword, oboAsKit, postToken, requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";

async function call(url: string, token?: string): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, { headers: token === undefined ? {} : { Authorization: `Bearer ${token}` } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe("fake Graph and downstream API", () => {
  let entra: EntraStandIn;
  let graph: FakeGraph;
  let kitToken: string;
  let graphToken: string;
  let ordersToken: string;
  before(async () => {
    requireDevTlsTrust();
    entra = await startDefaultStandIn();
    graph = await startFakeGraph({ entra });
    kitToken = String((await kitTokenByPassword(entra, "alice")).access_token);
    graphToken = String((await oboAsKit(entra, kitToken, GRAPH_USER_READ)).body.access_token);
    ordersToken = String((await oboAsKit(entra, kitToken, ORDERS_SCOPE_URI)).body.access_token);
  });
  after(() => Promise.all([entra.close(), graph.close()]));
  beforeEach(() => {
    graph.reset();
    graph.clearFaults();
  });

  it("returns the signed-in user's profile for a Graph OBO token and records the token's claims", async () => {
    const me = await call(`${graph.graphBaseUrl}/me`, graphToken);
    assert.equal(me.status, 200);
    assert.equal(me.body.id, DEV_USERS.alice.oid);
    assert.equal(me.body.displayName, "Alice Example");
    assert.equal(me.body.userPrincipalName, DEV_USERS.alice.upn);
    assert.equal(me.body.mail, DEV_USERS.alice.upn);
    assert.equal(graph.accepted.length, 1);
    assert.equal(graph.accepted[0]!.claims.aud, GRAPH_RESOURCE);
    assert.equal(graph.accepted[0]!.claims.appid, KIT_CLIENT_ID);
    assert.equal(graph.accepted[0]!.claims.scp, "User.Read");
  });

  it("refuses the MCP client's own token (the kit's audience) with Graph's 401", async () => {
    const refused = await call(`${graph.graphBaseUrl}/me`, kitToken);
    assert.equal(refused.status, 401);
    assert.equal((refused.body.error as Record<string, unknown>).code, "InvalidAuthenticationToken");
    assert.match(String((refused.body.error as Record<string, unknown>).message), /Invalid audience/);
    assert.match(refused.headers.get("www-authenticate") ?? "", /^Bearer /);
    assert.equal(graph.accepted.length, 0);
    assert.equal(graph.rejected[0]?.claims?.aud, KIT_CLIENT_ID);
  });

  it("refuses a missing token, an expired one and one signed by an unknown key", async () => {
    assert.equal((await call(`${graph.graphBaseUrl}/me`)).status, 401);
    const expired = await entra.mintAccessToken({ audience: GRAPH_RESOURCE, clientId: KIT_CLIENT_ID, scopes: ["User.Read"], claims: { exp: Math.floor(Date.now() / 1000) - 10 } });
    assert.match(String(((await call(`${graph.graphBaseUrl}/me`, expired)).body.error as Record<string, unknown>).message), /expired/);
    const forged = await entra.mintAccessToken({ audience: GRAPH_RESOURCE, clientId: KIT_CLIENT_ID, scopes: ["User.Read"], signingKey: "unpublished" });
    assert.equal((await call(`${graph.graphBaseUrl}/me`, forged)).status, 401);
    const good = await entra.mintAccessToken({ audience: GRAPH_RESOURCE, clientId: KIT_CLIENT_ID, scopes: ["User.Read"] });
    assert.equal((await call(`${graph.graphBaseUrl}/me`, good)).status, 200, "the same token, well signed and current, passes");
  });

  it("refuses a tampered Graph token (the header nonce is part of the signature)", async () => {
    const [header, payload, signature] = graphToken.split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, oid: DEV_USERS.bob.oid })).toString("base64url")}.${signature}`;
    assert.equal((await call(`${graph.graphBaseUrl}/me`, tampered)).status, 401);
    const headerJson = JSON.parse(Buffer.from(header!, "base64url").toString("utf8")) as Record<string, unknown>;
    const renonced = `${Buffer.from(JSON.stringify({ ...headerJson, nonce: "other" })).toString("base64url")}.${payload}.${signature}`;
    assert.equal((await call(`${graph.graphBaseUrl}/me`, renonced)).status, 401);
  });

  it("requires a user-profile scope on /me, and a delegated token", async () => {
    const mailOnly = String((await oboAsKit(entra, kitToken, "https://graph.microsoft.com/Mail.Read")).body.access_token);
    const forbidden = await call(`${graph.graphBaseUrl}/me`, mailOnly);
    assert.equal(forbidden.status, 403);
    assert.equal((forbidden.body.error as Record<string, unknown>).code, "Authorization_RequestDenied");
    const appOnly = await postToken(entra.endpoints().token, {
      grant_type: "client_credentials",
      client_id: KIT_CLIENT_ID,
      client_secret: KIT_DEV_CLIENT_SECRET,
      scope: "https://graph.microsoft.com/.default",
    });
    assert.equal((await call(`${graph.graphBaseUrl}/me`, String(appOnly.body.access_token))).status, 400);
  });

  it("serves the custom API to tokens for its own audience and scope only", async () => {
    const orders = await call(graph.ordersUrl, ordersToken);
    assert.equal(orders.status, 200);
    assert.equal((orders.body.owner as Record<string, unknown>).oid, DEV_USERS.alice.oid);
    assert.equal(graph.accepted.at(-1)?.claims.aud, ORDERS_CLIENT_ID);
    assert.equal((await call(graph.ordersUrl, graphToken)).status, 401);
    assert.equal((await call(graph.ordersUrl, kitToken)).status, 401);
    const writeOnly = String((await oboAsKit(entra, kitToken, "api://contoso-orders/Orders.Write")).body.access_token);
    const forbidden = await call(graph.ordersUrl, writeOnly);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.headers.get("www-authenticate") ?? "", /insufficient_scope/);
  });

  it("can fail with 5xx or 429, be slow, or drop the connection", async () => {
    graph.fail({ kind: "server_error", status: 503, retryAfterSeconds: 2 }, { route: "me", times: 1 });
    const unavailable = await call(`${graph.graphBaseUrl}/me`, graphToken);
    assert.equal(unavailable.status, 503);
    assert.equal(unavailable.headers.get("retry-after"), "2");
    assert.equal((await call(graph.ordersUrl, ordersToken)).status, 200, "the other route is untouched");
    graph.fail({ kind: "throttled" }, { times: 1 });
    assert.equal((await call(`${graph.graphBaseUrl}/me`, graphToken)).status, 429);
    graph.fail({ kind: "delay", ms: 300 }, { times: 1 });
    const started = Date.now();
    assert.equal((await call(`${graph.graphBaseUrl}/me`, graphToken)).status, 200);
    assert.ok(Date.now() - started >= 290);
    graph.fail({ kind: "drop" }, { times: 1 });
    await assert.rejects(fetch(`${graph.graphBaseUrl}/me`, { headers: { Authorization: `Bearer ${graphToken}` } }), TypeError);
  });
});
