/**
 * The MCP 2026-07-28 authorization rules the facade and the protected
 * resource keep, one test each, against the kit in proxy mode and the Entra
 * stand-in over real HTTP:
 *
 * - `iss` in every authorization response, success and error (RFC 9207), and
 *   `authorization_response_iss_parameter_supported: true`;
 * - no `offline_access` in the protected resource metadata or in any
 *   challenge, while the facade still asks Entra for it; the metadata's
 *   scopes are what `/mcp` needs;
 * - `application_type` at registration honoured, with RFC 7591 errors.
 */
import assert from "node:assert/strict";
import { DEV_USERS, KIT_SCOPE_URI } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { defineTool } from "../../lib/mcp/index.js";
import { newPkcePair } from "../../lib/oauth/pkce.js";
import { serverInfo, tools } from "../../tools/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, hiddenInput, registerPublicClient, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { callTool } from "../support/mcp-calls.js";
import { connectWithOAuth, CookieJar, HeadlessOAuthProvider } from "../support/oauth.js";

const REDIRECT = "http://127.0.0.1:45680/callback";

const writeOrders = defineTool({
  name: "write_orders",
  description: "Needs the orders.write scope",
  input: {},
  requires: { scopes: ["orders.write"] },
  async run() {
    return "written";
  },
});

async function register(kit: RunningKit, metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(new URL("/register", kit.baseUrl), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(metadata) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function authorizeUrl(kit: RunningKit, clientId: string, redirectUri: string, extra: Record<string, string> = {}): URL {
  const url = new URL("/authorize", kit.baseUrl);
  const params = { response_type: "code", client_id: clientId, redirect_uri: redirectUri, code_challenge: newPkcePair().challenge, code_challenge_method: "S256", state: "st", ...extra };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url;
}

describe("the MCP 2026-07-28 authorization rules", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;
  let clientId: string;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startProxyKit(standIn, { env: { ENTRA_API_SCOPES: "mcp.access orders.write" }, server: { ...serverInfo, tools: [...tools, writeOrders] } });
    clientId = await registerPublicClient(kit, REDIRECT, "Rules client");
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });

  describe("iss in every authorization response (RFC 9207)", () => {
    it("is announced in the metadata, with the issuer it will carry", async () => {
      const metadata = (await (await fetch(new URL("/.well-known/oauth-authorization-server", kit.baseUrl))).json()) as Record<string, unknown>;
      assert.equal(metadata["authorization_response_iss_parameter_supported"], true);
      assert.equal(metadata["issuer"], kit.baseUrl.origin);
    });

    it("comes with the code of a successful sign-in", async () => {
      const redirect = await facadeBrowser(kit, { user: "alice" })(authorizeUrl(kit, clientId, REDIRECT));
      assert.ok(redirect.searchParams.get("code"));
      assert.equal(redirect.searchParams.get("iss"), kit.baseUrl.origin);
      assert.equal(redirect.searchParams.get("state"), "st");
    });

    it("comes with the user's denial at the consent page", async () => {
      const redirect = await facadeBrowser(kit, { user: "alice", decision: "deny" })(authorizeUrl(kit, clientId, REDIRECT));
      assert.equal(redirect.searchParams.get("error"), "access_denied");
      assert.equal(redirect.searchParams.get("iss"), kit.baseUrl.origin);
    });

    it("comes with every error /authorize sends back to a validated redirect URI, the over-long-state one included", async () => {
      const cases: Array<Record<string, string>> = [{ code_challenge_method: "plain" }, { scope: "https://graph.microsoft.com/Mail.Read" }, { resource: "https://other.example/mcp" }, { state: "s".repeat(1025) }];
      for (const extra of cases) {
        const response = await fetch(authorizeUrl(kit, clientId, REDIRECT, extra), { redirect: "manual" });
        assert.equal(response.status, 303, JSON.stringify(extra));
        const location = new URL(response.headers.get("location")!);
        assert.ok(location.searchParams.get("error"), JSON.stringify(extra));
        assert.equal(location.searchParams.get("iss"), kit.baseUrl.origin, JSON.stringify(extra));
      }
    });

    it("comes with an error Entra returned at the callback", async () => {
      const jar = new CookieJar();
      const page = await fetch(authorizeUrl(kit, clientId, REDIRECT));
      const approved = await fetch(new URL("/consent", kit.baseUrl), {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: kit.baseUrl.origin },
        body: new URLSearchParams({ request: hiddenInput(await page.text(), "request")!, decision: "approve" }),
      });
      jar.store(approved);
      const entra = new URL(approved.headers.get("location")!);
      entra.searchParams.set("dev_auto", "1");
      entra.searchParams.set("login_hint", DEV_USERS.alice.upn);
      const callback = new URL((await fetch(entra, { redirect: "manual" })).headers.get("location")!);
      callback.searchParams.delete("code");
      callback.searchParams.set("error", "access_denied");
      const answer = await fetch(callback, { redirect: "manual", headers: { cookie: jar.header() } });
      const location = new URL(answer.headers.get("location")!);
      assert.equal(location.searchParams.get("error"), "access_denied");
      assert.equal(location.searchParams.get("iss"), kit.baseUrl.origin);
    });
  });

  describe("offline_access is no resource requirement", () => {
    it("is absent from the protected resource metadata, whose scopes are what /mcp needs: the base scope", async () => {
      for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
        const metadata = (await (await fetch(new URL(path, kit.baseUrl))).json()) as Record<string, unknown>;
        assert.deepEqual(metadata["scopes_supported"], ["mcp.access"], "not the API's other scopes, not offline_access");
      }
      const token = await standIn.mintAccessToken({ user: "alice", scopes: ["mcp.access"] });
      assert.equal((await callTool(kit.mcpUrl, token, "whoami")).status, 200, "a token with exactly those scopes works at /mcp");
    });

    it("is absent from every challenge: no token, a bad token, a token without the base scope, a tool needing more", async () => {
      const answers = [
        await callTool(kit.mcpUrl, undefined, "whoami"),
        await callTool(kit.mcpUrl, "not-a-token", "whoami"),
        await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", scopes: ["orders.write"] }), "whoami"),
        await callTool(kit.mcpUrl, await standIn.mintAccessToken({ user: "alice", scopes: ["mcp.access"] }), "write_orders"),
      ];
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [401, 401, 403, 403],
      );
      for (const answer of answers) {
        const challenge = answer.headers.get("www-authenticate") ?? "";
        assert.match(challenge, /^Bearer /);
        assert.match(challenge, /scope="[^"]+"/, challenge);
        assert.doesNotMatch(challenge, /offline_access/, challenge);
      }
      assert.match(answers[3]!.headers.get("www-authenticate")!, /orders\.write/, "the tool's challenge names the scope it needs");
    });

    it("is still asked of Entra at sign-in, so the client gets a refresh token", async () => {
      await facadeBrowser(kit, { user: "bob" })(authorizeUrl(kit, clientId, REDIRECT));
      const toEntra = standIn.activity.records({ endpoint: "authorize" });
      const scopes = toEntra[toEntra.length - 1]!.scopes ?? [];
      assert.ok(scopes.includes("offline_access"), scopes.join(" "));
      assert.ok(scopes.includes(KIT_SCOPE_URI));
    });
  });

  describe("application_type at registration", () => {
    const accepted: Array<[string, Record<string, unknown>, "native" | "web"]> = [
      ["a native app with a private-use scheme", { application_type: "native", redirect_uris: ["com.example.mcpclient:/oauth/callback"] }, "native"],
      ["a native app with a loopback redirect", { application_type: "native", redirect_uris: [REDIRECT, "http://[::1]/cb"] }, "native"],
      ["a native app with a claimed https redirect (RFC 8252 section 7.2)", { application_type: "native", redirect_uris: ["https://app.example/native-cb"] }, "native"],
      ["a web app with https", { application_type: "web", redirect_uris: ["https://app.example/cb"] }, "web"],
      ["no type and a loopback redirect (taken as native)", { redirect_uris: [REDIRECT] }, "native"],
      ["no type and https only (taken as web)", { redirect_uris: ["https://app.example/cb"] }, "web"],
    ];
    for (const [label, metadata, type] of accepted) {
      it(`registers ${label}, reporting application_type ${type}`, async () => {
        const answer = await register(kit, metadata);
        assert.equal(answer.status, 201, JSON.stringify(answer.body));
        assert.equal(answer.body["application_type"], type);
      });
    }

    const refused: Array<[string, Record<string, unknown>, "invalid_redirect_uri" | "invalid_client_metadata"]> = [
      ["a web app with a loopback http redirect", { application_type: "web", redirect_uris: [REDIRECT] }, "invalid_redirect_uri"],
      ["a web app with https on localhost", { application_type: "web", redirect_uris: ["https://localhost/cb"] }, "invalid_redirect_uri"],
      ["a web app with a private-use scheme", { application_type: "web", redirect_uris: ["com.example.mcpclient:/cb"] }, "invalid_redirect_uri"],
      ["a native app with a scheme that is no reverse domain name", { application_type: "native", redirect_uris: ["mcpclient:/cb"] }, "invalid_redirect_uri"],
      ["a native app with javascript:", { application_type: "native", redirect_uris: ["javascript:alert(1)"] }, "invalid_redirect_uri"],
      ["a native app with a private-use URI carrying a fragment", { application_type: "native", redirect_uris: ["com.example.mcpclient:/cb#x"] }, "invalid_redirect_uri"],
      ["a native app with an upper-case private-use scheme", { application_type: "native", redirect_uris: ["Com.Example.McpClient:/cb"] }, "invalid_redirect_uri"],
      ["another application_type", { application_type: "desktop", redirect_uris: [REDIRECT] }, "invalid_client_metadata"],
    ];
    for (const [label, metadata, error] of refused) {
      it(`refuses ${label} with ${error}`, async () => {
        const answer = await register(kit, metadata);
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.equal(answer.body["error"], error);
        assert.equal(typeof answer.body["error_description"], "string");
        assert.equal(answer.body["client_id"], undefined);
      });
    }

    it("signs a native app with a private-use redirect in, naming its scheme on the consent page, and sends the code there with iss", async () => {
      const uri = "com.example.mcpclient:/oauth/callback";
      const native = String((await register(kit, { application_type: "native", client_name: "Native client", redirect_uris: [uri] })).body["client_id"]);
      let consent = "";
      const redirect = await facadeBrowser(kit, { user: "alice", onConsentPage: (html) => (consent = html) })(authorizeUrl(kit, native, uri));
      assert.match(consent, /this device/);
      assert.ok(consent.includes("com.example.mcpclient:"), "the page names the scheme that receives the code");
      assert.equal(`${redirect.protocol}${redirect.pathname}`, uri);
      assert.ok(redirect.searchParams.get("code"));
      assert.equal(redirect.searchParams.get("iss"), kit.baseUrl.origin);
    });

    // The v2 SDK declares application_type (native for a loopback redirect); the v1 SDK knows no such field,
    // sends none and drops it from the answer, so for it the test is that it still registers and signs in.
    for (const kind of ["v2-auto", "v1"] as const) {
      it(`registers the ${kind} client's loopback redirect${kind === "v1" ? ", sent without application_type," : " as native"} and signs it in`, async () => {
        const provider = new HeadlessOAuthProvider({
          redirectUrl: REDIRECT,
          clientMetadata: { client_name: `Rules ${kind}`, redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" },
          signIn: facadeBrowser(kit, { user: "alice" }),
        });
        const client = await connectWithOAuth(kind, kit.mcpUrl, provider);
        try {
          if (kind === "v2-auto") assert.equal((provider.clientInformation() as Record<string, unknown> | undefined)?.["application_type"], "native");
          assert.equal((await client.callTool("whoami", {})).structuredContent?.["name"], "Alice Example");
        } finally {
          await client.close();
        }
      });
    }
  });
});
