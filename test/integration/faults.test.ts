/**
 * The kit under dependency outages, end to end through the local host with
 * real clients: Entra down (cached signing keys keep validating, sign-in and
 * On-Behalf-Of fail cleanly and recover without a restart), Key Vault down
 * (the last good keyring and client secret keep serving), the shared OBO
 * cache down (memory only, one warning), a downstream API failing or slow
 * (a tool error within the tool's deadline). No answer is a 500 or shows a
 * stack trace, and every failure leaves one structured warning in the log.
 */
import assert from "node:assert/strict";
import { GRAPH_USER_READ, KIT_DEV_CLIENT_SECRET } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { startFakeKeyVault, type FakeKeyVault } from "../../dev/key-vault/index.js";
import { createLogger } from "../../lib/log.js";
import { defineTool, ToolError, type AnyTool } from "../../lib/mcp/index.js";
import { obo } from "../../lib/obo/need.js";
import { newPkcePair } from "../../lib/oauth/pkce.js";
import { generateKeyringJson } from "../../lib/oauth/sealing.js";
import { keyVaultSecrets } from "../../lib/secrets/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, proxyEnv, startProxyKit } from "../support/facade.js";
import { freePort, startKit, type RunningKit } from "../support/kit.js";
import { LogCapture, type CapturedLine } from "../support/log-capture.js";
import { callTool, showsStackTrace } from "../support/mcp-calls.js";
import { connectWithOAuth, HeadlessOAuthProvider } from "../support/oauth.js";
import { startRedis, type RunningRedis } from "../support/redis.js";
import { serverInfo, tools } from "../../tools/index.js";

const REDIRECT = "http://127.0.0.1:45679/callback";

/** A log line parsed: the event and its fields. */
interface Event {
  readonly level: string;
  readonly event: string;
  readonly fields: Record<string, unknown>;
}

/** The structured lines (JSON with an event name) among `lines`. */
function events(lines: readonly CapturedLine[]): Event[] {
  const parsed: Event[] = [];
  for (const line of lines) {
    try {
      const { event, ...fields } = JSON.parse(line.text) as { event?: unknown };
      if (typeof event === "string") parsed.push({ level: line.level, event, fields });
    } catch {
      // The host's access log lines are plain text.
    }
  }
  return parsed;
}

/** The warnings and errors logged since `mark` (a line count). */
function problemsSince(logs: LogCapture, mark: number): Event[] {
  return events(logs.lines.slice(mark)).filter((line) => line.level === "warn" || line.level === "warning" || line.level === "error");
}

function provider(kit: RunningKit, user: string): HeadlessOAuthProvider {
  return new HeadlessOAuthProvider({
    redirectUrl: REDIRECT,
    clientMetadata: { client_name: "Faults test", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" },
    signIn: facadeBrowser(kit, { user }),
  });
}

async function refresh(kit: RunningKit, signedIn: HeadlessOAuthProvider): Promise<{ status: number; headers: Headers; body: Record<string, unknown>; text: string }> {
  const response = await fetch(new URL("/token", kit.baseUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: signedIn.tokens()!.refresh_token!, client_id: signedIn.clientInformation()!.client_id }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown>, text };
}

describe("dependency outages", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let graph: FakeGraph;
  /** Every kit of the suite: the last hook checks that none answered a 500. */
  const kits: RunningKit[] = [];

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    graph = await startFakeGraph({ entra: standIn });
    process.env["GRAPH_BASE_URL"] = graph.graphBaseUrl;
    process.env["ORDERS_API_URL"] = graph.ordersUrl;
  });
  after(async () => {
    delete process.env["GRAPH_BASE_URL"];
    delete process.env["ORDERS_API_URL"];
    for (const kit of kits) await kit.close();
    await graph?.close();
    await standIn?.close();
  });
  afterEach(() => {
    standIn.clearFaults();
    graph.clearFaults();
    graph.reset();
  });

  after(() => {
    for (const kit of kits) {
      assert.deepEqual(kit.logs.matching("request.failed"), [], "no request ended in a 500");
      assert.ok(!kit.logs.lines.some((line) => line.level === "host" && / 500 \d/.test(line.text)), kit.logs.matching(" 500 ").map((line) => line.text).join("\n"));
    }
  });

  describe("Entra unreachable", () => {
    let kit: RunningKit;
    let signedIn: HeadlessOAuthProvider;

    before(async () => {
      kit = await startProxyKit(standIn, { env: { SEALING_KEYRING: generateKeyringJson("faults") } });
      kits.push(kit);
      signedIn = provider(kit, "alice");
      const client = await connectWithOAuth("v2-auto", kit.mcpUrl, signedIn);
      assert.equal((await client.callTool("graph_me", {})).isError, undefined);
      await client.close();
    });
    afterEach(async () => {
      if (!standIn.listening) await standIn.start();
    });

    it("keeps validating tokens with the cached signing keys, and serves cached On-Behalf-Of tokens", async () => {
      await standIn.stop();
      const token = signedIn.tokens()!.access_token;
      const whoami = await callTool(kit.mcpUrl, token, "whoami");
      assert.equal(whoami.isError, false, whoami.text);
      const profile = await callTool(kit.mcpUrl, token, "graph_me");
      assert.equal(profile.isError, false, profile.text);
      assert.equal(profile.structured?.["displayName"], "Alice Example");
    });

    it("answers a refresh with 503 temporarily_unavailable and Retry-After, logging the cause once, and refreshes again once Entra is back", async () => {
      await standIn.stop();
      const mark = kit.logs.lines.length;
      const refused = await refresh(kit, signedIn);
      assert.equal(refused.status, 503, refused.text);
      assert.equal(refused.body["error"], "temporarily_unavailable");
      assert.ok(Number(refused.headers.get("retry-after")) > 0);
      assert.equal(refused.headers.get("cache-control"), "no-store");
      assert.doesNotMatch(refused.text, /AADSTS|ECONNREFUSED|localhost/);
      const problems = problemsSince(kit.logs, mark);
      assert.deepEqual(problems.map((line) => line.event), ["entra.token_request_failed"], kit.logs.text());
      assert.match(String(problems[0]!.fields["cause"]), /ECONNREFUSED/);

      await standIn.start();
      const renewed = await refresh(kit, signedIn);
      assert.equal(renewed.status, 200, renewed.text);
      assert.equal(typeof renewed.body["access_token"], "string");
    });

    it("answers a code redemption with 503 temporarily_unavailable while Entra is down, and redeems the same code once it is back", async () => {
      const clientId = signedIn.clientInformation()!.client_id;
      const pkce = newPkcePair();
      const authorize = new URL("/authorize", kit.baseUrl);
      authorize.search = new URLSearchParams({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce.challenge, code_challenge_method: "S256" }).toString();
      const code = (await facadeBrowser(kit, { user: "alice" })(authorize)).searchParams.get("code")!;
      const redeem = (): Promise<Response> =>
        fetch(new URL("/token", kit.baseUrl), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "authorization_code", code, code_verifier: pkce.verifier, client_id: clientId, redirect_uri: REDIRECT }),
        });
      await standIn.stop();
      const refused = await redeem();
      const text = await refused.text();
      assert.equal(refused.status, 503, text);
      assert.equal((JSON.parse(text) as Record<string, unknown>)["error"], "temporarily_unavailable");
      assert.ok(Number(refused.headers.get("retry-after")) > 0);
      assert.doesNotMatch(text, /AADSTS|ECONNREFUSED|localhost/);
      await standIn.start();
      const redeemed = await redeem();
      assert.equal(redeemed.status, 200, await redeemed.clone().text());
      assert.equal(typeof ((await redeemed.json()) as Record<string, unknown>)["access_token"], "string");
    });

    it("turns an On-Behalf-Of exchange into a tool error saying Entra is unreachable, and exchanges again once it is back", async () => {
      const token = await standIn.mintAccessToken({ user: "bob", claims: { uti: "entra-outage" } });
      await callTool(kit.mcpUrl, token, "whoami");
      await standIn.stop();
      const mark = kit.logs.lines.length;
      const failed = await callTool(kit.mcpUrl, token, "graph_me");
      assert.equal(failed.status, 200);
      assert.equal(failed.isError, true);
      assert.match(failed.text, /Microsoft Entra could not be reached; try again in a moment/);
      assert.ok(!showsStackTrace(failed.body));
      const problems = problemsSince(kit.logs, mark);
      assert.equal(problems.filter((line) => line.event === "obo.failed").length, 1, kit.logs.text());
      assert.equal(problems.find((line) => line.event === "obo.failed")!.fields["failure"], "unavailable");

      await standIn.start();
      const recovered = await callTool(kit.mcpUrl, token, "graph_me");
      assert.equal(recovered.isError, false, recovered.text);
    });

    it("answers 503, not 401, for a valid token when no signing key was ever fetched", async () => {
      const fresh = await startProxyKit(standIn, { env: { SEALING_KEYRING: generateKeyringJson("fresh") } });
      kits.push(fresh);
      const token = await standIn.mintAccessToken({ user: "alice" });
      await standIn.stop();
      const answer = await callTool(fresh.mcpUrl, token, "whoami");
      assert.equal(answer.status, 503, answer.body);
      assert.ok(Number(answer.headers.get("retry-after")) > 0);
      assert.equal(events(fresh.logs.lines).filter((line) => line.event === "auth.keys_unavailable").length, 1);
      await standIn.start();
      // The next attempt is allowed a second later: the kit recovers without a restart.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const later = await callTool(fresh.mcpUrl, token, "whoami");
      assert.equal(later.isError, false, later.text);
    });
  });

  describe("Key Vault unreachable", () => {
    let vault: FakeKeyVault;
    let kit: RunningKit;
    const vaultLogs = new LogCapture();

    before(async () => {
      vault = await startFakeKeyVault();
      vault.setSecret("sealing-keyring", generateKeyringJson("vault-key"));
      vault.setSecret("entra-client-secret", KIT_DEV_CLIENT_SECRET);
      const secrets = keyVaultSecrets({
        vaultUrl: vault.vaultUrl,
        credential: vault.credential(),
        log: createLogger("debug", vaultLogs.sink),
        ttlMs: 400,
        refreshAheadMs: 100,
        fetchTimeoutMs: 1000,
        retryAfterFailureMs: 100,
        maxRetries: 0,
      });
      kit = await startKit({ env: proxyEnv(standIn, { ENTRA_CLIENT_SECRET: "" }), secrets });
      kits.push(kit);
    });
    after(() => vault?.close());

    it("signs users in, redeems and refreshes with the last good keyring and client secret, warns once per secret, and notes the recovery", async () => {
      const first = provider(kit, "alice");
      await (await connectWithOAuth("v2-auto", kit.mcpUrl, first)).close();
      assert.ok(vault.reads("sealing-keyring") >= 1 && vault.reads("entra-client-secret") >= 1, "both secrets came from the vault");

      await vault.down();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const second = provider(kit, "bob");
      const client = await connectWithOAuth("v2-auto", kit.mcpUrl, second);
      assert.equal((await client.callTool("whoami", {})).isError, undefined);
      await client.close();
      const renewed = await refresh(kit, first);
      assert.equal(renewed.status, 200, renewed.text);
      const warnings = events(vaultLogs.lines).filter((line) => line.event === "secret.refresh_failed");
      assert.deepEqual(warnings.map((line) => line.fields["name"]).sort(), ["entra-client-secret", "sealing-keyring"], vaultLogs.text());
      for (const warning of warnings) assert.equal(warning.level, "warn");

      await vault.up();
      await new Promise((resolve) => setTimeout(resolve, 500));
      await (await connectWithOAuth("v2-auto", kit.mcpUrl, provider(kit, "alice"))).close();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const recovered = events(vaultLogs.lines).filter((line) => line.event === "secret.recovered");
      assert.deepEqual([...new Set(recovered.map((line) => line.fields["name"]))].sort(), ["entra-client-secret", "sealing-keyring"], vaultLogs.text());
      assert.ok(!vaultLogs.text().includes(KIT_DEV_CLIENT_SECRET), "no secret value in the log");
    });

    it("answers 503 with Retry-After and logs the secret's name when it has no value at all (as in Azure)", async () => {
      await vault.down();
      try {
        const secrets = keyVaultSecrets({ vaultUrl: vault.vaultUrl, credential: vault.credential(), log: createLogger("debug", vaultLogs.sink), fetchTimeoutMs: 1000, maxRetries: 0 });
        // In Azure (WEBSITE_INSTANCE_ID) a missing keyring is an error, not a development keyring. The base URL's port is
        // irrelevant to /register; the local host listens wherever startKit put it.
        const azure = await startKit({
          env: { ...proxyEnv(standIn), WEBSITE_INSTANCE_ID: "faults-test", PUBLIC_BASE_URL: `http://localhost:${await freePort()}`, APP_CREDENTIAL: "secret" },
          secrets,
        });
        kits.push(azure);
        const response = await fetch(new URL("/register", azure.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: [REDIRECT] }) });
        const text = await response.text();
        assert.equal(response.status, 503, text);
        assert.equal(response.headers.get("retry-after"), "30");
        assert.equal((JSON.parse(text) as { error: string }).error, "temporarily_unavailable");
        assert.ok(!showsStackTrace(text));
        const unavailable = events(azure.logs.lines).filter((line) => line.event === "secret.unavailable");
        assert.equal(unavailable.length, 1, azure.logs.text());
        assert.equal(unavailable[0]!.level, "error");
        assert.equal(unavailable[0]!.fields["name"], "sealing-keyring");
      } finally {
        await vault.up();
      }
    });
  });

  describe("shared OBO cache unreachable", () => {
    let redis: RunningRedis;
    before(async () => {
      redis = await startRedis();
    });
    after(() => redis?.stop());

    it("serves from memory and Entra while Redis is down, with one warning for the whole outage", async () => {
      const kit = await startProxyKit(standIn, { env: { OBO_CACHE: "redis", REDIS_URL: redis.url, SEALING_KEYRING: generateKeyringJson("redis") } });
      kits.push(kit);
      const before = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "redis-up" } }), "graph_me");
      assert.equal(before.isError, false, before.text);
      await redis.stop();
      for (const [index, user] of ["alice", "bob", "alice", "bob"].entries()) {
        const answer = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user, claims: { uti: `redis-down-${index}` } }), "graph_me");
        assert.equal(answer.isError, false, answer.text);
        assert.ok(answer.elapsedMs < 3000, `${answer.elapsedMs} ms`);
      }
      const warnings = events(kit.logs.lines).filter((line) => line.event === "obo_cache.shared_unavailable");
      assert.equal(warnings.length, 1, kit.logs.text());
      assert.equal(warnings[0]!.level, "warn");
      assert.doesNotMatch(JSON.stringify(warnings[0]!.fields), /redis:\/\/[^"]*@/, "no credentials of the Redis URL");
      await redis.restart();
    });
  });

  describe("downstream API failing or slow", () => {
    let kit: RunningKit;
    const slowGraph: AnyTool = defineTool({
      name: "graph_me_quick",
      description: "Graph profile, with a short deadline",
      input: {},
      needs: { graph: obo([GRAPH_USER_READ]) },
      timeoutMs: 1000,
      async run(_args, { graph: downstream }) {
        const response = await downstream.fetch(`${graph.graphBaseUrl}/me`);
        if (!response.ok) throw new ToolError(`Microsoft Graph answered ${response.status}.`);
        return (await response.json()) as Record<string, unknown>;
      },
    });

    before(async () => {
      kit = await startProxyKit(standIn, { env: { SEALING_KEYRING: generateKeyringJson("downstream") }, server: { ...serverInfo, tools: [...tools, slowGraph] } });
      kits.push(kit);
    });

    for (const status of [500, 503] as const) {
      it(`turns a ${status} from the downstream API into a tool error naming it, logged once`, async () => {
        graph.fail({ kind: "server_error", status }, { route: "me" });
        const mark = kit.logs.lines.length;
        const answer = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: `graph-${status}` } }), "graph_me");
        assert.equal(answer.status, 200);
        assert.equal(answer.isError, true);
        assert.match(answer.text, new RegExp(`Microsoft Graph answered ${status}`));
        assert.ok(!showsStackTrace(answer.body));
        const lines = events(kit.logs.lines.slice(mark)).filter((line) => line.event === "tool.error");
        assert.equal(lines.length, 1, kit.logs.text());
        assert.equal(lines[0]!.fields["tool"], "graph_me");
      });
    }

    it("ends a call to a slow downstream API at the tool's deadline with a tool error, logged once", async () => {
      graph.fail({ kind: "delay", ms: 4000 }, { route: "me" });
      const mark = kit.logs.lines.length;
      const answer = await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "bob", claims: { uti: "graph-slow" } }), "graph_me_quick");
      assert.equal(answer.status, 200);
      assert.equal(answer.isError, true);
      assert.match(answer.text, /did not finish within 1 seconds and was stopped/);
      assert.ok(answer.elapsedMs < 2000, `${answer.elapsedMs} ms`);
      const lines = events(kit.logs.lines.slice(mark)).filter((line) => line.event === "tool.error");
      assert.equal(lines.length, 1, kit.logs.text());
    });
  });
});
