/**
 * Tools whose input and output are JSON Schemas (`jsonSchema({...})`) rather
 * than zod shapes, and the `secret(name)` need, through the real `/mcp`
 * endpoint in process.
 */
import assert from "node:assert/strict";
import { defineTool, jsonSchema, secret, ToolDefinitionError, type AnyTool } from "../../lib/mcp/index.js";
import { environmentSecrets, type SecretSource } from "../../lib/secrets/source.js";
import { inProcessServer, type InProcessAnswer } from "../support/in-process.js";

function post(tools: readonly AnyTool[], method: string, params: Record<string, unknown>, secrets?: SecretSource): Promise<InProcessAnswer> {
  return inProcessServer(tools, secrets === undefined ? {} : { secrets }).call(method, params);
}

const INPUT = {
  type: "object",
  properties: { code: { type: "string", pattern: "^[A-Z]{3}$" }, when: { type: "string", format: "date" }, count: { type: "integer", format: "int32", minimum: 1 } },
  required: ["code"],
  additionalProperties: false,
} as const;
const OUTPUT = { type: "object", properties: { code: { type: "string" }, count: { type: "integer" } }, required: ["code", "count"] } as const;

describe("tools with JSON Schema input and output", () => {
  const lookup = defineTool({
    name: "lookup",
    description: "Looks a code up",
    input: jsonSchema(INPUT),
    output: jsonSchema(OUTPUT),
    async run(args) {
      // A result that breaks the output schema on request, to prove the result is checked.
      return args["code"] === "BAD" ? { code: "BAD" } : { code: String(args["code"]), count: Number(args["count"] ?? 1) };
    },
  });

  it("are listed with the schemas exactly as given", async () => {
    const listed = await post([lookup], "tools/list", {});
    const tool = listed.result!.tools![0]!;
    assert.deepEqual(tool["inputSchema"], INPUT);
    assert.deepEqual(tool["outputSchema"], OUTPUT);
  });

  it("validate arguments against the schema before run, naming the bad field", async () => {
    const good = await post([lookup], "tools/call", { name: "lookup", arguments: { code: "ABC", count: 2 } });
    assert.equal(good.result!.isError, undefined);
    assert.deepEqual(good.result!.structuredContent, { code: "ABC", count: 2 });
    for (const [args, field] of [
      [{ code: "abc" }, /code/],
      [{ code: "ABC", when: "yesterday" }, /when/],
      [{ code: "ABC", extra: 1 }, /additional/],
      [{}, /code/],
    ] as const) {
      const bad = await post([lookup], "tools/call", { name: "lookup", arguments: args });
      const text = bad.result?.content[0]?.text ?? bad.error?.message ?? "";
      assert.ok(bad.result?.isError === true || bad.error !== undefined, JSON.stringify(bad));
      assert.match(text, field);
    }
  });

  it("check the result against the output schema: a mismatch is an error result, not structured content", async () => {
    const answer = await post([lookup], "tools/call", { name: "lookup", arguments: { code: "BAD" } });
    assert.equal(answer.result!.isError, true);
    assert.equal(answer.result!.structuredContent, undefined);
    assert.match(answer.result!.content[0]!.text!, /failed unexpectedly \(reference [0-9a-f]{8}\)/);
  });

  it("refuses, at definition, a JSON Schema that does not describe an object", () => {
    assert.throws(() => defineTool({ name: "t", description: "d", input: jsonSchema({ type: "string" }), run: async () => "x" }), ToolDefinitionError);
    assert.throws(() => defineTool({ name: "t", description: "d", input: {}, output: jsonSchema({ type: "array" }), run: async () => ({}) }), /output JSON Schema must have "type": "object"/);
  });
});

describe("the secret(name) need", () => {
  const keyed = defineTool({
    name: "keyed",
    description: "Proves it got its key",
    input: {},
    needs: { key: secret("weather-api-key") },
    async run(_args, { key }) {
      return `key of ${key.length} characters, ending ${key.slice(-2)}`;
    },
  });

  it("gives the secret's value from the secret source", async () => {
    const answer = await post([keyed], "tools/call", { name: "keyed", arguments: {} }, environmentSecrets({ WEATHER_API_KEY: "k-1234567890" }));
    assert.equal(answer.result!.content[0]!.text, "key of 12 characters, ending 90");
  });

  it("fails the call, naming the secret and never a value, when the secret is missing", async () => {
    const answer = await post([keyed], "tools/call", { name: "keyed", arguments: {} }, environmentSecrets({}));
    assert.equal(answer.result!.isError, true);
    assert.match(answer.result!.content[0]!.text!, /secret "weather-api-key" is unavailable.*WEATHER_API_KEY/);
  });

  it("refuses, at definition, a name Key Vault would refuse", () => {
    assert.throws(() => secret("weather_api_key"), ToolDefinitionError);
    assert.throws(() => secret(""), ToolDefinitionError);
  });
});
