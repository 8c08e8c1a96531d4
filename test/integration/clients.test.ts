import assert from "node:assert/strict";
import { CLIENT_KINDS, connectClient, type ConnectedClient } from "../support/clients.js";
import { startKit, type RunningKit } from "../support/kit.js";
import convertTemperature from "../../tools/convert-temperature.js";
import echo from "../../tools/echo.js";
import { serverInfo, tools } from "../../tools/index.js";
import whoami from "../../tools/whoami.js";

/**
 * What the clients are served: the shipped list of tools/index.ts, plus the
 * three examples these tests call, should that list no longer have them.
 * Adding, removing or renaming a tool there breaks nothing here.
 */
const served = [...tools, ...[echo, convertTemperature, whoami].filter((tool) => !tools.includes(tool))];

const EXPECTED_PROTOCOL: Record<string, string> = { "v2-auto": "2026-07-28", "v2-legacy": "2025-11-25", v1: "2025-11-25" };

describe("MCP clients of every era over HTTP", () => {
  let kit: RunningKit;
  before(async () => {
    kit = await startKit({ server: { ...serverInfo, tools: served } });
  });
  after(async () => kit.close());

  for (const kind of CLIENT_KINDS) {
    describe(`${kind} client`, () => {
      let client: ConnectedClient;
      before(async () => {
        client = await connectClient(kind, kit.mcpUrl);
      });
      after(async () => client.close());

      it(`negotiates ${EXPECTED_PROTOCOL[kind]}`, () => {
        assert.equal(client.protocolVersion, EXPECTED_PROTOCOL[kind]);
      });

      it("lists the tools of tools/index.ts", async () => {
        assert.deepEqual((await client.listToolNames()).sort(), served.map((tool) => tool.name).sort());
      });

      it("calls a tool with text output", async () => {
        const result = await client.callTool("echo", { message: "hello", times: 2 });
        assert.equal(result.isError, undefined);
        assert.deepEqual(result.content, [{ type: "text", text: "hello\nhello" }]);
      });

      it("receives structured output", async () => {
        const result = await client.callTool("convert_temperature", { value: 212, unit: "fahrenheit" });
        assert.deepEqual(result.structuredContent, { celsius: 100, fahrenheit: 212, kelvin: 373.15 });
      });

      it("gets invalid input back as a tool error naming the field", async () => {
        const result = await client.callTool("echo", { message: "", times: 9 });
        assert.equal(result.isError, true);
        const text = result.content[0]?.text ?? "";
        assert.match(text, /message/);
        assert.match(text, /times/);
      });

      it("gets a clear error from a tool that needs the signed-in user when sign-in is off", async () => {
        const result = await client.callTool("whoami", {});
        assert.equal(result.isError, true);
        assert.match(result.content[0]?.text ?? "", /without sign-in \(AUTH_MODE=none\)/);
      });

      it("gets a ToolError's message as the result", async () => {
        const result = await client.callTool("convert_temperature", { value: -500, unit: "celsius" });
        assert.equal(result.isError, true);
        assert.match(result.content[0]?.text ?? "", /below absolute zero/);
      });
    });
  }
});
