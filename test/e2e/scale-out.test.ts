/**
 * Scale-out: three host processes as `npm start` runs them, sharing nothing
 * but their settings (the same sealing keyring, the same shared OBO cache,
 * which also holds the facade's refresh-token ledger),
 * behind a round-robin proxy whose URL is PUBLIC_BASE_URL. Every request goes
 * to the next instance in turn, so the steps of a sign-in, a refresh and
 * consecutive tool calls are served by different processes; the proxy's
 * records say which one served what.
 */
import assert from "node:assert/strict";
import type { StoredOAuthClientInformation } from "@modelcontextprotocol/client";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startDemoMcpServer, type DemoMcpServer } from "../../dev/demo-mcp/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import type { Environment } from "../../lib/config.js";
import { generateKeyringJson } from "../../lib/oauth/sealing.js";
import { startAzurite } from "../support/azurite.js";
import type { ClientKind, ConnectedClient, ToolResult } from "../support/clients.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, proxyEnv, registerPublicClient, signInForTokens } from "../support/facade.js";
import { startHostProcess, type HostProcess } from "../support/host-process.js";
import { callTool } from "../support/mcp-calls.js";
import { connectWithOAuth, CookieJar, HeadlessOAuthProvider } from "../support/oauth.js";
import { startRedis } from "../support/redis.js";
import { SERVED_BY_HEADER, startRoundRobinProxy, type RoundRobinProxy, type ServedRequest } from "../support/round-robin-proxy.js";

const CLIENT_REDIRECT = "http://127.0.0.1:45678/callback";
const INSTANCES = ["instance-1", "instance-2", "instance-3"] as const;
const ALICE_OID = "a11ce000-0000-4000-8000-000000000001";
/** The refresh-token reuse grace window of every instance here. */
const GRACE_SECONDS = 2;
const BOB_OID = "b0b00000-0000-4000-8000-000000000002";

/** The facade's requests of one sign-in, in the order a client and its browser make them. */
const SIGN_IN_STEPS = [
  ["POST", "/register"],
  ["GET", "/authorize"],
  ["POST", "/consent"],
  ["GET", "/auth/callback"],
  ["POST", "/token"],
] as const;

/** SCALE_OUT_TRACE=1 prints which instance served what. */
function trace(label: string, text: string): void {
  if (process.env["SCALE_OUT_TRACE"] === "1") console.log(`--- ${label}\n${text}`);
}

function describeServed(records: readonly ServedRequest[]): string {
  return records
    .map((record) => {
      const skipped = record.skipped.length === 0 ? "" : ` (after ${record.skipped.join(", ")} refused)`;
      return `#${record.seq} ${record.method} ${record.path}${record.mcpMethod === undefined ? "" : ` (${record.mcpMethod})`} → ${record.instance} ${record.status}${skipped}`;
    })
    .join("\n");
}

/** The sign-in steps among `records`, each with the instance that served it; fails unless all five are there, in order. */
function signInSteps(records: readonly ServedRequest[]): ServedRequest[] {
  const steps: ServedRequest[] = [];
  for (const [method, path] of SIGN_IN_STEPS) {
    const from = steps.length === 0 ? 0 : records.indexOf(steps[steps.length - 1]!) + 1;
    const step = records.slice(from).find((record) => record.method === method && record.path === path);
    assert.ok(step !== undefined, `no ${method} ${path} in:\n${describeServed(records)}`);
    steps.push(step);
  }
  return steps;
}

/** Asserts that each record was served by another instance than the one before it. */
function assertEachOnAnotherInstance(records: readonly ServedRequest[], context: readonly ServedRequest[]): void {
  for (let index = 1; index < records.length; index++) {
    assert.notEqual(records[index]!.instance, records[index - 1]!.instance, `${records[index - 1]!.path} and ${records[index]!.path} were served by the same instance:\n${describeServed(context)}`);
  }
}

/** The tool calls among `records`: POSTs to /mcp other than the 2026 client's discovery. */
function toolCalls(records: readonly ServedRequest[]): ServedRequest[] {
  return records.filter((record) => record.method === "POST" && record.path === "/mcp" && (record.mcpMethod === undefined || record.mcpMethod === "tools/call"));
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

/** Repeats `attempt` until `instance` served it; round robin gets there within one turn of the rotation. */
async function untilServedBy<T extends { servedBy: string | null }>(instance: string, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 0; tries < INSTANCES.length; tries++) {
    const answer = await attempt();
    if (answer.servedBy === instance) return answer;
  }
  throw new Error(`${instance} served none of ${INSTANCES.length} requests in a row`);
}

function dcrProvider(baseUrl: URL, user: string, jar = new CookieJar()): HeadlessOAuthProvider {
  return new HeadlessOAuthProvider({
    redirectUrl: CLIENT_REDIRECT,
    clientMetadata: { client_name: "Scale-out client", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] },
    signIn: facadeBrowser({ baseUrl }, { user, jar }),
  });
}

interface Answer {
  readonly status: number;
  readonly servedBy: string | null;
  readonly body: string;
}

async function callToolRaw(mcpUrl: URL, token: string, name: string, args: Record<string, unknown> = {}): Promise<Answer & { result?: ToolResult }> {
  const { status, headers, body } = await callTool(mcpUrl, token, name, args);
  const answer = { status, servedBy: headers.get(SERVED_BY_HEADER), body };
  return status === 200 ? { ...answer, result: (JSON.parse(body) as { result: ToolResult }).result } : answer;
}

async function postForm(url: URL, fields: Record<string, string>): Promise<Answer & { json: Record<string, unknown> }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });
  const body = await response.text();
  return { status: response.status, servedBy: response.headers.get(SERVED_BY_HEADER), body, json: response.headers.get("content-type")?.includes("json") === true ? (JSON.parse(body) as Record<string, unknown>) : {} };
}

function tokenOid(accessToken: string): unknown {
  return (JSON.parse(Buffer.from(accessToken.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>)["oid"];
}

describe("scale-out: three host processes behind a round-robin proxy", function () {
  this.timeout(90_000);
  let standIn: EntraStandIn;
  let graph: FakeGraph;
  let demo: DemoMcpServer;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    graph = await startFakeGraph({ entra: standIn });
    demo = await startDemoMcpServer({ entra: standIn });
  });
  after(async () => {
    await demo?.close();
    await graph?.close();
    await standIn?.close();
  });

  for (const cache of ["redis", "table"] as const) {
    describe(`sharing the ${cache === "redis" ? "Redis" : "Azure Table (Azurite)"} OBO cache`, () => {
      let proxy: RoundRobinProxy;
      const hosts = new Map<string, HostProcess>();
      let stopStore: (() => Promise<void>) | undefined;
      let mcpUrl: URL;

      before(async () => {
        let cacheEnv: Environment;
        if (cache === "redis") {
          const redis = await startRedis();
          stopStore = () => redis.stop();
          cacheEnv = { OBO_CACHE: "redis", REDIS_URL: redis.url };
        } else {
          const azurite = await startAzurite();
          stopStore = () => azurite.stop();
          cacheEnv = { OBO_CACHE: "table", OBO_CACHE_CONNECTION_STRING: azurite.connectionString, OBO_CACHE_TABLE_NAME: "scaleout" };
        }
        proxy = await startRoundRobinProxy();
        mcpUrl = new URL("/mcp", proxy.url);
        // One configuration for every instance, as App Settings are for a scaled-out Function App.
        const env: Environment = {
          ...proxyEnv(standIn),
          ...cacheEnv,
          GRAPH_BASE_URL: graph.graphBaseUrl,
          ORDERS_API_URL: graph.ordersUrl,
          // The shipped tools/index.ts declares the demo server behind the gateway when this is set.
          DEMO_MCP_URL: demo.url.href,
          SEALING_KEYRING: generateKeyringJson("scale-out"),
          // Short enough for a test to wait out (replays), long enough for two parallel refreshes.
          OAUTH_REFRESH_REUSE_GRACE_SECONDS: String(GRACE_SECONDS),
          PUBLIC_BASE_URL: proxy.url.origin,
          MCP_ALLOWED_HOSTS: proxy.url.hostname,
        };
        const started = await Promise.allSettled(INSTANCES.map(() => startHostProcess({ env })));
        INSTANCES.forEach((name, index) => {
          const outcome = started[index]!;
          if (outcome.status === "fulfilled") hosts.set(name, outcome.value);
        });
        const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
        if (failed !== undefined) throw failed.reason;
        for (const [name, host] of hosts) proxy.add({ name, port: host.port });
      });
      after(async () => {
        await Promise.all([...hosts.values()].map((host) => host.stop("SIGTERM")));
        hosts.clear();
        await proxy?.close();
        await stopStore?.();
      });
      beforeEach(() => graph.reset());

      /** Runs `work` and returns the requests the proxy saw meanwhile. */
      async function watch<T>(work: () => Promise<T>): Promise<{ value: T; served: ServedRequest[] }> {
        const mark = proxy.served.length;
        const value = await work();
        return { value, served: proxy.served.slice(mark) };
      }

      async function signedInClient(kind: ClientKind, user: string): Promise<{ client: ConnectedClient; provider: HeadlessOAuthProvider; served: ServedRequest[] }> {
        const provider = dcrProvider(proxy.url, user);
        const { value: client, served } = await watch(() => connectWithOAuth(kind, mcpUrl, provider));
        return { client, provider, served };
      }

      for (const kind of ["v2-auto", "v1"] as const) {
        it(`lets the ${kind} client sign in with each facade step on another instance than the step before, call whoami and graph_me, refresh elsewhere and call again`, async () => {
          const { client, provider, served } = await signedInClient(kind, "alice");
          try {
            const steps = signInSteps(served);
            assertEachOnAnotherInstance(steps, served);
            assert.equal(new Set(steps.map((step) => step.instance)).size, 3, `the sign-in used all three instances:\n${describeServed(served)}`);

            const who = await watch(() => client.callTool("whoami", {}));
            assert.equal(who.value.structuredContent?.["name"], "Alice Example", JSON.stringify(who.value));
            assert.deepEqual(who.value.structuredContent?.["scopes"], ["mcp.access"]);
            assert.equal(provider.tokens()?.scope, "mcp.access", "scopes are reported in the short form");
            const me = await watch(() => client.callTool("graph_me", {}));
            assert.equal(me.value.isError, undefined, JSON.stringify(me.value));
            assert.equal(me.value.structuredContent?.["userPrincipalName"], "alice@contoso.example");
            assert.equal(graph.accepted.length, 1);
            assert.equal(graph.accepted[0]!.claims["aud"], "https://graph.microsoft.com", "Graph saw an OBO token, never the client's");
            const calls = [...toolCalls(who.served), ...toolCalls(me.served)];
            assert.equal(calls.length, 2, describeServed([...who.served, ...me.served]));
            assertEachOnAnotherInstance(calls, [...who.served, ...me.served]);

            const refreshesBefore = standIn.activity.counts().grants.refresh_token;
            provider.forgetAccessToken();
            const again = await watch(() => client.callTool("whoami", {}));
            assert.equal(again.value.structuredContent?.["oid"], ALICE_OID);
            assert.equal(standIn.activity.counts().grants.refresh_token - refreshesBefore, 1, "the client refreshed through the facade");
            const refresh = again.served.find((record) => record.method === "POST" && record.path === "/token");
            assert.ok(refresh !== undefined, describeServed(again.served));
            const issuedBy = steps[steps.length - 1]!.instance;
            assert.notEqual(refresh.instance, issuedBy, `the refresh token from ${issuedBy} was redeemed elsewhere:\n${describeServed([...served, ...again.served])}`);
            const retried = toolCalls(again.served).filter((record) => record.status === 200);
            assert.equal(retried.length, 1, describeServed(again.served));
            assert.notEqual(retried[0]!.instance, refresh.instance);
          } finally {
            await client.close();
          }
        });
      }

      after(() => trace(`every request (${cache})`, describeServed(proxy.served)));

      it("makes one OBO request for graph_me calls spread over the three instances", async () => {
        const token = await standIn.mintAccessToken({ user: "bob", claims: { uti: `scale-out-${cache}` } });
        const before = standIn.activity.counts().obo;
        const answers: Answer[] = [];
        for (let call = 0; call < 6; call++) {
          const answer = await callToolRaw(mcpUrl, token, "graph_me");
          assert.equal(answer.result?.structuredContent?.["id"], BOB_OID, answer.body);
          answers.push(answer);
        }
        assert.deepEqual(new Set(answers.map((answer) => answer.servedBy)), new Set(INSTANCES));
        assert.equal(standIn.activity.counts().obo - before, 1, "the first instance's OBO result reached the others through the shared cache");
        assert.equal(graph.accepted.length, 6);
      });

      // Refresh tokens across instances: the ledger lives in the shared store. These run while all three instances are up.
      async function signedIn(user: string): Promise<{ clientId: string; refreshToken: string }> {
        const clientId = await registerPublicClient({ baseUrl: proxy.url }, CLIENT_REDIRECT, "Rotation across instances");
        const tokens = await signInForTokens({ baseUrl: proxy.url }, clientId, CLIENT_REDIRECT, user);
        return { clientId, refreshToken: String(tokens["refresh_token"]) };
      }
      const refresh = (clientId: string, refreshToken: string): ReturnType<typeof postForm> =>
        postForm(new URL("/token", proxy.url), { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });

      it("revokes a sign-in on one instance, and the other two refuse its refresh tokens", async () => {
        const { clientId, refreshToken } = await signedIn("alice");
        const rotated = await refresh(clientId, refreshToken);
        assert.equal(rotated.status, 200, rotated.body);
        const current = String(rotated.json["refresh_token"]);
        const revoked = await postForm(new URL("/revoke", proxy.url), { token: current, client_id: clientId });
        assert.equal(revoked.status, 200, revoked.body);
        const refusals = [await refresh(clientId, current), await refresh(clientId, current)];
        for (const refusal of refusals) {
          assert.equal(refusal.status, 400, refusal.body);
          assert.equal(refusal.json["error"], "invalid_grant");
        }
        const refusedBy = new Set(refusals.map((refusal) => refusal.servedBy));
        assert.equal(refusedBy.size, 2, `two other instances refused: ${[...refusedBy].join(", ")}`);
        assert.ok(!refusedBy.has(revoked.servedBy), `${revoked.servedBy} revoked; the others refused`);
      });

      it("catches a refresh token replayed on another instance than the one that rotated it, and revokes its family on the third", async () => {
        const { clientId, refreshToken } = await signedIn("bob");
        const rotated = await refresh(clientId, refreshToken);
        assert.equal(rotated.status, 200, rotated.body);
        await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 1000 + 500));
        const replay = await refresh(clientId, refreshToken);
        assert.equal(replay.json["error"], "invalid_grant", replay.body);
        assert.match(String(replay.json["error_description"]), /already used/);
        assert.notEqual(replay.servedBy, rotated.servedBy);
        const successor = await refresh(clientId, String(rotated.json["refresh_token"]));
        assert.equal(successor.json["error"], "invalid_grant", successor.body);
        assert.ok(![rotated.servedBy, replay.servedBy].includes(successor.servedBy), describeServed(proxy.served.slice(-3)));
      });

      it("gives two parallel refreshes with one token on two instances the same answer, from one refresh at Entra", async () => {
        const { clientId, refreshToken } = await signedIn("alice");
        const before = standIn.activity.counts().grants.refresh_token;
        const [a, b] = await Promise.all([refresh(clientId, refreshToken), refresh(clientId, refreshToken)]);
        assert.equal(a.status, 200, a.body);
        assert.equal(b.status, 200, b.body);
        assert.notEqual(a.servedBy, b.servedBy);
        assert.equal(a.json["refresh_token"], b.json["refresh_token"]);
        assert.equal(a.json["access_token"], b.json["access_token"]);
        assert.equal(standIn.activity.counts().grants.refresh_token - before, 1, "the second instance waited for the first one's answer");
        assert.equal((await refresh(clientId, String(a.json["refresh_token"]))).status, 200, "the one next token works");
      });

      it("calls a proxied tool (demo_whoami) on every instance with one OBO request for the demo server, shared through the cache", async () => {
        const token = await standIn.mintAccessToken({ user: "alice", claims: { uti: `scale-out-gateway-${cache}` } });
        const before = standIn.activity.counts().obo;
        const seenBefore = demo.seenFor("tools/call").length;
        const answers: Answer[] = [];
        for (let call = 0; call < 6; call++) {
          const answer = await callToolRaw(mcpUrl, token, "demo_whoami");
          assert.equal(answer.result?.isError, undefined, answer.body);
          assert.equal(answer.result?.structuredContent?.["oid"], ALICE_OID, answer.body);
          answers.push(answer);
        }
        assert.deepEqual(new Set(answers.map((answer) => answer.servedBy)), new Set(INSTANCES));
        assert.equal(standIn.activity.counts().obo - before, 1, "the demo server's OBO token reached the other instances through the shared cache");
        const calls = demo.seenFor("tools/call").slice(seenBefore);
        assert.equal(calls.length, 6);
        assert.ok(calls.every((seen) => seen.aud === "de30de30-0000-4000-8000-0000000000d3" && seen.oid === ALICE_OID));
      });

      it("loses only the in-flight requests of an instance killed mid-run; its registrations and refresh tokens keep working on the other two", async () => {
        const victim = "instance-2";
        const survivors = INSTANCES.filter((name) => name !== victim);

        // What the victim hands out before it dies: a client registration and a refresh token.
        const registeredByVictim = await untilServedBy(victim, async () => {
          const response = await fetch(new URL("/register", proxy.url), {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ client_name: "Registered on the victim", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] }),
          });
          return { status: response.status, servedBy: response.headers.get(SERVED_BY_HEADER), body: await response.text() };
        });
        assert.equal(registeredByVictim.status, 201, registeredByVictim.body);
        const { client: first, provider } = await signedInClient("v2-auto", "alice");
        await first.close();
        const clientId = provider.clientInformation()!.client_id;
        let refreshToken = provider.tokens()!.refresh_token!;
        const refreshedByVictim = await untilServedBy(victim, async () => {
          const answer = await postForm(new URL("/token", proxy.url), { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId });
          assert.equal(answer.status, 200, answer.body);
          refreshToken = String(answer.json["refresh_token"]);
          return answer;
        });
        const victimRefreshToken = String(refreshedByVictim.json["refresh_token"]);
        const accessToken = String(refreshedByVictim.json["access_token"]);

        // Six callers keep calling tools while the victim is killed.
        interface Call {
          readonly startedAt: number;
          readonly tool: string;
          readonly status: number;
          readonly servedBy: string | null;
          readonly ok: boolean;
          readonly detail: string;
        }
        const calls: Call[] = [];
        let running = true;
        const tools = ["whoami", "graph_me", "echo"] as const;
        const callers = Array.from({ length: 6 }, async (_, caller) => {
          for (let turn = 0; running; turn++) {
            const tool = tools[(caller + turn) % tools.length]!;
            const startedAt = Date.now();
            try {
              const answer = await callToolRaw(mcpUrl, accessToken, tool, tool === "echo" ? { message: `caller-${caller}-${turn}` } : {});
              const content = answer.result?.structuredContent;
              const ok =
                answer.status === 200 &&
                answer.result?.isError !== true &&
                (tool === "whoami" ? content?.["oid"] === ALICE_OID : tool === "graph_me" ? content?.["id"] === ALICE_OID : JSON.stringify(answer.result).includes(`caller-${caller}-${turn}`));
              calls.push({ startedAt, tool, status: answer.status, servedBy: answer.servedBy, ok, detail: answer.body.slice(0, 200) });
            } catch (error) {
              calls.push({ startedAt, tool, status: 0, servedBy: null, ok: false, detail: String(error) });
            }
          }
        });
        await new Promise((resolve) => setTimeout(resolve, 400));
        const killedAt = Date.now();
        const exitedAt = await hosts.get(victim)!.stop("SIGKILL");
        await new Promise((resolve) => setTimeout(resolve, 600));
        running = false;
        await Promise.all(callers);

        const failed = calls.filter((call) => !call.ok);
        trace(
          `kill ${victim} (${cache})`,
          [
            `calls ${calls.length}, failed ${failed.length}: ${JSON.stringify(failed.map(({ status, servedBy, tool }) => ({ status, servedBy, tool })))}`,
            `before the kill by instance: ${JSON.stringify(countBy(calls.filter((call) => call.startedAt < killedAt), (call) => call.servedBy ?? "none"))}`,
            `after the exit by instance: ${JSON.stringify(countBy(calls.filter((call) => call.startedAt > exitedAt), (call) => call.servedBy ?? "none"))}`,
            `exit ${exitedAt - killedAt} ms after SIGKILL`,
          ].join("\n"),
        );
        for (const call of failed) {
          assert.equal(call.status, 502, `only the proxy's 502 for a request in flight at the victim may fail: ${JSON.stringify(call)}`);
          assert.equal(call.servedBy, victim, JSON.stringify(call));
          assert.ok(call.startedAt <= exitedAt, `the request started before the victim was gone: ${JSON.stringify(call)}`);
        }
        assert.ok(failed.length <= 6, `at most one request per caller was in flight: ${failed.length}`);
        const before = calls.filter((call) => call.startedAt < killedAt && call.ok);
        const after = calls.filter((call) => call.startedAt > exitedAt);
        assert.ok(before.some((call) => call.servedBy === victim), "the victim served calls before it was killed");
        assert.ok(after.length >= 10, `calls went on after the kill: ${after.length}`);
        assert.ok(after.every((call) => call.ok && survivors.includes(call.servedBy as (typeof survivors)[number])), JSON.stringify(after.filter((call) => !call.ok)));
        assert.ok(proxy.down.has(victim), "the proxy took the dead instance out of rotation");

        // The refresh token sealed by the dead instance still refreshes, and its access token still works.
        const refreshed = await postForm(new URL("/token", proxy.url), { grant_type: "refresh_token", refresh_token: victimRefreshToken, client_id: clientId });
        assert.equal(refreshed.status, 200, refreshed.body);
        assert.ok(survivors.includes(refreshed.servedBy as (typeof survivors)[number]));
        assert.equal(tokenOid(String(refreshed.json["access_token"])), ALICE_OID);
        assert.equal((await callToolRaw(mcpUrl, String(refreshed.json["access_token"]), "whoami")).result?.structuredContent?.["oid"], ALICE_OID);

        // A client the dead instance registered signs in, calls, refreshes and calls again through the other two.
        const mark = proxy.served.length;
        // Stamped with the facade's issuer, as the SDK stamps what it registered itself.
        const registration: StoredOAuthClientInformation = { ...(JSON.parse(registeredByVictim.body) as StoredOAuthClientInformation), issuer: proxy.url.origin };
        const later = new HeadlessOAuthProvider({
          redirectUrl: CLIENT_REDIRECT,
          clientInformation: registration,
          clientMetadata: { client_name: "Registered on the victim", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none" },
          signIn: facadeBrowser({ baseUrl: proxy.url }, { user: "bob" }),
        });
        const client = await connectWithOAuth("v2-auto", mcpUrl, later);
        try {
          assert.equal(later.clientInformation()?.client_id, registration.client_id, "no new registration was needed");
          assert.equal((await client.callTool("graph_me", {})).structuredContent?.["id"], BOB_OID);
          later.forgetAccessToken();
          assert.equal((await client.callTool("whoami", {})).structuredContent?.["oid"], BOB_OID);
        } finally {
          await client.close();
        }
        const afterKill = proxy.served.slice(mark);
        trace(`after the kill (${cache})`, `refresh with the victim's refresh token → ${refreshed.servedBy}\n${describeServed(afterKill)}`);
        assert.ok(afterKill.some((record) => record.path === "/token"), describeServed(afterKill));
        assert.ok(
          afterKill.every((record) => record.status !== 0 && record.status < 500 && survivors.includes(record.instance as (typeof survivors)[number])),
          describeServed(afterKill),
        );
      });
    });
  }
});
