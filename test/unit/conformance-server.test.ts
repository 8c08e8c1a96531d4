import assert from "node:assert/strict";
import { ConfigError } from "../../lib/config.js";
import { startConformanceServer } from "../conformance/server.js";

/** The per-request `_meta` envelope a 2026-07-28 client sends. */
const ENVELOPE = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientInfo": { name: "unit-test", version: "1.0.0" },
  "io.modelcontextprotocol/clientCapabilities": {},
};

describe("conformance fixture server (AUTH_MODE=none, test only)", () => {
  it("refuses to start when WEBSITE_INSTANCE_ID says the app runs in Azure", async () => {
    // What App Service sets on every instance of a Function App.
    const azure = { WEBSITE_INSTANCE_ID: "6bd3e1f0c0a84d0f9f3c1b2a3d4e5f60", WEBSITE_HOSTNAME: "contoso-mcp.azurewebsites.net" };
    await assert.rejects(
      startConformanceServer({ env: azure }),
      (error: unknown) => error instanceof ConfigError && error.setting === "AUTH_MODE" && /WEBSITE_INSTANCE_ID/.test(error.message),
    );
  });

  it("serves the fixture pack without sign-in when not in Azure", async () => {
    const server = await startConformanceServer({ env: {} });
    try {
      const response = await fetch(server.mcpUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json, text/event-stream",
          "MCP-Protocol-Version": "2026-07-28",
          "Mcp-Method": "tools/call",
          "Mcp-Name": "test_simple_text",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "test_simple_text", arguments: {}, _meta: ENVELOPE } }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { result?: { content?: { text?: string }[] } };
      assert.equal(body.result?.content?.[0]?.text, "This is a simple text response for testing.");
    } finally {
      await server.close();
    }
  });
});
