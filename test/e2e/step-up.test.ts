/**
 * Step-up end to end with the three real MCP clients: signed in through the
 * facade and the Entra stand-in, a tool meets missing consent or a claims
 * challenge downstream, /mcp answers 403 `insufficient_scope`, the client
 * re-authorizes for the scopes of the challenge (the stand-in shows its
 * consent page, or performs MFA on seeing the `claims` parameter), and the
 * retried call succeeds.
 *
 * What each client does itself:
 * - SDK v2 (2026-07-28 and 2025 handshakes): on the 403 it unions the
 *   challenge's scopes with what it asked before, sees that its grant lacks
 *   some, and starts a new authorization (not a refresh) with them; the
 *   test only plays the browser and hands the redirect back, as an app does.
 * - SDK v1 (1.32): on the 403 it takes the challenge's scopes but calls
 *   auth(), which prefers a refresh token; a refresh cannot add consent or
 *   answer a claims challenge, so it retries with the same grant, is refused
 *   again and gives up ("403 after trying upscoping"). Pinned below; the test
 *   then drives the re-authorization by dropping the refresh token, after
 *   which v1's own step-up code re-authorizes with the challenge's scopes.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { UnauthorizedError } from "@modelcontextprotocol/client";
import { UnauthorizedError as V1UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { GRAPH_USER_READ, KIT_CLIENT_ID, ORDERS_SCOPE_URI } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { startFakeGraph, type FakeGraph } from "../../dev/graph/index.js";
import { CLIENT_KINDS, type ClientKind, type ConnectedClient } from "../support/clients.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { permissionsOnPage, signInThroughPages } from "../support/entra-pages.js";
import { facadeBrowser, startProxyKit } from "../support/facade.js";
import { startHostProcess } from "../support/host-process.js";
import { EVERY_EXAMPLE, pointToolsAt, unpointTools, type RunningKit } from "../support/kit.js";
import { connectWithOAuth, CookieJar, finishSignIn, HeadlessOAuthProvider } from "../support/oauth.js";

const REDIRECT = "http://127.0.0.1:45678/callback";

/** A client whose browser signs in through the stand-in's pages, recording the consent pages it saw. */
function stepUpClient(kit: Pick<RunningKit, "baseUrl">, user: string): { provider: HeadlessOAuthProvider; consentPages: string[] } {
  const consentPages: string[] = [];
  const provider = new HeadlessOAuthProvider({
    redirectUrl: REDIRECT,
    clientMetadata: { client_name: "Step-up e2e", redirect_uris: [REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] },
    signIn: facadeBrowser(kit, { user, jar: new CookieJar(), atEntra: (url) => signInThroughPages(url, { user, onConsentPage: (html) => consentPages.push(html) }) }),
  });
  return { provider, consentPages };
}

/**
 * Calls `tool` once, expecting the step-up: the client starts the
 * re-authorization itself and the test finishes it; then calls again.
 * Returns the second call's result and the client used for it.
 */
async function callThroughStepUp(kind: ClientKind, kit: Pick<RunningKit, "mcpUrl">, client: ConnectedClient, provider: HeadlessOAuthProvider, tool: string, args: Record<string, unknown> = {}): Promise<{ client: ConnectedClient; result: Awaited<ReturnType<ConnectedClient["callTool"]>> }> {
  if (kind === "v1") {
    await assert.rejects(client.callTool(tool, args), /403 after trying upscoping/, "v1 refreshed instead of re-authorizing");
    await client.close();
    provider.forgetRefreshToken();
    client = await connectWithOAuth("v1", kit.mcpUrl, provider);
    await assert.rejects(client.callTool(tool, args), V1UnauthorizedError);
  } else {
    await assert.rejects(client.callTool(tool, args), UnauthorizedError);
  }
  await finishSignIn(kind, kit.mcpUrl, provider);
  return { client, result: await client.callTool(tool, args) };
}

describe("step-up end to end: consent and MFA when a tool needs them", function () {
  this.timeout(120_000);
  let standIn: EntraStandIn;
  let graph: FakeGraph;
  let kit: RunningKit;

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

  for (const kind of CLIENT_KINDS) {
    it(`${kind}: consent withdrawn for Graph → 403 step-up → the client re-authorizes, the stand-in asks for User.Read → the retry succeeds`, async () => {
      const { provider, consentPages } = stepUpClient(kit, "alice");
      let client = await connectWithOAuth(kind, kit.mcpUrl, provider);
      try {
        assert.equal((await client.callTool("whoami", {})).structuredContent?.["name"], "Alice Example");
        // After the sign-in (which consented to Graph: CONSENT=upfront), as a user does in My Apps. Had a Graph
        // token been exchanged already, the kit would serve it from its cache until it expires, as Entra's stays valid.
        standIn.withdrawConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
        const authorizationsBefore = provider.authorizationUrls.length;

        const stepped = await callThroughStepUp(kind, kit, client, provider, "graph_me");
        client = stepped.client;
        assert.equal(stepped.result.isError, undefined, JSON.stringify(stepped.result));
        assert.equal(stepped.result.structuredContent?.["displayName"], "Alice Example");

        const reauthorization = provider.authorizationUrls.at(-1)!;
        assert.ok(provider.authorizationUrls.length > authorizationsBefore, "the client started a new authorization");
        assert.ok(reauthorization.searchParams.get("scope")!.split(" ").includes("User.Read"), `the client asked for the challenge's scopes: ${reauthorization.searchParams.get("scope")}`);
        assert.deepEqual(permissionsOnPage(consentPages.at(-1)!), [GRAPH_USER_READ], "the stand-in asked for exactly the withdrawn consent");
        assert.equal(provider.tokens()?.scope, "mcp.access", "the token for this API still reports only this API's scope");
      } finally {
        await client.close();
        standIn.grantConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
      }
    });

    it(`${kind}: Conditional Access wants MFA → 403 step-up carrying the claims → the stand-in sees them at /authorize and performs MFA → the retry succeeds`, async () => {
      const { provider } = stepUpClient(kit, "bob");
      let client = await connectWithOAuth(kind, kit.mcpUrl, provider);
      const remove = standIn.requireMfa("https://graph.microsoft.com", { once: true });
      try {
        const stepped = await callThroughStepUp(kind, kit, client, provider, "graph_me");
        client = stepped.client;
        assert.equal(stepped.result.structuredContent?.["displayName"], "Bob Example", JSON.stringify(stepped.result));

        const atEntra = standIn.activity.records({ endpoint: "authorize" }).at(-1)!;
        assert.ok(atEntra.claims !== undefined, "the claims parameter reached the stand-in's /authorize");
        assert.ok("capolids" in (JSON.parse(atEntra.claims).access_token as Record<string, unknown>));
        assert.deepEqual(graph.accepted.at(-1)!.claims["amr"], ["pwd", "mfa"], "Graph saw a token from the MFA sign-in");
      } finally {
        remove();
        await client.close();
      }
    });
  }

  describe("with CONSENT=incremental and a stand-in that asks for consent", () => {
    let explicit: EntraStandIn;
    let incremental: RunningKit;
    before(async () => {
      explicit = await startDefaultStandIn({ consent: "explicit" });
      await graph.close();
      graph = await startFakeGraph({ entra: explicit });
      pointToolsAt(graph);
      incremental = await startProxyKit(explicit, { env: { CONSENT: "incremental" }, server: EVERY_EXAMPLE });
    });
    after(async () => {
      await incremental?.close();
      await explicit?.close();
    });

    it("asks only for this API at sign-in, then for each downstream scope when a tool first needs it", async () => {
      const { provider, consentPages } = stepUpClient(incremental, "alice");
      let client = await connectWithOAuth("v2-auto", incremental.mcpUrl, provider);
      try {
        assert.deepEqual(permissionsOnPage(consentPages[0]!), [`api://${KIT_CLIENT_ID}/mcp.access`], "the first sign-in asks for this API only");
        assert.equal((await client.callTool("whoami", {})).structuredContent?.["name"], "Alice Example");

        const graphStep = await callThroughStepUp("v2-auto", incremental, client, provider, "graph_me");
        client = graphStep.client;
        assert.equal(graphStep.result.structuredContent?.["displayName"], "Alice Example", JSON.stringify(graphStep.result));
        assert.deepEqual(permissionsOnPage(consentPages.at(-1)!), [GRAPH_USER_READ]);

        const ordersStep = await callThroughStepUp("v2-auto", incremental, client, provider, "list_orders", { top: 1 });
        client = ordersStep.client;
        assert.equal((ordersStep.result.structuredContent?.["orders"] as unknown[]).length, 1, JSON.stringify(ordersStep.result));
        assert.deepEqual(permissionsOnPage(consentPages.at(-1)!), [ORDERS_SCOPE_URI], "only what is new: Graph was consented already");
        assert.equal(consentPages.length, 3);

        assert.equal((await client.callTool("graph_me", {})).structuredContent?.["displayName"], "Alice Example", "no step-up for what was granted");
      } finally {
        await client.close();
      }
    });
  });

  it("npm start: the command the banner prints switches the stand-in's consent off, and the next graph_me steps up and succeeds", async () => {
    // The process starts stand-ins of its own, and points its tools at its own fake Graph unless told otherwise.
    unpointTools();
    const host = await startHostProcess({ env: { DEV_ENTRA_PORT: "0", DEV_GRAPH_PORT: "0", DEV_IDENTITY_PORT: "0", LOG_LEVEL: "info" } }).finally(() => pointToolsAt(graph));
    const mcpUrl = new URL("/mcp", host.baseUrl);
    const { provider, consentPages } = stepUpClient(host, "alice");
    let client = await connectWithOAuth("v2-auto", mcpUrl, provider);
    try {
      const printed = /Step-up +DEV_ENTRA_PORT=(\d+) npm run stand-in -- (consent withdraw alice User\.Read)/.exec(host.output());
      assert.ok(printed, host.output());
      // What `npm run stand-in -- ...` runs, after its build.
      await promisify(execFile)(process.execPath, [fileURLToPath(new URL("../../dev/cli.js", import.meta.url)), ...printed[2]!.split(" ")], { env: { ...process.env, DEV_ENTRA_PORT: printed[1]! } });
      const stepped = await callThroughStepUp("v2-auto", { mcpUrl }, client, provider, "graph_me");
      client = stepped.client;
      assert.equal(stepped.result.structuredContent?.["displayName"], "Alice Example", JSON.stringify(stepped.result));
      assert.deepEqual(permissionsOnPage(consentPages.at(-1)!), [GRAPH_USER_READ]);
      assert.match(host.output(), /auth\.step_up/);
    } finally {
      await client.close();
      await host.stop();
    }
  });
});
