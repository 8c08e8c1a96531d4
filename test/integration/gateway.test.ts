/**
 * The gateway against real downstream MCP servers over HTTP.
 */
import assert from "node:assert/strict";
import { startDemoMcpServer, tokenFingerprint, type DemoMcpServer } from "../../dev/demo-mcp/index.js";
import type { EntraStandIn } from "../../dev/entra/index.js";
import { remoteServer } from "../../lib/gateway/index.js";
import { serverInfo, tools } from "../../tools/index.js";
import { connectClient } from "../support/clients.js";
import { DEMO_AUDIENCE, GATEWAY_APPLICATIONS, INNER_KIT_APP, startInnerKit, startV1Downstream, V1_APP } from "../support/downstreams.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startProxyKit } from "../support/facade.js";
import type { RunningKit } from "../support/kit.js";
import { callTool } from "../support/mcp-calls.js";

const ALICE_OID = "a11ce000-0000-4000-8000-000000000001";

describe("gateway: downstream MCP servers behind the kit", function () {
  this.timeout(60_000);
  let standIn: EntraStandIn;
  let demo: DemoMcpServer;
  let v1: Awaited<ReturnType<typeof startV1Downstream>>;
  let inner: Awaited<ReturnType<typeof startInnerKit>>;
  let kit: RunningKit;

  before(async () => {
    requireDevTlsTrust();
    standIn = await startDefaultStandIn({ applications: GATEWAY_APPLICATIONS });
    demo = await startDemoMcpServer({ entra: standIn });
    v1 = await startV1Downstream(standIn);
    inner = await startInnerKit(standIn);
    kit = await startProxyKit(standIn, {
      server: {
        ...serverInfo,
        tools,
        remoteServers: [remoteServer({ name: "demo", url: demo.url }), remoteServer({ name: "tickets", url: v1.url }), remoteServer({ name: "inner", url: inner.url })],
      },
    });
  });
  after(async () => {
    await kit?.close();
    await inner?.close();
    await v1?.close();
    await demo?.close();
    await standIn?.close();
  });

  it("lists and calls the tools of all three downstreams", async () => {
    const token = await standIn.mintAccessToken({ user: "alice" });
    const client = await connectClient("v2-auto", kit.mcpUrl, { headers: { authorization: `Bearer ${token}` } });
    try {
      const names = await client.listToolNames();
      assert.ok(names.includes("demo_whoami"), names.join());
      assert.ok(names.includes("tickets_whoami"), names.join());
      assert.ok(names.includes("inner_whoami"), names.join());
      const who = await client.callTool("demo_whoami", {});
      assert.equal(who.structuredContent?.["oid"], ALICE_OID, JSON.stringify(who));
      assert.equal(who.structuredContent?.["aud"], DEMO_AUDIENCE);
      const tickets = await client.callTool("tickets_whoami", {});
      assert.equal(tickets.structuredContent?.["oid"], ALICE_OID, JSON.stringify(tickets));
      assert.equal(tickets.structuredContent?.["aud"], V1_APP.clientId);
      const innerWho = await client.callTool("inner_whoami", {});
      assert.equal(innerWho.structuredContent?.["oid"], ALICE_OID, JSON.stringify(innerWho));
      assert.equal(innerWho.structuredContent?.["aud"], INNER_KIT_APP.clientId);
    } finally {
      await client.close();
    }
    const fingerprint = tokenFingerprint(token);
    for (const seen of [...demo.seen, ...v1.seen, ...inner.seen]) assert.notEqual(seen.fingerprint, fingerprint);
    const raw = await callTool(kit.mcpUrl, token, "demo_whoami");
    assert.equal(raw.isError, false, raw.text);
  });
});
