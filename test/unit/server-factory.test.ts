/**
 * The per-request server factory registers what the request needs: a tool
 * call registers the tools it calls, whatever else the definition holds; a
 * list, or anything else, registers every tool.
 */
import assert from "node:assert/strict";
import { z } from "zod";
import { silentLogger } from "../../lib/log.js";
import { defineTool, type AnyTool } from "../../lib/mcp/index.js";
import { buildServer, type McpServerDefinition } from "../../lib/mcp/server.js";

const tools: AnyTool[] = Array.from({ length: 40 }, (_, index) =>
  defineTool({
    name: `tool_${index}`,
    description: `Tool number ${index}`,
    input: { value: z.string() },
    async run({ value }) {
      return value;
    },
  }),
);
const definition: McpServerDefinition = { name: "factory", version: "1", tools };

/** Which of the definition's tools the server built for `message` has registered. */
async function registeredFor(message: unknown, lists = false): Promise<string[]> {
  const server = await buildServer(definition, { mode: "none" }, { log: silentLogger, message, lists });
  // toolInputSchemaJson is the SDK's public lookup of a registered tool's input schema: undefined when not registered.
  return tools.map((tool) => tool.name).filter((name) => server.toolInputSchemaJson(name) !== undefined);
}

const call = (id: number, name: string): Record<string, unknown> => ({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { value: "x" } } });

describe("the per-request server factory", () => {
  it("registers only the called tool for a tools/call", async () => {
    assert.deepEqual(await registeredFor(call(1, "tool_17")), ["tool_17"]);
  });

  it("registers the tools a batch calls, notifications aside", async () => {
    const batch = [call(1, "tool_3"), { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 0 } }, call(2, "tool_30"), call(3, "tool_3")];
    assert.deepEqual(await registeredFor(batch), ["tool_3", "tool_30"]);
  });

  it("registers every tool for a list, for anything else, and for a call naming a tool it does not have", async () => {
    const every = tools.map((tool) => tool.name);
    assert.deepEqual(await registeredFor({ jsonrpc: "2.0", id: 1, method: "tools/list", params: {} }, true), every);
    assert.deepEqual(await registeredFor({ jsonrpc: "2.0", id: 1, method: "initialize", params: {} }), every);
    assert.deepEqual(await registeredFor([call(1, "tool_1"), { jsonrpc: "2.0", id: 2, method: "ping" }]), every);
    // So that the SDK answers "tool not found" exactly as it does with the tools registered.
    assert.deepEqual(await registeredFor(call(1, "no_such_tool")), every);
    assert.deepEqual(await registeredFor(undefined), every);
  });
});
