/**
 * Tools calling downstream APIs as the signed-in user: On-Behalf-Of through
 * the kit against the Entra stand-in, the fake Graph and the fake orders API.
 */
import assert from "node:assert/strict";
import { generate } from "selfsigned";
import { DEV_APPLICATIONS, FIC_IDENTITY, KIT_APP, KIT_CLIENT_ID, KIT_DEV_CLIENT_SECRET, ORDERS_IDENTIFIER_URI } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { defineTool, msal, obo } from "../../lib/mcp/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { startManagedIdentityEndpoint, type ManagedIdentityEndpoint } from "../../dev/managed-identity/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, proxyEnv, startProxyKit } from "../support/facade.js";
import { startHostProcess, type HostProcess } from "../support/host-process.js";
import { EVERY_EXAMPLE, pointToolsAt, startKit, unpointTools, type RunningKit } from "../support/kit.js";
import { callTool, legacyToolCall } from "../support/mcp-calls.js";
import { connectWithOAuth, HeadlessOAuthProvider } from "../support/oauth.js";
import { startRedis, type RunningRedis } from "../support/redis.js";
import { pool } from "../support/pool.js";

describe("On-Behalf-Of: tools call downstream APIs as the user", function () {
  this.timeout(120_000);
  let standIn: EntraStandIn;
  let graph: FakeGraph;
  let kit: RunningKit;

  const downstreamEnv = (): Record<string, string> => ({ GRAPH_BASE_URL: graph.graphBaseUrl, ORDERS_API_URL: graph.ordersUrl });

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    graph = await startFakeGraph({ entra: standIn });
    pointToolsAt(graph);
    kit = await startProxyKit(standIn, { server: EVERY_EXAMPLE });
  });
  after(async () => {
    unpointTools();
    await kit?.close();
    await graph?.close();
    await standIn?.close();
  });
  beforeEach(() => {
    standIn.clearFaults();
    graph.reset();
  });

  it("signs in through the facade and returns the user's Graph profile, the API seeing only an OBO token", async () => {
    const provider = new HeadlessOAuthProvider({
      redirectUrl: "http://127.0.0.1:45678/callback",
      clientMetadata: { client_name: "OBO e2e", redirect_uris: ["http://127.0.0.1:45678/callback"], token_endpoint_auth_method: "none" },
      signIn: facadeBrowser(kit, { user: "alice" }),
    });
    const client = await connectWithOAuth("v2-auto", kit.mcpUrl, provider);
    try {
      const result = await client.callTool("graph_me", {});
      assert.equal(result.isError, undefined, JSON.stringify(result));
      assert.equal(result.structuredContent?.["displayName"], "Alice Example");
      assert.equal(result.structuredContent?.["userPrincipalName"], "alice@contoso.example");
    } finally {
      await client.close();
    }
    assert.equal(graph.accepted.length, 1);
    const seen = graph.accepted[0]!.claims;
    assert.equal(seen["aud"], "https://graph.microsoft.com");
    assert.equal(seen["oid"], "a11ce000-0000-4000-8000-000000000001");
    assert.match(String(seen["scp"]), /User\.Read/);
    assert.notEqual(seen["aud"], KIT_CLIENT_ID, "the MCP client's token never reached the downstream API");
    assert.equal(graph.rejected.length, 0);
  });

  it("calls a custom downstream API with its own scope", async () => {
    const token = await standIn.mintAccessToken({ user: "bob" });
    const answer = await callTool(kit.mcpUrl, token, "list_orders", { top: 5 });
    assert.equal(answer.isError, false, answer.text);
    assert.equal((answer.structured?.["orders"] as unknown[]).length, 2);
    const seen = graph.accepted[0]!.claims;
    assert.ok([ORDERS_IDENTIFIER_URI, "0de75000-0000-4000-8000-0000000000de"].includes(String(seen["aud"])), String(seen["aud"]));
    assert.equal(seen["scp"], "Orders.Read");
    assert.equal(seen["oid"], "b0b00000-0000-4000-8000-000000000002");
  });

  it("makes exactly one OBO request per user for 1,000 calls by 50 users", async () => {
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, index) => standIn.mintAccessToken({ user: index % 2 === 0 ? "alice" : "bob", claims: { uti: `user-${index}` } })));
    const before = standIn.activity.counts().obo;
    const answers = await pool(1000, 25, (index) => callTool(kit.mcpUrl, tokens[index % 50]!, "graph_me"));
    assert.equal(answers.filter((answer) => answer.isError).length, 0, answers.find((answer) => answer.isError)?.text);
    assert.equal(standIn.activity.counts().obo - before, 50);
  });

  it("never hands one user's token to another under parallel calls", async () => {
    const alice = await standIn.mintAccessToken({ user: "alice" });
    const bob = await standIn.mintAccessToken({ user: "bob" });
    const answers = await pool(200, 20, async (index) => ({ who: index % 2 === 0 ? "Alice Example" : "Bob Example", answer: await callTool(kit.mcpUrl, index % 2 === 0 ? alice : bob, "graph_me") }));
    for (const { who, answer } of answers) assert.equal(answer.structured?.["displayName"], who);
    for (const call of graph.accepted) {
      assert.ok(["a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"].includes(String(call.claims["oid"])));
    }
  });

  describe("Entra failures become answers a user can act on, never AADSTS text", () => {
    // Consent and Conditional Access are step-ups (403, the client re-authorizes: test/e2e/step-up.test.ts), whose
    // description says the same; throttling is a tool error.
    const cases: Array<[string, Parameters<EntraStandIn["fail"]>[0], number, RegExp]> = [
      ["consent required", "consent_required", 403, /not consented[\s\S]*adminconsent\?client_id=/],
      ["MFA required (Conditional Access)", { kind: "mfa_required", code: 50079 }, 403, /sign in again[\s\S]*extra check/],
      ["long throttling", { kind: "throttled", retryAfterSeconds: 30 }, 200, /try again in 30 seconds/],
    ];
    for (const [label, fault, status, expected] of cases) {
      it(label, async () => {
        standIn.fail(fault, { grantType: "obo" });
        const answer = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: `fault-${label}` } }), "graph_me");
        assert.equal(answer.status, status, answer.body);
        assert.equal(answer.isError, true);
        assert.match(answer.text, expected);
        assert.doesNotMatch(answer.text + (answer.headers.get("www-authenticate") ?? ""), /AADSTS|Trace ID|Correlation ID/);
      });
    }

    it("any other Entra refusal (here AADSTS500011, an API unknown in the tenant): a generic message, the details only in the log", async () => {
      const unknownApi = defineTool({
        name: "unknown_api",
        description: "Asks for a token for an API the tenant does not have",
        input: {},
        needs: { api: obo(["api://00000000-0000-4000-8000-00000000dead/Thing.Read"]) },
        async run() {
          return "unreachable";
        },
      });
      const other = await startProxyKit(standIn, { server: { name: "unknown-api", version: "1", tools: [unknownApi] } });
      try {
        const answer = await callTool(other.mcpUrl, await standIn.mintAccessToken({ user: "alice" }), "unknown_api");
        assert.equal(answer.isError, true);
        assert.match(answer.text, /exchange for a api:\/\/00000000-0000-4000-8000-00000000dead token failed; contact the server's operator/);
        assert.doesNotMatch(answer.text, /AADSTS|Trace ID|Correlation ID|500011/);
        assert.match(other.logs.text(), /obo\.failed[\s\S]*AADSTS500011/, "the operator finds the code in the log");
      } finally {
        await other.close();
      }
    });

    it("an expired or revoked sign-in: 401 invalid_token, so the client refreshes and retries, for both protocol eras", async () => {
      standIn.fail("invalid_grant", { grantType: "obo" });
      const answer = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "revoked-sign-in" } }), "graph_me");
      assert.equal(answer.status, 401, answer.body);
      const challenge = answer.headers.get("www-authenticate") ?? "";
      assert.match(challenge, /^Bearer error="invalid_token"/);
      assert.match(challenge, /resource_metadata="/);
      assert.match(challenge, /Sign in to this server again/);
      assert.doesNotMatch(answer.body + challenge, /AADSTS|Trace ID|Correlation ID/);

      // A 2025-11-25 client (initialize, then tools/call on the legacy path) gets the same 401.
      const legacy = await legacyToolCall(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "revoked-legacy" } }), "graph_me");
      assert.equal(legacy.status, 401, legacy.body);
      assert.match(legacy.challenge ?? "", /error="invalid_token"/);
      // And when it asks for progress, so that the answer would be an event stream.
      const streamed = await legacyToolCall(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "revoked-legacy-sse" } }), "graph_me", { progressToken: 7 });
      assert.equal(streamed.status, 401, streamed.body);
      assert.match(streamed.challenge ?? "", /error="invalid_token"/);

      standIn.clearFaults();
      const fresh = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "after-refresh" } }), "graph_me");
      assert.equal(fresh.isError, false, fresh.text);
    });

    it("retries a short throttle once and succeeds", async () => {
      standIn.fail({ kind: "throttled", retryAfterSeconds: 1 }, { grantType: "obo", times: 1 });
      const before = standIn.activity.counts().obo;
      const answer = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "short-throttle" } }), "graph_me");
      assert.equal(answer.isError, false, answer.text);
      assert.equal(standIn.activity.counts().obo - before, 2);
    });

    it("retries Entra 5xx a bounded number of times, then says Entra is unreachable", async () => {
      standIn.fail({ kind: "server_error", status: 503 }, { grantType: "obo" });
      const before = standIn.activity.counts().obo;
      const answer = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "outage" } }), "graph_me");
      assert.equal(answer.isError, true);
      assert.match(answer.text, /could not be reached/);
      assert.equal(standIn.activity.counts().obo - before, 3);
    });
  });

  it("gives a clear tool error, not a stack trace, when the downstream API fails", async () => {
    graph.fail({ kind: "server_error" }, { route: "me", times: 1 });
    const answer = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "bob", claims: { uti: "graph-down" } }), "graph_me");
    assert.equal(answer.isError, true);
    assert.match(answer.text, /Microsoft Graph answered 500/);
  });

  it("never logs a token, a client secret or an assertion", () => {
    const text = kit.logs.text();
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}/);
    assert.ok(!text.includes(KIT_DEV_CLIENT_SECRET));
  });

  it("gives msal() tools one shared MSAL client, created on first use, configured with the kit's credential and authority", async () => {
    const clients: unknown[] = [];
    const appToken = defineTool({
      name: "app_token",
      description: "Gets an app-only token for the orders API with the shared MSAL client",
      input: {},
      needs: { client: msal() },
      async run(_args, { client }) {
        clients.push(client);
        const result = await client.acquireTokenByClientCredential({ scopes: [`${ORDERS_IDENTIFIER_URI}/.default`] });
        return result?.accessToken.split(".").length === 3 ? "app token" : "no token";
      },
    });
    const msalKit = await startProxyKit(standIn, { server: { name: "msal", version: "1", tools: [appToken] } });
    try {
      const before = standIn.activity.records({ grantType: "client_credentials" }).length;
      for (const user of ["alice", "bob"]) {
        const answer = await callTool(msalKit.mcpUrl, await standIn.mintAccessToken({ user }), "app_token");
        assert.equal(answer.isError, false, answer.text);
        assert.match(answer.text, /app token/);
      }
      assert.equal(clients.length, 2);
      assert.equal(clients[0], clients[1], "one client per process");
      const requests = standIn.activity.records({ grantType: "client_credentials" }).slice(before);
      assert.equal(requests.length, 1, "the second call is served from MSAL's cache");
      assert.equal(requests[0]!.clientId, KIT_CLIENT_ID);
      assert.equal(requests[0]!.clientAuth, "client_secret_post");
    } finally {
      await msalKit.close();
    }
  });

  it("authenticates with a certificate (APP_CREDENTIAL=certificate, the PEM as a secret): no client secret anywhere", async () => {
    const pems = await generate([{ name: "commonName", value: "kit app certificate" }], { keyType: "rsa", keySize: 2048, algorithm: "sha256" });
    const withCert = await startDefaultStandIn({ applications: DEV_APPLICATIONS.map((app) => (app.clientId === KIT_CLIENT_ID ? { ...KIT_APP, certificates: [pems.cert] } : app)) });
    const certGraph = await startFakeGraph({ entra: withCert });
    const graphUrl = process.env["GRAPH_BASE_URL"];
    process.env["GRAPH_BASE_URL"] = certGraph.graphBaseUrl;
    const { ENTRA_CLIENT_SECRET: _secret, ...withoutSecret } = proxyEnv(withCert);
    const certKit = await startKit({ env: { ...withoutSecret, APP_CREDENTIAL: "certificate", ENTRA_APP_CERTIFICATE: `${pems.private}\n${pems.cert}` } });
    try {
      const answer = await callTool(certKit.mcpUrl, await withCert.mintAccessToken({ user: "alice" }), "graph_me");
      assert.equal(answer.isError, false, answer.text);
      assert.equal(answer.structured?.["displayName"], "Alice Example");
      const exchanges = withCert.activity.records({ grantType: "obo" });
      assert.equal(exchanges.length, 1);
      assert.equal(exchanges[0]!.clientAuth, "certificate");
      assert.ok(!certKit.logs.text().includes(pems.private.split("\n")[1]!), "no key material in the log");
    } finally {
      if (graphUrl === undefined) delete process.env["GRAPH_BASE_URL"];
      else process.env["GRAPH_BASE_URL"] = graphUrl;
      await certKit.close();
      await certGraph.close();
      await withCert.close();
    }
  });

  describe("across processes", () => {
    let redis: RunningRedis;
    const hosts: HostProcess[] = [];
    before(async () => {
      redis = await startRedis();
    });
    after(async () => {
      await Promise.all(hosts.map((host) => host.stop()));
      await redis?.stop();
    });

    async function hostProcess(env: Record<string, string>): Promise<string> {
      const host = await startHostProcess({ env });
      hosts.push(host);
      return new URL("/mcp", host.baseUrl).href;
    }

    it("lets a second host process sharing the Redis cache make no OBO request", async () => {
      const env = { ...proxyEnv(standIn), ...downstreamEnv(), OBO_CACHE: "redis", REDIS_URL: redis.url } as Record<string, string>;
      const first = await hostProcess(env);
      const second = await hostProcess(env);
      const tokens = await Promise.all(Array.from({ length: 10 }, (_, index) => standIn.mintAccessToken({ user: "alice", claims: { uti: `shared-${index}` } })));
      const before = standIn.activity.counts().obo;
      for (const token of tokens) assert.equal((await callTool(first, token, "graph_me")).isError, false);
      assert.equal(standIn.activity.counts().obo - before, 10);
      for (const token of tokens) assert.equal((await callTool(second, token, "graph_me")).structured?.["displayName"], "Alice Example");
      assert.equal(standIn.activity.counts().obo - before, 10, "the second process reused every token");
    });

    it("authenticates with the managed identity federated credential: three exchanges, one identity request, no secret", async () => {
      const identity: ManagedIdentityEndpoint = await startManagedIdentityEndpoint({ entra: standIn });
      try {
        const env = {
          ...proxyEnv(standIn),
          ...downstreamEnv(),
          ...identity.env(),
          APP_CREDENTIAL: "managed-identity",
          FIC_IDENTITY_CLIENT_ID: FIC_IDENTITY.clientId,
          ENTRA_CLIENT_SECRET: "",
        } as Record<string, string>;
        const host = await hostProcess(env);
        const before = standIn.activity.counts().obo;
        for (const user of ["alice", "bob", "alice"]) {
          const answer = await callTool(host, await standIn.mintAccessToken({ user, claims: { uti: `mi-${Math.random()}` } }), "graph_me");
          assert.equal(answer.isError, false, answer.text);
        }
        assert.equal(standIn.activity.counts().obo - before, 3);
        assert.equal(identity.tokenCount, 1);
        const federated = standIn.activity.records({ grantType: "obo" }).slice(-3);
        for (const record of federated) assert.equal(record.clientAuth, "federated");
      } finally {
        await identity.close();
      }
    });
  });
});
