/**
 * Step-up at /mcp and at the facade, over real HTTP against the Entra
 * stand-in: a need that meets missing consent or a claims challenge is
 * answered 403 `insufficient_scope` naming every scope the call needs (both
 * protocol eras), and /authorize turns those scopes (and the claims) into an
 * Entra sign-in that asks for exactly them.
 */
import assert from "node:assert/strict";
import { GRAPH_USER_READ, KIT_CLIENT_ID, KIT_SCOPE_URI, ORDERS_SCOPE_URI } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { claimsOfScope } from "../../lib/auth/downstream-scopes.js";
import { defineTool, obo, StepUpRequiredError } from "../../lib/mcp/index.js";
import { newPkcePair } from "../../lib/oauth/pkce.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { hiddenInput, startProxyKit } from "../support/facade.js";
import { startKit, type RunningKit } from "../support/kit.js";
import { callTool, legacyToolCall } from "../support/mcp-calls.js";

const REDIRECT = "http://127.0.0.1:45678/callback";

const graphProfile = defineTool({
  name: "graph_profile",
  description: "Calls Graph as the user",
  input: {},
  needs: { graph: obo([GRAPH_USER_READ]) },
  async run() {
    return "profile";
  },
});
const ordersReport = defineTool({
  name: "orders_report",
  description: "Needs Graph, the orders API and this API's orders.write scope",
  input: {},
  needs: { graph: obo([GRAPH_USER_READ]), orders: obo([ORDERS_SCOPE_URI]) },
  requires: { scopes: ["orders.write"] },
  async run() {
    return "report";
  },
});
const downstreamRefuses = defineTool({
  name: "downstream_refuses",
  description: "Its downstream API answers 403 insufficient_scope, as a gateway or OpenAPI tool may find out",
  input: {},
  needs: { orders: obo([ORDERS_SCOPE_URI]) },
  async run() {
    throw new StepUpRequiredError("The orders API wants more.", { reason: "insufficient_scope", scopes: [ORDERS_SCOPE_URI] });
  },
});
const wantsUndeclared = defineTool({
  name: "wants_undeclared",
  description: "Its downstream wants a declared scope and one no tool declares, so no sign-in could grant all it wants",
  input: {},
  needs: { orders: obo([ORDERS_SCOPE_URI]) },
  async run() {
    throw new StepUpRequiredError("The API wants Thing.Write.", { reason: "insufficient_scope", scopes: [ORDERS_SCOPE_URI, "api://undeclared/Thing.Write"] });
  },
});
const server = { name: "step-up-test", version: "1", tools: [graphProfile, ordersReport, downstreamRefuses, wantsUndeclared] };

interface Challenge {
  readonly error: string | undefined;
  readonly scopes: string[];
  readonly resourceMetadata: string | undefined;
  readonly description: string | undefined;
}

/** The parameters of a `Bearer` challenge. */
function parseChallenge(header: string | null): Challenge {
  const parameters = new Map([...(header ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((match) => [match[1]!, match[2]!.replace(/\\(.)/g, "$1")]));
  return { error: parameters.get("error"), scopes: (parameters.get("scope") ?? "").split(" ").filter((scope) => scope !== ""), resourceMetadata: parameters.get("resource_metadata"), description: parameters.get("error_description") };
}

describe("step-up", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;
  let uti = 0;
  const aliceToken = (): Promise<string> => standIn.mintAccessToken({ user: "alice", claims: { uti: `step-up-${uti++}` } });

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn, { env: { ENTRA_API_SCOPES: "mcp.access orders.write" }, server });
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });
  afterEach(() => {
    standIn.clearFaults();
    standIn.grantConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ, ORDERS_SCOPE_URI]);
  });

  describe("at /mcp", () => {
    it("answers missing consent with 403 insufficient_scope naming the base scope and the downstream one, short form, no offline_access", async () => {
      standIn.withdrawConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
      const answer = await callTool(kit.mcpUrl, await aliceToken(), "graph_profile");
      assert.equal(answer.status, 403, answer.body);
      const challenge = parseChallenge(answer.headers.get("www-authenticate"));
      assert.equal(challenge.error, "insufficient_scope");
      assert.deepEqual(challenge.scopes, ["mcp.access", "User.Read"]);
      assert.equal(challenge.resourceMetadata, new URL("/.well-known/oauth-protected-resource/mcp", kit.baseUrl).href);
      assert.match(challenge.description ?? "", /not consented to let this server use Microsoft Graph \(User\.Read\)/);
      assert.doesNotMatch(answer.body + answer.headers.get("www-authenticate"), /AADSTS|offline_access/);
      assert.match(kit.logs.text(), /auth\.step_up.*consent_required/);
    });

    it("holds a 2025-era SSE answer until its first event, so the step-up is a 403 there too", async () => {
      standIn.withdrawConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
      // A progress token makes the answer an event stream (without one it is JSON: the next test).
      const answer = await legacyToolCall(kit.mcpUrl, await aliceToken(), "graph_profile", { progressToken: "p1" });
      assert.equal(answer.status, 403, answer.body);
      assert.deepEqual(parseChallenge(answer.challenge).scopes, ["mcp.access", "User.Read"]);
      assert.match(answer.contentType ?? "", /application\/json/);
      standIn.grantConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
      const granted = await legacyToolCall(kit.mcpUrl, await aliceToken(), "graph_profile", { progressToken: "p2" });
      assert.equal(granted.status, 200, granted.body);
      assert.match(granted.contentType ?? "", /text\/event-stream/, "the control: a call asking for progress is answered as SSE");
    });

    it("answers a 2025-era call that asks for no progress with one JSON body, step-up included", async () => {
      standIn.withdrawConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
      const refused = await legacyToolCall(kit.mcpUrl, await aliceToken(), "graph_profile");
      assert.equal(refused.status, 403, refused.body);
      assert.deepEqual(parseChallenge(refused.challenge).scopes, ["mcp.access", "User.Read"]);
      standIn.grantConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
      const granted = await legacyToolCall(kit.mcpUrl, await aliceToken(), "graph_profile");
      assert.equal(granted.status, 200, granted.body);
      assert.match(granted.contentType ?? "", /^application\/json/);
      const answer = JSON.parse(granted.body) as { id: number; result: { content: Array<{ text: string }>; isError?: boolean } };
      assert.equal(answer.id, 2);
      assert.notEqual(answer.result.isError, true, granted.body);
    });

    it("names every scope the call needs at once: this API's required scopes and every downstream one of the tool", async () => {
      standIn.withdrawConsent("alice", KIT_CLIENT_ID, [ORDERS_SCOPE_URI]);
      const token = await standIn.mintAccessToken({ user: "alice", scopes: ["mcp.access", "orders.write"], claims: { uti: "every-scope" } });
      const answer = await callTool(kit.mcpUrl, token, "orders_report");
      assert.equal(answer.status, 403, answer.body);
      assert.deepEqual(parseChallenge(answer.headers.get("www-authenticate")).scopes, ["mcp.access", "orders.write", "User.Read", "Orders.Read"]);
    });

    it("gives a tool's requires.scopes the same challenge, downstream scopes included", async () => {
      const answer = await callTool(kit.mcpUrl, await aliceToken(), "orders_report");
      assert.equal(answer.status, 403, answer.body);
      assert.deepEqual(parseChallenge(answer.headers.get("www-authenticate")).scopes, ["mcp.access", "orders.write", "User.Read", "Orders.Read"]);
    });

    it("carries a claims challenge in the challenge's scopes, exactly as Entra sent it", async () => {
      const remove = standIn.requireMfa("https://graph.microsoft.com", { policyId: "9e5f4b8a-0000-4000-8000-00000000ca01" });
      try {
        const answer = await callTool(kit.mcpUrl, await aliceToken(), "graph_profile");
        assert.equal(answer.status, 403, answer.body);
        const challenge = parseChallenge(answer.headers.get("www-authenticate"));
        assert.deepEqual(challenge.scopes.slice(0, 2), ["mcp.access", "User.Read"]);
        const claimsToken = challenge.scopes[2]!;
        assert.deepEqual(JSON.parse(claimsOfScope(claimsToken)), { access_token: { capolids: { essential: true, values: ["9e5f4b8a-0000-4000-8000-00000000ca01"] } } });
        assert.match(challenge.description ?? "", /extra check/);
      } finally {
        remove();
      }
    });

    it("answers a StepUpRequiredError from a tool's own work the same way", async () => {
      const answer = await callTool(kit.mcpUrl, await aliceToken(), "downstream_refuses");
      assert.equal(answer.status, 403, answer.body);
      const challenge = parseChallenge(answer.headers.get("www-authenticate"));
      assert.deepEqual(challenge.scopes, ["mcp.access", "Orders.Read"]);
      assert.equal(challenge.description, "The orders API wants more.");
    });

    it("keeps the tool error when a re-authorization could not grant what is demanded (a scope no tool declares), and says so in the log", async () => {
      const answer = await callTool(kit.mcpUrl, await aliceToken(), "wants_undeclared");
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.isError, true);
      assert.equal(answer.text, "The API wants Thing.Write.");
      assert.match(kit.logs.text(), /"event":"auth\.step_up_unanswerable".*api:\/\/undeclared\/Thing\.Write/);
    });

    it("in direct mode keeps the actionable tool error: a client signing in at Entra itself would consent for itself, not for this server", async () => {
      const direct = await startKit({
        env: { AUTH_MODE: "direct", ENTRA_TENANT_ID: standIn.defaultTenant, ENTRA_CLIENT_ID: KIT_CLIENT_ID, ENTRA_AUTHORITY_HOST: standIn.origin, ENTRA_CLIENT_SECRET: "local-dev-only-kit-secret" },
        server,
      });
      try {
        standIn.withdrawConsent("alice", KIT_CLIENT_ID, [GRAPH_USER_READ]);
        const answer = await callTool(direct.mcpUrl, await aliceToken(), "graph_profile");
        assert.equal(answer.status, 200, answer.body);
        assert.equal(answer.isError, true);
        assert.match(answer.text, /not consented[\s\S]*adminconsent\?client_id=/);
      } finally {
        await direct.close();
      }
    });
  });

  describe("at the facade's /authorize", () => {
    let clientId: string;
    before(async () => {
      const registered = await fetch(new URL("/register", kit.baseUrl), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ client_name: "Step-up client", redirect_uris: [REDIRECT] }),
      });
      clientId = String(((await registered.json()) as Record<string, unknown>)["client_id"]);
    });

    /** /authorize with `scope`, the consent page approved: the page and the Entra authorize URL the facade sends the browser to. */
    async function toEntra(target: RunningKit, scope: string): Promise<{ page: string; entra: URL }> {
      const url = new URL("/authorize", target.baseUrl);
      const pkce = newPkcePair();
      for (const [name, value] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: pkce.challenge, code_challenge_method: "S256", scope, resource: target.mcpUrl.href })) {
        url.searchParams.set(name, value);
      }
      const pageResponse = await fetch(url, { redirect: "manual" });
      const page = await pageResponse.text();
      assert.equal(pageResponse.status, 200, page.slice(0, 300));
      const approved = await fetch(new URL("/consent", target.baseUrl), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: target.baseUrl.origin, "sec-fetch-site": "same-origin" },
        body: new URLSearchParams({ request: hiddenInput(page, "request")!, decision: "approve" }),
      });
      assert.equal(approved.status, 303, await approved.text());
      return { page, entra: new URL(approved.headers.get("location")!) };
    }

    it("sends the user to Entra with the downstream scopes and the claims challenge of a step-up", async () => {
      const remove = standIn.requireMfa("https://graph.microsoft.com");
      let challengeScope: string;
      try {
        challengeScope = parseChallenge((await callTool(kit.mcpUrl, await aliceToken(), "graph_profile")).headers.get("www-authenticate")).scopes.join(" ");
      } finally {
        remove();
      }
      const { page, entra } = await toEntra(kit, challengeScope);
      assert.deepEqual(entra.searchParams.get("scope")!.split(" ").sort(), [KIT_SCOPE_URI, "openid", "profile", "offline_access", GRAPH_USER_READ, ORDERS_SCOPE_URI].sort(), "CONSENT=upfront: every declared scope");
      assert.equal(entra.searchParams.get("claims"), claimsOfScope(challengeScope.split(" ")[2]!));
      assert.match(page, /Let its tools use Microsoft Graph as you, to read your profile \(User\.Read\)/);
      assert.match(page, /extra sign-in check/);
    });

    it("refuses a scope no tool declares, and a forged claims token", async () => {
      for (const scope of ["mcp.access Mail.Send", "mcp.access https://graph.microsoft.com/Mail.Send", "mcp.access claims:bm90LWpzb24"]) {
        const url = new URL("/authorize", kit.baseUrl);
        for (const [name, value] of Object.entries({ response_type: "code", client_id: clientId, redirect_uri: REDIRECT, code_challenge: newPkcePair().challenge, code_challenge_method: "S256", scope })) url.searchParams.set(name, value);
        const answer = await fetch(url, { redirect: "manual" });
        assert.equal(answer.status, 303, scope);
        assert.equal(new URL(answer.headers.get("location")!).searchParams.get("error"), "invalid_scope", scope);
      }
    });

    it("with CONSENT=incremental asks Entra only for this API at first, then for exactly the downstream scopes a step-up names", async () => {
      const incremental = await startProxyKit(standIn, { env: { ENTRA_API_SCOPES: "mcp.access orders.write", CONSENT: "incremental" }, server });
      try {
        const registered = await fetch(new URL("/register", incremental.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ client_name: "c", redirect_uris: [REDIRECT] }) });
        clientId = String(((await registered.json()) as Record<string, unknown>)["client_id"]);
        const first = await toEntra(incremental, "mcp.access");
        assert.deepEqual(first.entra.searchParams.get("scope")!.split(" ").sort(), [KIT_SCOPE_URI, "openid", "profile", "offline_access"].sort());
        assert.doesNotMatch(first.page, /Microsoft Graph/);
        const stepUp = await toEntra(incremental, "mcp.access User.Read");
        assert.deepEqual(stepUp.entra.searchParams.get("scope")!.split(" ").sort(), [KIT_SCOPE_URI, "openid", "profile", "offline_access", GRAPH_USER_READ].sort());
        assert.match(stepUp.page, /Let its tools use Microsoft Graph as you, to read your profile \(User\.Read\)/);
        assert.equal(stepUp.entra.searchParams.get("claims"), null);
      } finally {
        await incremental.close();
      }
    });
  });
});
