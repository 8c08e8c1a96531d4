/**
 * Every outbound call has a deadline, and the ones made for a request stop
 * with it: for each dependency (Entra's keys and token endpoint, the managed
 * identity endpoint, Key Vault, Table Storage, Redis, downstream APIs,
 * Client ID Metadata Documents) a server that accepts and never answers
 * costs a bounded wait and ends in a clean failure, and the kit drops the
 * connection rather than leaving it open.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { AccessToken, TokenCredential } from "@azure/identity";
import { FIC_IDENTITY, GRAPH_USER_READ, KIT_CLIENT_ID } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { OboTokenCache, RedisTokenStore, StoreTimeoutError, TableTokenStore } from "../../lib/cache/index.js";
import { loadConfig } from "../../lib/config.js";
import { ManagedIdentityCredential } from "../../lib/entra/app-credential.js";
import { EntraAuthority } from "../../lib/entra/authority.js";
import { EntraError } from "../../lib/entra/errors.js";
import { EntraTokenClient } from "../../lib/entra/token-client.js";
import { createLogger } from "../../lib/log.js";
import { defineTool, type AnyTool } from "../../lib/mcp/index.js";
import { OboExchanger } from "../../lib/obo/exchange.js";
import { obo } from "../../lib/obo/need.js";
import { LIFETIMES } from "../../lib/oauth/facade.js";
import { generateKeyringJson, parseKeyring, Sealer } from "../../lib/oauth/sealing.js";
import { keyVaultSecrets, SecretUnavailableError } from "../../lib/secrets/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { proxyEnv, startProxyKit } from "../support/facade.js";
import { startHungHttpServer, startHungTcpServer, type HungHttpServer, type HungTcpServer } from "../support/hung-server.js";
import { startKit, type RunningKit } from "../support/kit.js";
import { LogCapture } from "../support/log-capture.js";
import { callTool, showsStackTrace } from "../support/mcp-calls.js";

const KEYRING = generateKeyringJson("timeouts");

/** A credential that hands out a fixed token, for stores and vaults reached without a real identity. */
const staticCredential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token: "static-test-token", expiresOnTimestamp: Date.now() + 3_600_000 }) };

/** Awaits `promise` and returns how long it took and how it ended. */
async function timed<T>(promise: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await promise;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

/** Polls until `condition` holds or `ms` pass. */
async function eventually(condition: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function withEnv<T>(variables: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  return work().finally(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

describe("outbound calls end at their deadline when a dependency hangs", function () {
  this.timeout(30_000);
  let standIn: EntraStandIn;
  let hung: HungHttpServer;
  let hungPlain: HungHttpServer;
  let hungTcp: HungTcpServer;
  const kits: RunningKit[] = [];

  before(async () => {
    requireDevTlsTrust();
    [standIn, hung, hungPlain, hungTcp] = await Promise.all([startDefaultStandIn(), startHungHttpServer(), startHungHttpServer({ https: false }), startHungTcpServer()]);
  });
  after(async () => {
    for (const kit of kits) await kit.close();
    await Promise.all([standIn?.close(), hung?.close(), hungPlain?.close(), hungTcp?.close()]);
  });

  async function kit(...args: Parameters<typeof startKit>): Promise<RunningKit> {
    const started = await startKit(...args);
    kits.push(started);
    return started;
  }

  describe("Entra's signing keys", () => {
    it("answers 503 with Retry-After within the 5-second key fetch deadline, and closes the connection", async () => {
      const app = await kit({ env: proxyEnv(standIn, { ENTRA_AUTHORITY_HOST: hung.origin, SEALING_KEYRING: KEYRING }) });
      const before = hung.requests.length;
      const answer = await callTool(app.mcpUrl, await standIn.mintAccessToken({ user: "alice" }), "whoami");
      assert.equal(answer.status, 503, answer.body);
      assert.equal(answer.headers.get("retry-after"), "5");
      assert.equal((JSON.parse(answer.body) as { error: string }).error, "temporarily_unavailable");
      assert.ok(answer.elapsedMs >= 4500 && answer.elapsedMs < 7000, `${answer.elapsedMs} ms`);
      const fetches = hung.requests.slice(before);
      assert.equal(fetches.length, 1);
      assert.match(fetches[0]!.path, /\/discovery\/v2\.0\/keys$/);
      await eventually(() => fetches[0]!.closedAfterMs !== undefined, "the key fetch's connection is closed");
      assert.ok(fetches[0]!.closedAfterMs! < 6500);
      assert.equal(app.logs.matching("auth.keys_unavailable").length, 1, app.logs.text());
      assert.ok(!showsStackTrace(answer.body));
    });
  });

  describe("Entra's token endpoint", () => {
    it("gives up on a hung token request at its deadline, closes the connection and logs the cause once", async () => {
      const logs = new LogCapture();
      const config = loadConfig(proxyEnv(standIn, { ENTRA_AUTHORITY_HOST: hung.origin }));
      const client = new EntraTokenClient({
        authority: new EntraAuthority(config.entra!),
        clientId: KIT_CLIENT_ID,
        credential: { kind: "secret", tokenRequestFields: async () => ({ client_secret: "never-sent-anywhere-real" }) },
        log: createLogger("debug", logs.sink),
        timeoutMs: 400,
      });
      const before = hung.requests.length;
      const outcome = await timed(client.request({ grant_type: "refresh_token", refresh_token: "r" }));
      assert.ok(outcome.error instanceof EntraError && outcome.error.failure === "unavailable", String(outcome.error));
      assert.ok(outcome.ms >= 350 && outcome.ms < 2000, `${outcome.ms} ms`);
      const request = hung.requests[before]!;
      await eventually(() => request.closedAfterMs !== undefined, "the token request's connection is closed");
      const lines = logs.matching("entra.token_request_failed");
      assert.equal(lines.length, 1, logs.text());
      assert.match(lines[0]!.text, /"failure":"unavailable".*"cause":"TimeoutError/);
    });

    it("stops the facade's request to Entra when the client of /token goes away", async () => {
      const app = await kit({ env: proxyEnv(standIn, { ENTRA_AUTHORITY_HOST: hung.origin, SEALING_KEYRING: KEYRING }) });
      const registered = (await (await fetch(new URL("/register", app.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ redirect_uris: ["http://127.0.0.1:9/cb"] }) })).json()) as { client_id: string };
      const refreshToken = await new Sealer(parseKeyring(KEYRING)).seal("refresh", { c: registered.client_id, s: ["mcp.access"], rt: "entra-refresh-token" }, LIFETIMES.refresh);
      const before = hung.requests.length;
      await assert.rejects(
        fetch(new URL("/token", app.baseUrl), {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: refreshToken, client_id: registered.client_id }),
          signal: AbortSignal.timeout(500),
        }),
      );
      await hung.waitForRequests(before + 1);
      const toEntra = hung.requests[before]!;
      assert.match(toEntra.path, /\/oauth2\/v2\.0\/token$/);
      await eventually(() => toEntra.closedAfterMs !== undefined, "the request to Entra is dropped with the client's", 2000);
      assert.ok(toEntra.closedAfterMs! < 2000, `closed after ${toEntra.closedAfterMs} ms, not with the client`);
    });

    it("does not send a timed-out On-Behalf-Of request again, but retries one that was refused at once", async () => {
      const config = loadConfig(proxyEnv(standIn));
      let attempts = 0;
      const exchangerWith = (fetchImpl: typeof fetch): OboExchanger =>
        new OboExchanger({
          tokens: new EntraTokenClient({
            authority: new EntraAuthority(config.entra!),
            clientId: KIT_CLIENT_ID,
            credential: { kind: "secret", tokenRequestFields: async () => ({ client_secret: "s" }) },
            log: createLogger("error", () => undefined),
            timeoutMs: 200,
            fetch: fetchImpl,
          }),
          cache: new OboTokenCache(),
          log: createLogger("error", () => undefined),
        });
      const user = { token: await standIn.mintAccessToken({ user: "alice" }), claims: {}, tenantId: config.entra!.tenant, objectId: "o", scopes: [], roles: [], clientId: undefined, expiresAt: Math.floor(Date.now() / 1000) + 3600 };
      const hanging: typeof fetch = (_input, init) =>
        new Promise((_resolve, reject) => {
          attempts++;
          init?.signal?.addEventListener("abort", () => reject(init.signal!.reason), { once: true });
        });
      const timedOut = await timed(exchangerWith(hanging).exchange(user, [GRAPH_USER_READ], new AbortController().signal));
      assert.ok(timedOut.error instanceof EntraError && timedOut.error.failure === "unavailable", String(timedOut.error));
      assert.equal(attempts, 1, "a request that ran into its deadline is not repeated");
      assert.ok(timedOut.ms < 1000, `${timedOut.ms} ms`);

      attempts = 0;
      const refusing: typeof fetch = async () => {
        attempts++;
        throw new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }) });
      };
      const refused = await timed(exchangerWith(refusing).exchange(user, [GRAPH_USER_READ], new AbortController().signal));
      assert.ok(refused.error instanceof EntraError);
      assert.equal(attempts, 3, "a refused connection is retried twice");
    });
  });

  describe("the managed identity endpoint", () => {
    it("gives up at the credential's own deadline, although @azure/identity does not pass the abort signal on", async () => {
      // In a child process: msal-node keeps the first identity endpoint it used for the life of the process.
      const child = spawn(process.execPath, [fileURLToPath(new URL("../support/identity-child.js", import.meta.url)), FIC_IDENTITY.clientId, "500"], {
        env: { ...process.env, IDENTITY_ENDPOINT: `${hungPlain.origin}/msi/token`, IDENTITY_HEADER: "hung-test" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      // Should the deadline not hold, the child would wait for the SDK forever.
      const killer = setTimeout(() => child.kill(), 10_000);
      await new Promise((resolve) => child.once("exit", resolve));
      clearTimeout(killer);
      assert.ok(output.trim() !== "", "the credential did not give up within 10 s");
      const outcome = JSON.parse(output.trim().split("\n").pop()!) as { ms: number; error: string | null; events: string[] };
      assert.equal(outcome.error, "SecretUnavailableError", output);
      assert.ok(outcome.ms >= 450 && outcome.ms < 2000, `${outcome.ms} ms`);
      assert.deepEqual(outcome.events, ["entra.managed_identity_failed"]);
      assert.ok(hungPlain.requests.some((request) => request.path === "/msi/token"), "the identity endpoint was asked");
    });

    it("keeps handing out an assertion that has not expired while the endpoint hangs", async () => {
      let calls = 0;
      const flaky: TokenCredential = {
        getToken: () => {
          calls++;
          // Valid for 4 more minutes: inside the refresh margin, so every call asks again.
          if (calls === 1) return Promise.resolve({ token: "first-assertion", expiresOnTimestamp: Date.now() + 240_000 });
          return new Promise<never>(() => undefined);
        },
      };
      const credential = new ManagedIdentityCredential("id", "api://AzureADTokenExchange", createLogger("error", () => undefined), async () => flaky, 200);
      assert.equal((await credential.tokenRequestFields())["client_assertion"], "first-assertion");
      const outcome = await timed(credential.tokenRequestFields());
      assert.equal(outcome.value?.["client_assertion"], "first-assertion");
      assert.ok(outcome.ms < 1000, `${outcome.ms} ms`);
    });
  });

  describe("Key Vault", () => {
    it("gives up on a hung vault at the fetch deadline and closes the connection", async () => {
      const logs = new LogCapture();
      const secrets = keyVaultSecrets({ vaultUrl: `${hung.origin}/`, credential: staticCredential, log: createLogger("debug", logs.sink), fetchTimeoutMs: 500, maxRetries: 0 });
      const before = hung.requests.length;
      const outcome = await timed(secrets.get("sealing-keyring"));
      assert.ok(outcome.error instanceof SecretUnavailableError, String(outcome.error));
      assert.match(String((outcome.error as Error).message), /did not answer within 500 ms/);
      assert.ok(outcome.ms >= 450 && outcome.ms < 2000, `${outcome.ms} ms`);
      const request = hung.requests[before]!;
      assert.match(request.path, /^\/secrets\/sealing-keyring/);
      await eventually(() => request.closedAfterMs !== undefined, "the vault request's connection is closed");
      // A second reader within the retry interval fails at once instead of queueing behind another timeout.
      const again = await timed(secrets.get("sealing-keyring"));
      assert.ok(again.error instanceof SecretUnavailableError);
      assert.ok(again.ms < 100, `${again.ms} ms`);
    });
  });

  describe("the shared OBO cache", () => {
    it("gives up on a hung table endpoint at the connect deadline", async () => {
      const store = new TableTokenStore({
        tableName: "obocache",
        connectionString: `DefaultEndpointsProtocol=http;AccountName=hung;AccountKey=${Buffer.alloc(32).toString("base64")};TableEndpoint=${hungPlain.origin}/hung;`,
        connectTimeoutMs: 400,
        timeoutMs: 200,
      });
      const outcome = await timed(store.get("a".repeat(43)));
      assert.ok(outcome.error instanceof StoreTimeoutError, String(outcome.error));
      assert.ok(outcome.ms >= 350 && outcome.ms < 1500, `${outcome.ms} ms`);
      await store.close();
    });

    it("gives up on a Redis that never answers at the connect deadline and drops the connection", async () => {
      const store = new RedisTokenStore({ url: `redis://127.0.0.1:${hungTcp.port}`, connectTimeoutMs: 400, timeoutMs: 200 });
      const before = hungTcp.connections;
      const outcome = await timed(store.get("a".repeat(43)));
      assert.ok(outcome.error instanceof StoreTimeoutError, String(outcome.error));
      assert.ok(outcome.ms >= 350 && outcome.ms < 1500, `${outcome.ms} ms`);
      assert.equal(hungTcp.connections, before + 1);
      await eventually(() => hungTcp.closed >= before + 1, "the Redis connection is closed");
      await store.close();
    });

    it("lets a tool call through a hung shared cache succeed from Entra within the connect deadline, warning once", async () => {
      const graph = await (await import("../../dev/graph/index.js")).startFakeGraph({ entra: standIn });
      try {
        const app = await withEnv({ GRAPH_BASE_URL: graph.graphBaseUrl }, async () => {
          const started = await kit({ env: proxyEnv(standIn, { OBO_CACHE: "redis", REDIS_URL: `redis://127.0.0.1:${hungTcp.port}`, SEALING_KEYRING: KEYRING }) });
          const first = await callTool(started.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: "hung-cache-1" } }), "graph_me");
          assert.equal(first.isError, false, first.text);
          assert.ok(first.elapsedMs < 5000, `${first.elapsedMs} ms`);
          const second = await callTool(started.mcpUrl, await standIn.mintAccessToken({ user: "bob", claims: { uti: "hung-cache-2" } }), "graph_me");
          assert.equal(second.isError, false, second.text);
          assert.ok(second.elapsedMs < 1000, `the outage is remembered: ${second.elapsedMs} ms`);
          return started;
        });
        assert.equal(app.logs.matching("obo_cache.shared_unavailable").length, 1, app.logs.text());
      } finally {
        await graph.close();
      }
    });
  });

  describe("downstream APIs reached with obo().fetch", () => {
    function slowTool(name: string, init: () => RequestInit): AnyTool {
      return defineTool({
        name,
        description: "Calls a downstream API that never answers",
        input: {},
        needs: { graph: obo([GRAPH_USER_READ]) },
        timeoutMs: 1500,
        async run(_args, { graph }) {
          await graph.fetch(`${hung.origin}/v1.0/${name}`, init());
          return "answered";
        },
      });
    }

    for (const [label, name, init] of [
      ["with the call's own signal", "slow_call_signal", () => ({})],
      ["when the tool passes a signal of its own", "slow_own_signal", () => ({ signal: new AbortController().signal })],
    ] as const) {
      it(`aborts a hung downstream request at the tool's deadline, ${label}`, async () => {
        const app = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING }, server: { name: "slow-downstream", version: "1", tools: [slowTool(name, init)] } });
        kits.push(app);
        const answer = await callTool(app.mcpUrl, await standIn.mintAccessToken({ user: "alice", claims: { uti: `slow-${name}` } }), name);
        assert.equal(answer.isError, true);
        assert.match(answer.text, /did not finish within 2 seconds/);
        assert.ok(answer.elapsedMs < 3000, `${answer.elapsedMs} ms`);
        const request = hung.requests.find((candidate) => candidate.path === `/v1.0/${name}`);
        assert.ok(request !== undefined, "the downstream API was called");
        await eventually(() => request.closedAfterMs !== undefined, "the downstream request is aborted", 2000);
        assert.ok(request.closedAfterMs! < 2500, `closed after ${request.closedAfterMs} ms`);
      });
    }
  });

  describe("a client that goes away", () => {
    it("aborts the tool's signal, so everything the tool started stops with the request", async () => {
      let abortedAfterMs: number | undefined;
      const waiting: AnyTool = defineTool({
        name: "wait_for_abort",
        description: "Waits until its signal aborts",
        input: {},
        timeoutMs: 10_000,
        async run(_args, { signal }) {
          const started = Date.now();
          await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
          abortedAfterMs = Date.now() - started;
          return "aborted";
        },
      });
      const app = await kit({ server: { name: "abort", version: "1", tools: [waiting] } });
      await assert.rejects(callTool(app.mcpUrl, undefined, "wait_for_abort", {}, { signal: AbortSignal.timeout(500) }));
      await eventually(() => abortedAfterMs !== undefined, "the tool's signal aborts", 2000);
      assert.ok(abortedAfterMs! < 2000, `aborted after ${abortedAfterMs} ms, not with the client`);
    });
  });

  describe("Client ID Metadata Documents", () => {
    it("stops fetching a client's document when the browser leaves /authorize", async () => {
      const app = await startProxyKit(standIn, { env: { SEALING_KEYRING: KEYRING, OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: `localhost:${hung.port}` } });
      kits.push(app);
      const authorize = new URL("/authorize", app.baseUrl);
      authorize.search = new URLSearchParams({
        response_type: "code",
        client_id: `${hung.origin}/client.json`,
        redirect_uri: "http://127.0.0.1:9/cb",
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method: "S256",
      }).toString();
      await assert.rejects(fetch(authorize, { signal: AbortSignal.timeout(400) }));
      await eventually(() => hung.requests.some((request) => request.path === "/client.json"), "the document is requested");
      const request = hung.requests.find((candidate) => candidate.path === "/client.json")!;
      await eventually(() => request.closedAfterMs !== undefined, "the document fetch is dropped with the browser's request", 2500);
      assert.ok(request.closedAfterMs! < 2500, `closed after ${request.closedAfterMs} ms (the fetch's own limit is 5000)`);
    });
  });
});
