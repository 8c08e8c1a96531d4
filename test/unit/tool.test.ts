import assert from "node:assert/strict";
import { z } from "zod";
import { defineTool, ToolDefinitionError } from "../../lib/mcp/index.js";
import { checkDefinition } from "../../lib/mcp/server.js";

const noop = async (): Promise<string> => "ok";

describe("defineTool", () => {
  it("refuses names clients cannot call", () => {
    for (const name of ["", "has space", "slash/name", "x".repeat(129), "émoji"]) {
      assert.throws(() => defineTool({ name, description: "d", input: {}, run: noop }), ToolDefinitionError, name);
    }
    assert.doesNotThrow(() => defineTool({ name: "graph.me_v2-beta", description: "d", input: {}, run: noop }));
  });

  it("refuses an empty description, which leaves the model guessing", () => {
    assert.throws(() => defineTool({ name: "t", description: "  ", input: {}, run: noop }), /description must say what the tool does/);
  });

  it("refuses two tools with the same name in one server", () => {
    const a = defineTool({ name: "same", description: "a", input: { x: z.string() }, run: noop });
    const b = defineTool({ name: "same", description: "b", input: {}, run: noop });
    assert.throws(() => checkDefinition({ name: "s", version: "1", tools: [a, b] }), /defined twice/);
  });
});
