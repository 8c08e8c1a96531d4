/**
 * Direct mode: clients discover Entra through the protected resource
 * metadata and sign in there themselves, as VS Code does with its
 * pre-authorized client id. Here the MCP SDK v2 client does it against the
 * local Entra stand-in, the sign-in page driven headlessly.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { DEV_TENANT_ID, KIT_CLIENT_ID, KIT_SCOPE_URI, VSCODE_CLIENT_ID } from "../../dev/defaults.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { serverInfo, tools } from "../../tools/index.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startKit, type RunningKit } from "../support/kit.js";
import { connectWithOAuth, HeadlessOAuthProvider, type BrowserSignIn } from "../support/oauth.js";

/** Signs `user` in at the stand-in's page, headlessly, and returns where Entra sends the browser. */
function entraSignIn(user: string): BrowserSignIn {
  return async (authorizationUrl) => {
    const url = new URL(authorizationUrl);
    url.searchParams.set("dev_auto", "1");
    url.searchParams.set("login_hint", user);
    const response = await fetch(url, { redirect: "manual" });
    const location = response.headers.get("location");
    if (location === null) throw new Error(`the sign-in page answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
    return new URL(location);
  };
}

function vscodeLikeProvider(user: string, omitResource: boolean): HeadlessOAuthProvider {
  return new HeadlessOAuthProvider({
    redirectUrl: "http://127.0.0.1:33418/",
    clientMetadata: { client_name: "VS Code (test)", redirect_uris: ["http://127.0.0.1:33418/"], token_endpoint_auth_method: "none", grant_types: ["authorization_code", "refresh_token"] },
    clientInformation: { client_id: VSCODE_CLIENT_ID },
    omitResource,
    tokenRequestScope: `${KIT_SCOPE_URI} offline_access`,
    signIn: entraSignIn(user),
  });
}

function getWithHost(url: URL, host: string, forwardedHost: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host, "x-forwarded-host": forwardedHost, "x-forwarded-proto": "https" } }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve(body));
    });
    request.on("error", reject);
    request.end();
  });
}

describe("direct mode: clients sign in at Entra", function () {
  this.timeout(30_000);
  let standIn: EntraStandIn;
  let kit: RunningKit;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn();
    kit = await startKit({
      env: { AUTH_MODE: "direct", ENTRA_TENANT_ID: DEV_TENANT_ID, ENTRA_CLIENT_ID: KIT_CLIENT_ID, ENTRA_AUTHORITY_HOST: standIn.origin },
      server: { ...serverInfo, tools },
    });
  });
  after(async () => {
    await kit?.close();
    await standIn?.close();
  });

  it("publishes protected resource metadata naming Entra, at the root and in the path form", async () => {
    const expected = {
      resource: kit.mcpUrl.href,
      authorization_servers: [`${standIn.origin}/${DEV_TENANT_ID}/v2.0`],
      scopes_supported: [KIT_SCOPE_URI],
      bearer_methods_supported: ["header"],
      resource_name: "MCP Functions Kit",
    };
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const response = await fetch(new URL(path, kit.baseUrl));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("access-control-allow-origin"), "*");
      assert.deepEqual(await response.json(), expected);
    }
  });

  it("never takes the resource from Host or X-Forwarded-* headers", async () => {
    const body = JSON.parse(await getWithHost(new URL("/.well-known/oauth-protected-resource/mcp", kit.baseUrl), "evil.example", "evil.example")) as { resource: string };
    assert.equal(body.resource, kit.mcpUrl.href);
  });

  it("lets the MCP v2 client sign in as a pre-authorized public client and call a tool as the user", async () => {
    const provider = vscodeLikeProvider("alice", true);
    const client = await connectWithOAuth("v2-auto", kit.mcpUrl, provider);
    try {
      assert.equal(client.protocolVersion, "2026-07-28");
      const result = await client.callTool("whoami", {});
      assert.equal(result.isError, undefined, JSON.stringify(result));
      assert.equal(result.structuredContent?.["name"], "Alice Example");
      assert.equal(result.structuredContent?.["upn"], "alice@contoso.example");
      const authorizationUrl = provider.authorizationUrls[0]!;
      assert.equal(authorizationUrl.origin + authorizationUrl.pathname, `${standIn.origin}/${DEV_TENANT_ID}/oauth2/v2.0/authorize`);
      assert.equal(authorizationUrl.searchParams.get("code_challenge_method"), "S256");
      assert.match(authorizationUrl.searchParams.get("scope") ?? "", new RegExp(KIT_SCOPE_URI));
    } finally {
      await client.close();
    }
  });

  it("fails like Entra (AADSTS9010010) when a client sends the MCP URL as `resource`", async () => {
    const provider = vscodeLikeProvider("bob", false);
    await assert.rejects(connectWithOAuth("v2-legacy", kit.mcpUrl, provider), /invalid_target|9010010/);
    assert.equal(provider.authorizationUrls[0]?.searchParams.get("resource"), kit.mcpUrl.href);
  });
});
