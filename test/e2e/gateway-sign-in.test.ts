/**
 * The gateway end to end: MCP clients of three eras sign in through the
 * kit's facade (a real browser-like flow against the Entra stand-in) and
 * use a downstream's tools as the user. The stand-in grants only what the
 * user consented to at sign-in, so a working downstream call proves that
 * the facade asked Entra for the downstream's scope (read from its
 * metadata) at that one sign-in.
 */
import assert from "node:assert/strict";
import { KIT_CLIENT_ID, KIT_SCOPE_URI } from "../../dev/defaults.js";
import { startDemoMcpServer, type DemoMcpServer } from "../../dev/demo-mcp/index.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { remoteServer } from "../../lib/gateway/index.js";
import { serverInfo, tools } from "../../tools/index.js";
import { CLIENT_KINDS } from "../support/clients.js";
import { DEMO_AUDIENCE, GATEWAY_APPLICATIONS, startV1Downstream, V1_APP } from "../support/downstreams.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { facadeBrowser, startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { callTool } from "../support/mcp-calls.js";
import { connectWithOAuth, HeadlessOAuthProvider } from "../support/oauth.js";

const REDIRECT = "http://127.0.0.1:45678/callback";

describe("gateway end to end: sign in once at the kit, use downstream servers as yourself", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let demo: DemoMcpServer;
  let v1: Awaited<ReturnType<typeof startV1Downstream>>;
  let kit: RunningKit;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn({ applications: GATEWAY_APPLICATIONS, consent: "explicit" });
    demo = await startDemoMcpServer({ entra: standIn });
    v1 = await startV1Downstream(standIn);
    kit = await startProxyKit(standIn, {
      server: { ...serverInfo, tools, remoteServers: [remoteServer({ name: "demo", url: demo.url }), remoteServer({ name: "tickets", url: v1.url })] },
    });
  });
  after(async () => {
    await kit?.close();
    await v1?.close();
    await demo?.close();
    await standIn?.close();
  });

  for (const kind of CLIENT_KINDS) {
    it(`lets the ${kind} client sign in through the facade and call demo_whoami and tickets_whoami as the user`, async () => {
      const user = kind === "v1" ? "bob" : "alice";
      standIn.revokeConsent();
      const provider = new HeadlessOAuthProvider({
        redirectUrl: REDIRECT,
        clientMetadata: { client_name: `Gateway ${kind}`, redirect_uris: [REDIRECT], token_endpoint_auth_method: "none" },
        signIn: facadeBrowser(kit, { user }),
      });
      const client = await connectWithOAuth(kind, kit.mcpUrl, provider);
      try {
        const names = await client.listToolNames();
        assert.ok(names.includes("demo_whoami") && names.includes("tickets_whoami"), names.join(", "));
        const oid = standIn.directory.user(user)!.oid;
        const demoWho = await client.callTool("demo_whoami", {});
        assert.equal(demoWho.isError, undefined, JSON.stringify(demoWho));
        assert.equal(demoWho.structuredContent?.["oid"], oid);
        assert.equal(demoWho.structuredContent?.["aud"], DEMO_AUDIENCE);
        const ticketsWho = await client.callTool("tickets_whoami", {});
        assert.equal(ticketsWho.structuredContent?.["oid"], oid, JSON.stringify(ticketsWho));
        assert.equal(ticketsWho.structuredContent?.["aud"], V1_APP.clientId);
      } finally {
        await client.close();
      }
      const authorize = provider.authorizationUrls[0]!;
      assert.equal(new URL(authorize).origin, kit.baseUrl.origin, "the client signed in at the kit, not at a downstream");
      assert.equal(provider.authorizationUrls.length, 1, "one sign-in served both downstreams");
    });
  }

  it("asks Entra for every downstream scope at sign-in, so a user who did not consent to one cannot use it", async () => {
    standIn.revokeConsent();
    // The kit's own scope alone: what a sign-in that did not ask for the downstream's would leave.
    standIn.grantConsent("alice", KIT_CLIENT_ID, [KIT_SCOPE_URI]);
    const token = await standIn.mintAccessToken({ user: "alice", claims: { uti: "no-downstream-consent" } });
    const answer = await callTool(kit.mcpUrl, token, "demo_whoami");
    assert.equal(answer.isError, true);
    assert.match(answer.text, /not consented to let this server use api:\/\/contoso-demo-mcp \(Demo\.Read\)/);
  });
});
