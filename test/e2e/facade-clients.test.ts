/**
 * Proxy mode end to end: real MCP clients register, sign in through the
 * facade's consent page and the Entra stand-in, call a tool as the user,
 * refresh, and call again.
 */
import assert from "node:assert/strict";
import { KIT_SCOPE_URI } from "../../dev/defaults.js";
import { downstreamScopesOf } from "../../lib/mcp/server.js";
import { tools } from "../../tools/index.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { CimdServer, validDocument } from "../support/cimd-server.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { connectWithOAuth, CookieJar, HeadlessOAuthProvider } from "../support/oauth.js";

const CLIENT_REDIRECT = "http://127.0.0.1:45678/callback";

function dcrProvider(kit: RunningKit, user: string, jar = new CookieJar()): HeadlessOAuthProvider {
  return new HeadlessOAuthProvider({
    redirectUrl: CLIENT_REDIRECT,
    clientMetadata: { client_name: "E2E test client", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"], response_types: ["code"] },
    signIn: facadeBrowser(kit, { user, jar }),
  });
}

async function postToken(kit: RunningKit, fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(new URL("/token", kit.baseUrl), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

describe("proxy mode: MCP clients sign in through the facade", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;
  let documents: CimdServer;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    documents = await CimdServer.start();
    kit = await startProxyKit(standIn, { env: { OAUTH_CIMD_ALLOWED_PRIVATE_HOSTS: documents.hostPort } });
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
    await documents?.close();
  });

  it("publishes authorization server metadata, and protected resource metadata naming the facade", async () => {
    for (const path of ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]) {
      const response = await fetch(new URL(path, kit.baseUrl));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("access-control-allow-origin"), "*");
      const metadata = (await response.json()) as Record<string, unknown>;
      assert.equal(metadata["issuer"], kit.baseUrl.origin);
      assert.equal(metadata["authorization_endpoint"], `${kit.baseUrl.origin}/authorize`);
      assert.equal(metadata["token_endpoint"], `${kit.baseUrl.origin}/token`);
      assert.equal(metadata["registration_endpoint"], `${kit.baseUrl.origin}/register`);
      assert.deepEqual(metadata["response_types_supported"], ["code"]);
      assert.deepEqual(metadata["grant_types_supported"], ["authorization_code", "refresh_token"]);
      assert.deepEqual(metadata["code_challenge_methods_supported"], ["S256"]);
      assert.deepEqual(metadata["token_endpoint_auth_methods_supported"], ["none"]);
      assert.equal(metadata["client_id_metadata_document_supported"], true);
      assert.equal(metadata["authorization_response_iss_parameter_supported"], true);
      assert.deepEqual(metadata["scopes_supported"], ["mcp.access", "offline_access"]);
    }
    const resource = (await (await fetch(new URL("/.well-known/oauth-protected-resource/mcp", kit.baseUrl))).json()) as Record<string, unknown>;
    assert.deepEqual(resource["authorization_servers"], [kit.baseUrl.origin]);
    assert.deepEqual(resource["scopes_supported"], ["mcp.access"]);
  });

  for (const kind of ["v2-auto", "v2-legacy", "v1"] as const) {
    it(`lets the ${kind} client register, sign in, call a tool as the user, refresh and call again`, async () => {
      const provider = dcrProvider(kit, "alice");
      const client = await connectWithOAuth(kind, kit.mcpUrl, provider);
      try {
        const first = await client.callTool("whoami", {});
        assert.equal(first.structuredContent?.["name"], "Alice Example", JSON.stringify(first));
        assert.deepEqual(first.structuredContent?.["scopes"], ["mcp.access"]);
        const tokens = provider.tokens();
        assert.equal(tokens?.scope, "mcp.access", "scopes are reported in the short form");
        assert.ok(tokens?.refresh_token, "a refresh token is issued");

        const refreshesBefore = standIn.activity.counts().grants.refresh_token;
        provider.forgetAccessToken();
        const second = await client.callTool("whoami", {});
        assert.equal(second.structuredContent?.["oid"], first.structuredContent?.["oid"]);
        assert.equal(standIn.activity.counts().grants.refresh_token - refreshesBefore, 1, "the client refreshed through the facade");
      } finally {
        await client.close();
      }
    });
  }

  it("lets the v2 client sign in with a Client ID Metadata Document, showing its verified domain on the consent page", async () => {
    documents.document("/mcp-client.json", (self) => validDocument(self, { client_name: "Metadata Document Client", redirect_uris: [CLIENT_REDIRECT] }));
    let consentPage = "";
    const provider = new HeadlessOAuthProvider({
      redirectUrl: CLIENT_REDIRECT,
      clientMetadataUrl: documents.url("/mcp-client.json"),
      clientMetadata: { client_name: "Metadata Document Client", redirect_uris: [CLIENT_REDIRECT], token_endpoint_auth_method: "none" },
      signIn: facadeBrowser(kit, { user: "bob", onConsentPage: (html) => (consentPage = html) }),
    });
    const client = await connectWithOAuth("v2-auto", kit.mcpUrl, provider);
    try {
      assert.equal(provider.clientInformation()?.client_id, documents.url("/mcp-client.json"), "the document URL is the client_id; nothing was registered");
      const result = await client.callTool("whoami", {});
      assert.equal(result.structuredContent?.["name"], "Bob Example");
      assert.match(consentPage, /Metadata Document Client/);
      assert.match(consentPage, /verified domain/);
      assert.ok(consentPage.includes(documents.hostPort), "the consent page names the host that published the document");
      provider.forgetAccessToken();
      assert.equal((await client.callTool("whoami", {})).structuredContent?.["name"], "Bob Example", "refreshes and calls again");
    } finally {
      await client.close();
    }
  });

  it("lets two concurrent refreshes with the same refresh token both succeed, with the same answer from one refresh at Entra", async () => {
    const provider = dcrProvider(kit, "bob");
    const client = await connectWithOAuth("v2-auto", kit.mcpUrl, provider);
    await client.close();
    const clientId = provider.clientInformation()!.client_id;
    const refreshToken = provider.tokens()!.refresh_token!;
    const refreshesBefore = standIn.activity.counts().grants.refresh_token;
    const [a, b] = await Promise.all([
      postToken(kit, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId }),
      postToken(kit, { grant_type: "refresh_token", refresh_token: refreshToken, client_id: clientId }),
    ]);
    for (const answer of [a, b]) {
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.equal(answer.headers.get("cache-control"), "no-store");
      assert.equal(typeof answer.body["access_token"], "string");
      assert.equal(answer.body["scope"], "mcp.access");
    }
    assert.equal(a.body["refresh_token"], b.body["refresh_token"], "one next refresh token: whichever the client keeps is the family's only live one");
    assert.notEqual(a.body["refresh_token"], refreshToken, "rotated");
    assert.equal(standIn.activity.counts().grants.refresh_token - refreshesBefore, 1);
    const call = await fetch(kit.mcpUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${String(b.body["access_token"])}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/list",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 1,
        method: "tools/list",
        params: { _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" }, "io.modelcontextprotocol/clientCapabilities": {} } },
      }),
    });
    assert.equal(call.status, 200, "the refreshed access token works at /mcp");
  });

  it("asks Entra once for everything at sign-in, only for the API at redemption, and never forwards `resource`", async () => {
    const provider = dcrProvider(kit, "alice");
    const client = await connectWithOAuth("v2-auto", kit.mcpUrl, provider);
    await client.close();
    const authorizeUrl = provider.authorizationUrls[0]!;
    assert.equal(authorizeUrl.searchParams.get("resource"), kit.mcpUrl.href, "the client sent resource to the facade");
    const entraRequests = standIn.activity.records({ endpoint: "authorize" });
    const last = entraRequests[entraRequests.length - 1]!;
    assert.equal(last.resourceParameter, false, "the facade did not forward resource to Entra");
    assert.deepEqual(
      last.scopes?.slice().sort(),
      [KIT_SCOPE_URI, "offline_access", "openid", "profile", ...downstreamScopesOf(tools)].sort(),
      "the downstream scopes the tools declare are consented to at sign-in",
    );
    const redemptions = standIn.activity.records({ grantType: "authorization_code" });
    assert.deepEqual(redemptions[redemptions.length - 1]!.scopes?.slice().sort(), [KIT_SCOPE_URI, "offline_access", "openid", "profile"].sort(), "only the API and OpenID scopes at redemption");
  });
});
