/**
 * How to test a tool of your own: copy this file, import your tool, and call
 * it the way a client does, over real HTTP against the kit on the local host.
 * The README ("Testing your own tool") shows it; these cases test two of the
 * shipped examples, one without and one with a signed-in user.
 */
import assert from "node:assert/strict";
import { proxyEnv } from "../support/facade.js";
import { connectClient } from "../support/clients.js";
import { requireDevTlsTrust, startDefaultStandIn } from "../support/entra.js";
import { startKit } from "../support/kit.js";
import { callTool } from "../support/mcp-calls.js";
import convertTemperature from "../../tools/convert-temperature.js";
import whoami from "../../tools/whoami.js";

describe("testing a tool of your own (the README's template)", function () {
  this.timeout(30_000);

  it("calls a tool that needs no user, with a real MCP client", async () => {
    // Serve only the tool under test; AUTH_MODE=none is startKit's default.
    const kit = await startKit({ server: { name: "my-tools", version: "1", tools: [convertTemperature] } });
    const client = await connectClient("v2-auto", kit.mcpUrl);
    try {
      const result = await client.callTool("convert_temperature", { value: 100, unit: "celsius" });
      assert.equal(result.isError, undefined);
      assert.deepEqual(result.structuredContent, { celsius: 100, fahrenheit: 212, kelvin: 373.15 });
    } finally {
      await client.close();
      await kit.close();
    }
  });

  it("calls a tool as a signed-in user, with a token from the local Entra stand-in", async () => {
    requireDevTlsTrust(); // run through dist/scripts/with-dev-tls.js, as npm test does
    const standIn = await startDefaultStandIn();
    const kit = await startKit({ env: proxyEnv(standIn), server: { name: "my-tools", version: "1", tools: [whoami] } });
    try {
      const token = await standIn.mintAccessToken({ user: "alice" });
      const answer = await callTool(kit.mcpUrl, token, "whoami");
      assert.equal(answer.isError, false, answer.text);
      assert.equal(answer.structured?.["name"], "Alice Example");
    } finally {
      await kit.close();
      await standIn.close();
    }
  });
});
